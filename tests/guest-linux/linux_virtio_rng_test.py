#!/usr/bin/env python3
"""Debian's kernel reads /dev/hwrng from a virtio-rng-pci device with its
own virtio_pci and virtio_rng modules.

    linux_virtio_rng_test.py EMULATOR

The back end is an rng-random object reading a host file of known bytes,
so the guest's first 4 KiB of /dev/hwrng must be that file's first 4 KiB
(whose md5 the guest prints); the guest also checks that virtio_rng is
the current hw_random source. EMULATOR may be Debian's qemu-system-x86_64.
"""
import hashlib
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_guest  # noqa: E402
from linux_boot_test import run_vm  # noqa: E402


def main():
    emulator = sys.argv[1]
    guest = build_guest.build(build_guest.cache_dir())
    with tempfile.TemporaryDirectory() as workdir:
        source = os.path.join(workdir, "entropy")
        data = os.urandom(1 << 20)
        with open(source, "wb") as f:
            f.write(data)
        command = [emulator, "-m", "256", "-nographic", "-no-reboot",
                   "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
                   "-append", build_guest.BASE_APPEND + " mimic.hwrng=1",
                   "-object", "rng-random,id=r0,filename=%s" % source, "-device", "virtio-rng-pci,rng=r0"]
        if "qemu" in os.path.basename(emulator):
            command += ["-accel", "tcg"]
        text, code = run_vm(command)
        passed = "MIMIC-GUEST: PASS" in text
        found = re.search(r"MIMIC-GUEST: hwrng md5 ([0-9a-f]{32})", text)
        # The kernel may have taken bytes for its own pool first (it mixes
        # hw_random output in): the guest's 4 KiB are 4 KiB of the file at
        # some 4-byte-aligned offset.
        md5s = {hashlib.md5(data[i:i + 4096]).hexdigest() for i in range(0, len(data) - 4096, 4)}
        from_file = bool(found) and found.group(1) in md5s
        ok = passed and code == 0 and from_file
        print("%s: guest %s, exit status %s, /dev/hwrng bytes %s" % (
            "PASS" if ok else "FAIL", "reported PASS" if passed else "did not report PASS", code,
            "come from the rng-random file" if from_file else "not from the file"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
