#!/usr/bin/env python3
"""SeaBIOS boots a boot sector from a disk on the ICH9 AHCI controller.

    ahci_boot_test.py EMULATOR MIMIC_IMG

The boot sector (bootsector.S) prints sector 2 of its disk through INT 13h,
which SeaBIOS serves with its AHCI driver (command list, FIS area, PRD
tables); each disk carries its own sector 2 text, so the console says which
disk booted:
  1. -device ahci -device ide-hd,bus=ahci.0 alone (raw);
  2. a qcow2 disk on port 3 and an ide-cd without medium on port 1;
  3. a PIIX IDE disk and an AHCI disk with bootindex=1: the AHCI disk boots
     (its OpenFirmware path .../drive@2/disk@0 in fw_cfg's bootorder);
  4. -M q35 -hda: the q35 board's own AHCI controller (1f.2), port 0;
  5. -M q35 with -drive if=ide,index=1 and the default empty CD-ROM on
     port 2: the disk on port 1 boots.
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
AHCI_TEXT = b"MIMIC-AHCI-DISK-SECTOR-TWO"
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
    return ok and wrong not in output, output


def main():
    if not os.path.exists(boot_vm.SEABIOS) or not shutil.which("as"):
        print("SKIP: needs seabios and binutils")
        return 77
    with tempfile.TemporaryDirectory() as workdir:
        ahci = disk_with_sector_two(workdir, "ahci.raw", AHCI_TEXT)
        ide = disk_with_sector_two(workdir, "ide.raw", IDE_TEXT)
        qcow2 = os.path.join(workdir, "ahci.qcow2")
        subprocess.run([IMG_TOOL, "convert", "-f", "raw", "-O", "qcow2", ahci, qcow2], check=True)
        cases = [
            ("ahci.0 raw",
             ["-device", "ahci,id=ahci", "-drive", "file=%s,format=raw,if=none,id=d0" % ahci,
              "-device", "ide-hd,drive=d0,bus=ahci.0"], AHCI_TEXT, IDE_TEXT),
            ("ahci.3 qcow2 beside an empty ide-cd",
             ["-device", "ahci,id=sata", "-device", "ide-cd,bus=sata.1",
              "-drive", "file=%s,format=qcow2,if=none,id=d0" % qcow2,
              "-device", "ide-hd,drive=d0,bus=sata.3"], AHCI_TEXT, IDE_TEXT),
            ("IDE and AHCI, bootindex=1 on AHCI",
             ["-drive", "file=%s,format=raw,if=ide" % ide, "-device", "ahci,id=ahci",
              "-drive", "file=%s,format=raw,if=none,id=d0" % ahci,
              "-device", "ide-hd,drive=d0,bus=ahci.2,bootindex=1"], AHCI_TEXT, IDE_TEXT),
            ("q35 -hda", ["-M", "q35", "-hda", ahci], AHCI_TEXT, IDE_TEXT),
            ("q35 index=1", ["-M", "q35", "-drive", "file=%s,format=raw,if=ide,index=1" % ahci],
             AHCI_TEXT, IDE_TEXT),
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
