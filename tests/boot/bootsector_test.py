#!/usr/bin/env python3
"""SeaBIOS boots a boot sector from -hda (raw, then qcow2) under the translator.

The boot sector (bootsector.S, assembled here with GNU as) reads sector 2 of
its disk through INT 13h and prints it through INT 10h; with -nographic
SeaBIOS mirrors the screen to the serial console, where the test looks for
it. Exits 77 (skip) without SeaBIOS or binutils.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import boot_vm

BINARY, IMG_TOOL = sys.argv[1], sys.argv[2]
EXPECTED = b"MIMIC-SECTOR-TWO-READ-BY-INT13"
DEADLINE_S = 120


def boot(drive_option):
    with boot_vm.Vm(BINARY, ["-nographic", "-m", "64", "-drive", drive_option]) as vm:
        if vm.wait_serial(EXPECTED, DEADLINE_S):
            return True, vm.output
        return False, vm.output + (vm.close() if vm.exited else b"")


def main():
    if not os.path.exists(boot_vm.SEABIOS) or not shutil.which("as"):
        print("SKIP: needs seabios and binutils")
        return 77
    with tempfile.TemporaryDirectory() as workdir:
        raw = boot_vm.bootsector_disk(workdir)
        qcow2 = os.path.join(workdir, "disk.qcow2")
        subprocess.run([IMG_TOOL, "convert", "-f", "raw", "-O", "qcow2", raw, qcow2], check=True)
        failures = 0
        for option in ("file=%s,format=raw,if=ide" % raw, "file=%s,format=qcow2" % qcow2):
            ok, output = boot(option)
            print("%s: -drive %s" % ("PASS" if ok else "FAIL", option))
            if not ok:
                print(output.decode(errors="replace"))
                failures += 1
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
