#!/usr/bin/env python3
"""SeaBIOS boots a boot sector from a virtio-blk disk, and bootindex=
orders boot devices through fw_cfg's "bootorder" file.

    virtio_boot_test.py EMULATOR MIMIC_IMG

The boot sector (bootsector.S) prints sector 2 of its disk; each disk here
carries its own sector 2 text, so the console says which disk booted:
  1. -drive if=virtio alone (raw);
  2. -device virtio-blk-pci,disable-legacy=on on a qcow2 image (SeaBIOS's
     modern virtio path);
  3. an IDE disk and a virtio disk without bootindex: SeaBIOS's own order
     picks the IDE disk;
  4. the same with bootindex=1 on the virtio disk: the virtio disk boots.
Exits 77 (skip) without SeaBIOS or binutils. EMULATOR may be Debian's
qemu-system-x86_64 (with qemu-img), to check the test itself.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import boot_vm

BINARY, IMG_TOOL = sys.argv[1], sys.argv[2]
DEADLINE_S = 120
IDE_TEXT = b"MIMIC-IDE-DISK-SECTOR-TWO"
VIRTIO_TEXT = b"MIMIC-VIRTIO-DISK-SECTOR-TWO"
DONE = b" BOOT SECTOR"


def disk_with_sector_two(workdir, name, text):
    path = boot_vm.bootsector_disk(workdir)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[512:1024] = bytes(512)
    data[512:512 + len(text)] = text
    out = os.path.join(workdir, name)
    with open(out, "wb") as f:
        f.write(data)
    return out


def boot(args, expected, wrong):
    with boot_vm.Vm(BINARY, ["-nographic", "-m", "64"] + args) as vm:
        ok = vm.wait_serial(expected + DONE, DEADLINE_S)
        output = vm.output
        if not ok and vm.exited:
            output += vm.close()
    # The other disk must not have been the one that booted.
    return ok and wrong not in output, output


def main():
    if not os.path.exists(boot_vm.SEABIOS) or not shutil.which("as"):
        print("SKIP: needs seabios and binutils")
        return 77
    with tempfile.TemporaryDirectory() as workdir:
        virtio = disk_with_sector_two(workdir, "virtio.raw", VIRTIO_TEXT)
        ide = disk_with_sector_two(workdir, "ide.raw", IDE_TEXT)
        qcow2 = os.path.join(workdir, "virtio.qcow2")
        subprocess.run([IMG_TOOL, "convert", "-f", "raw", "-O", "qcow2", virtio, qcow2], check=True)
        both = ["-drive", "file=%s,format=raw,if=ide" % ide, "-drive", "file=%s,format=raw,if=none,id=v0" % virtio]
        cases = [
            ("if=virtio", ["-drive", "file=%s,format=raw,if=virtio" % virtio], VIRTIO_TEXT, IDE_TEXT),
            ("modern-only qcow2",
             ["-drive", "file=%s,format=qcow2,if=none,id=v0" % qcow2, "-device",
              "virtio-blk-pci,drive=v0,disable-legacy=on"], VIRTIO_TEXT, IDE_TEXT),
            ("IDE and virtio, no bootindex", both + ["-device", "virtio-blk-pci,drive=v0"], IDE_TEXT, VIRTIO_TEXT),
            ("IDE and virtio, bootindex=1 on virtio", both + ["-device", "virtio-blk-pci,drive=v0,bootindex=1"],
             VIRTIO_TEXT, IDE_TEXT),
        ]
        failures = 0
        for name, args, expected, wrong in cases:
            ok, output = boot(args, expected, wrong)
            print("%s: %s (expected %s to boot)" % ("PASS" if ok else "FAIL", name, expected.decode()))
            if not ok:
                print(output.decode(errors="replace"))
                failures += 1
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
