#!/usr/bin/env python3
"""The PIIX4 SMBus answers port for port as QEMU 7.2's pc machine does.

One sequence of port accesses (PCI configuration of 00:01.3, then SMBus
transactions of every protocol to the SPD EEPROMs and to empty addresses,
block transfers, kill, reset) runs on Mimic over qtest and on
/usr/bin/qemu-system-x86_64 through its monitor's "i"/"o" commands (Debian's
build has no qtest accelerator); every read must match. Exits 77 (skip)
without QEMU.
"""
import os
import re
import subprocess
import sys
import time

BINARY = sys.argv[1]
QEMU = "/usr/bin/qemu-system-x86_64"

# (op, port, value); "reset" is a full system reset.
SEQUENCE = """
inl 0xcf8 ; outl 0xcf8 0x80000b90 ; inl 0xcfc ; outl 0xcf8 0x80000bd0 ; inl 0xcfc
outl 0xcf8 0x80000b90 ; outl 0xcfc 0 ; inl 0xcfc ; outl 0xcfc 0xffffffff ; inl 0xcfc
outl 0xcfc 0xb101 ; outl 0xcf8 0x80000bd0 ; outl 0xcfc 0xffffffff ; inl 0xcfc ; outl 0xcfc 0x90000
inb 0xb100 ; inb 0xb102 ; inb 0xb10d ; inb 0xb108 ; inb 0xb13f
outb 0xb104 0xa1 ; outb 0xb103 0 ; outb 0xb102 0x48 ; inb 0xb100 ; inb 0xb100 ; inb 0xb105
outb 0xb100 0xff ; inb 0xb100
outb 0xb104 0xa0 ; outb 0xb103 5 ; outb 0xb105 0x5a ; outb 0xb102 0x48 ; inb 0xb100 ; inb 0xb100
outb 0xb100 0xff ; outb 0xb104 0xa1 ; outb 0xb102 0x48 ; inb 0xb100 ; inb 0xb100 ; inb 0xb105
outb 0xb100 0xff ; outb 0xb102 0x44 ; inb 0xb100 ; inb 0xb100 ; inb 0xb105
outb 0xb100 0xff ; outb 0xb104 0xc1 ; outb 0xb102 0x48 ; inb 0xb100 ; inb 0xb100 ; inb 0xb100
outb 0xb104 0xa0 ; outb 0xb102 0x40 ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff ; inb 0xb100
outb 0xb104 0xae ; outb 0xb102 0x40 ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff
outb 0xb104 0xb1 ; outb 0xb102 0x40 ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff
outb 0xb104 0x00 ; outb 0xb102 0x40 ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff
outb 0xb104 0xa1 ; outb 0xb103 5 ; outb 0xb102 0x4c ; inb 0xb100 ; inb 0xb100 ; inb 0xb105 ; inb 0xb106
outb 0xb100 0xff ; outb 0xb104 0xa0 ; outb 0xb103 0x20 ; outb 0xb105 0xef ; outb 0xb106 0xbe
outb 0xb102 0x4c ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff
outb 0xb104 0xa1 ; outb 0xb103 0x21 ; outb 0xb102 0x48 ; inb 0xb100 ; inb 0xb100 ; inb 0xb105
outb 0xb100 0xff ; outb 0xb104 0xa0 ; outb 0xb103 0x21 ; outb 0xb102 0x44 ; inb 0xb100 ; inb 0xb100
outb 0xb100 0xff ; outb 0xb104 0xa1 ; outb 0xb102 0x44 ; inb 0xb100 ; inb 0xb100 ; inb 0xb105
outb 0xb100 0xff ; outb 0xb104 0xa0 ; outb 0xb103 0x10 ; outb 0xb105 4
outb 0xb107 3 ; outb 0xb107 0x11 ; outb 0xb107 0x22 ; outb 0xb107 0x33
outb 0xb102 0x54 ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff
outb 0xb104 0xa1 ; outb 0xb102 0x54 ; inb 0xb100 ; inb 0xb100 ; inb 0xb105
inb 0xb107 ; inb 0xb107 ; inb 0xb107 ; inb 0xb107 ; inb 0xb107 ; inb 0xb102 ; inb 0xb100
outb 0xb100 0xff ; outb 0xb106 0x11 ; outb 0xb105 3 ; outb 0xb102 0x58 ; inb 0xb100 ; inb 0xb100
inb 0xb107 ; outb 0xb100 0x80 ; inb 0xb100 ; inb 0xb107 ; outb 0xb102 0x20 ; outb 0xb100 0x80
inb 0xb100 ; inb 0xb107 ; outb 0xb100 0xff ; inb 0xb100
outb 0xb104 0xa0 ; outb 0xb103 0x60 ; outb 0xb105 0x21 ; outb 0xb102 0x48 ; inb 0xb100 ; inb 0xb100
outb 0xb100 0xff ; outb 0xb104 0xa1 ; outb 0xb102 0x54 ; inb 0xb100 ; inb 0xb100 ; inb 0xb105
inb 0xb107 ; outb 0xb100 0xff
outb 0xb104 0xa0 ; outb 0xb103 0x70 ; outb 0xb105 3 ; outb 0xb107 1 ; outb 0xb102 0x54
inb 0xb100 ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff
outb 0xb10d 0 ; inb 0xb10d ; outb 0xb105 2 ; outb 0xb107 0x44 ; outb 0xb102 0x54 ; inb 0xb100
inb 0xb100 ; outb 0xb107 0x55 ; outb 0xb100 0x80 ; inb 0xb100 ; outb 0xb100 0x80 ; inb 0xb100
outb 0xb100 0xff ; outb 0xb104 0xa1 ; outb 0xb102 0x54 ; inb 0xb100 ; inb 0xb100 ; inb 0xb105
inb 0xb100 ; inb 0xb107 ; inb 0xb100 ; outb 0xb100 0x80 ; inb 0xb100 ; inb 0xb107
outb 0xb102 0x20 ; outb 0xb100 0x80 ; inb 0xb100 ; inb 0xb107 ; outb 0xb100 0xff ; outb 0xb10d 0xff
inb 0xb10d ; outb 0xb102 0x50 ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff
outb 0xb102 0x5c ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff
outb 0xb104 0xa1 ; outb 0xb102 0x41 ; inb 0xb100 ; inb 0xb100 ; outb 0xb100 0xff
outb 0xb102 0x02 ; inb 0xb100 ; inb 0xb102 ; outb 0xb100 0xff ; outb 0xb102 0x48 ; inb 0xb100
outb 0xb102 0x00 ; inb 0xb100 ; inw 0xb104 ; inl 0xb104
outl 0xcf8 0x80000bd0 ; outb 0xcfe 8 ; inb 0xb100 ; inb 0xb10d ; outb 0xcfe 9 ; inb 0xb10d
outl 0xcf8 0x80000b90 ; outl 0xcfc 0xc001 ; inb 0xb10d ; inb 0xc00d ; outl 0xcfc 0xc07f
inb 0xc00d ; inb 0xc04d ; outl 0xcfc 0xb101 ; inb 0xb10d
outb 0xb104 0xa0 ; outb 0xb103 0x30 ; outb 0xb105 0x77 ; outb 0xb102 0x48 ; inb 0xb100 ; inb 0xb100
outb 0xb100 0xff ; outb 0xb104 0xa1 ; outb 0xb103 0x31 ; outb 0xb105 0x66 ; outb 0xb106 0x55
outb 0xb102 0x48 ; inb 0xb100 ; outb 0xb10d 0 ; outl 0xcf8 0x80000b90 ; outl 0xcfc 0xd001
reset
outl 0xcf8 0x80000b90 ; inl 0xcfc ; outl 0xcf8 0x80000bd0 ; inl 0xcfc ; inb 0xd000 ; inb 0xd002 ; inb 0xd003 ; inb 0xd004
inb 0xd005 ; inb 0xd006 ; inb 0xd007 ; inb 0xd00d ; inb 0xb100
outb 0xd000 0xff ; outb 0xd004 0xa1 ; outb 0xd003 0x30 ; outb 0xd002 0x48 ; inb 0xd000 ; inb 0xd000
inb 0xd005
"""
WIDTH = {"b": 2, "w": 4, "l": 8}


