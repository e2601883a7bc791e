#!/usr/bin/env python3
"""Turns a flat option ROM image into one SeaBIOS accepts: pads it to whole
512-byte blocks, stores the block count at offset 2 and sets the last byte
so that all bytes sum to zero modulo 256.

usage: sign_rom.py IN OUT
"""
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        image = bytearray(f.read())
    if len(image) < 3 or image[0:2] != b"\x55\xaa":
        sys.exit("sign_rom.py: %s is not an option ROM image" % sys.argv[1])
    # One byte more for the checksum, then whole blocks.
    blocks = (len(image) + 1 + 511) // 512
    if blocks > 255:
        sys.exit("sign_rom.py: %s is too large for an option ROM" % sys.argv[1])
    image.extend(b"\0" * (blocks * 512 - len(image)))
    image[2] = blocks
    image[-1] = 0
    image[-1] = (-sum(image)) & 0xFF
    with open(sys.argv[2], "wb") as f:
        f.write(image)


if __name__ == "__main__":
    main()
