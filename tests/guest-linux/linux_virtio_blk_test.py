#!/usr/bin/env python3
"""Debian's kernel drives a virtio-blk disk with its own virtio_pci and
virtio_blk modules (from the kernel package, in the test guest's
initramfs), by direct kernel boot.

    linux_virtio_blk_test.py EMULATOR MIMIC_IMG [--mode M] [--irq msix|intx]

The disk is a 4 MiB qcow2 image with a known pattern. Modes:
    if-virtio     -drive file=disk.qcow2,if=virtio (a transitional device;
                  Linux uses its modern interface)
    modern-only   -device virtio-blk-pci,disable-legacy=on,serial=...
    legacy        the transitional device driven through its legacy
                  interface (virtio_pci force_legacy=1)
--irq intx boots the guest with pci=nomsi: interrupts by INTx instead of
MSI-X; the guest checks which one /proc/interrupts shows.

The guest (build_guest.py, mimic.vdisk=...) checks /dev/vda's first 64 KiB,
its size, its serial (get-id), the negotiated VERSION_1 bit, writes a
marker at 64 KiB and 1 MiB of random data at 1 MiB (with fsync), reads
the megabyte back past the page cache and prints its md5. Afterwards
`mimic-img check` must find the image intact and the host must read both
writes back from it. EMULATOR may be Debian's qemu-system-x86_64 too (with
Debian's qemu-img as MIMIC_IMG), to check the test itself.
"""
import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_guest  # noqa: E402
from linux_boot_test import run_vm  # noqa: E402

RAM_MB = 256
DISK_BYTES = 4 << 20
SERIAL = "MIMIC-VIRTIO-0001"


def make_disk(workdir, img):
    data = bytearray(DISK_BYTES)
    data[0:32] = b"MIMIC-VIRTIO-BLK-DISK-MARKER-001"
    for i in range(32, len(data)):
        data[i] = (i * 13 + 5) & 0xFF
    raw = os.path.join(workdir, "disk.raw")
    with open(raw, "wb") as f:
        f.write(data)
    qcow2 = os.path.join(workdir, "disk.qcow2")
    subprocess.run([img, "convert", "-f", "raw", "-O", "qcow2", raw, qcow2], check=True)
    return qcow2, hashlib.md5(bytes(data[:65536])).hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("emulator")
    parser.add_argument("img")
    parser.add_argument("--mode", choices=["if-virtio", "modern-only", "legacy"], default="if-virtio")
    parser.add_argument("--irq", choices=["msix", "intx"], default="msix")
    args = parser.parse_args()

    guest = build_guest.build(build_guest.cache_dir())
    with tempfile.TemporaryDirectory() as workdir:
        disk, md5 = make_disk(workdir, args.img)
        word = "v%d" % os.getpid()
        append = build_guest.BASE_APPEND + " mimic.vdisk=%s mimic.vwrite=%s mimic.vsectors=%d mimic.virtio_irq=%s" % (
            md5, word, DISK_BYTES // 512, args.irq)
        if args.irq == "intx":
            append += " pci=nomsi"
        if args.mode == "if-virtio":
            drive = ["-drive", "file=%s,format=qcow2,if=virtio" % disk]
            append += " mimic.virtio_mode=modern"
        else:
            device = "virtio-blk-pci,drive=vd0,serial=%s" % SERIAL
            if args.mode == "modern-only":
                device += ",disable-legacy=on"
                append += " mimic.virtio_mode=modern"
            else:
                append += " mimic.virtio_mode=legacy"
            append += " mimic.vserial=%s" % SERIAL
            drive = ["-drive", "file=%s,format=qcow2,if=none,id=vd0" % disk, "-device", device]
        command = [args.emulator, "-m", str(RAM_MB), "-nographic", "-no-reboot",
                   "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
                   "-append", append] + drive
        if "qemu" in os.path.basename(args.emulator):
            command += ["-accel", "tcg"]
        text, code = run_vm(command)
        passed = "MIMIC-GUEST: PASS" in text
        check = subprocess.run([args.img, "check", disk], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(check.stdout)
        raw_back = os.path.join(workdir, "back.raw")
        subprocess.run([args.img, "convert", "-f", "qcow2", "-O", "raw", disk, raw_back], check=True)
        with open(raw_back, "rb") as f:
            image = f.read()
        marker_ok = image[65536:65536 + 64].startswith(("MIMIC-GUEST-WROTE:%s\n" % word).encode())
        found = re.search(r"MIMIC-GUEST: vda random ([0-9a-f]{32})", text)
        random_ok = bool(found) and hashlib.md5(image[1 << 20:2 << 20]).hexdigest() == found.group(1)
        # What the guest did not write is as it was.
        untouched_ok = all(image[i] == ((i * 13 + 5) & 0xFF) for i in range(2 << 20, DISK_BYTES, 4099))
        ok = passed and code == 0 and check.returncode == 0 and marker_ok and random_ok and untouched_ok
        print("%s: guest %s, exit status %s, image check %s, marker %s, random megabyte %s, rest %s" % (
            "PASS" if ok else "FAIL", "reported PASS" if passed else "did not report PASS", code,
            "clean" if check.returncode == 0 else "FAILED", "found" if marker_ok else "missing",
            "matches" if random_ok else "differs", "intact" if untouched_ok else "changed"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