def steps():
    for chunk in SEQUENCE.replace("\n", ";").split(";"):
        words = chunk.split()
        if words:
            yield words


def run_mimic():
    process = subprocess.Popen([BINARY, "-accel", "qtest", "-qtest", "stdio", "-display", "none", "-nodefaults"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    answers = []

    def command(line):
        process.stdin.write(line + "\n")
        process.stdin.flush()
        while True:
            reply = process.stdout.readline()
            if not reply or reply.startswith(("OK", "FAIL")):
                return reply.split()

    try:
        for words in steps():
            if words == ["reset"]:
                command("outb 0xcf9 0x6")  # PIIX3 reset control: full reset
                continue
            reply = command(" ".join(words))
            if words[0].startswith("in"):
                answers.append(int(reply[1], 16) if reply[:1] == ["OK"] else None)
    finally:
        process.kill()
        process.wait()
    return answers


def run_qemu():
    process = subprocess.Popen([QEMU, "-S", "-display", "none", "-accel", "tcg", "-nodefaults", "-monitor", "stdio"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = b""

    def until_prompt():
        nonlocal output
        start = len(output)
        while len(output) == start or not output.endswith(b"(qemu) "):
            byte = process.stdout.read(1)
            if not byte:
                raise RuntimeError("QEMU exited")
            output += byte
        return output[start:].decode(errors="replace")

    answers = []
    try:
        until_prompt()
        for words in steps():
            if words == ["reset"]:
                line = "system_reset"
            elif words[0].startswith("out"):
                line = "o /%s %s %s" % ({"b": "b", "w": "h", "l": "w"}[words[0][-1]], words[1], words[2])
            else:
                line = "i /%s %s" % ({"b": "b", "w": "h", "l": "w"}[words[0][-1]], words[1])
            process.stdin.write(line.encode() + b"\n")
            process.stdin.flush()
            text = until_prompt()
            if words == ["reset"]:
                time.sleep(0.5)  # the reset runs from QEMU's main loop
            if words[0].startswith("in"):
                match = re.search(r"\] = (0x[0-9a-f]+)", text)
                answers.append(int(match.group(1), 16) if match else None)
    finally:
        process.kill()
        process.wait()
    return answers


def main():
    if not os.access(QEMU, os.X_OK):
        print("SKIP: %s is not installed" % QEMU)
        return 77
    ours, theirs = run_mimic(), run_qemu()
    reads = [w for w in steps() if w[0].startswith("in")]
    bad = [(r, a, b) for r, a, b in zip(reads, ours, theirs) if a != b]
    if len(ours) != len(reads) or len(theirs) != len(reads) or bad:
        for read, a, b in bad:
            print("MISMATCH %s: mimic %s, qemu %s" % (" ".join(read), a, b))
        print("FAIL: %d of %d reads differ (%d/%d answers)" % (len(bad), len(reads), len(ours), len(theirs)))
        return 1
    print("PASS: %d reads identical to QEMU" % len(reads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
