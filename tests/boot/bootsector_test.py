#!/usr/bin/env python3
"""SeaBIOS boots a boot sector from -hda (raw, then qcow2) under the translator.

The boot sector (bootsector.S, assembled here with GNU as) reads sector 2 of
its disk through INT 13h and prints it through INT 10h; with -nographic
SeaBIOS mirrors the screen to the serial console, where the test looks for
it. Exits 77 (skip) without SeaBIOS or binutils.
"""
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

import boot_vm

BINARY, IMG_TOOL = sys.argv[1], sys.argv[2]
EXPECTED = b"MIMIC-SECTOR-TWO-READ-BY-INT13"
DEADLINE_S = 120


def boot(drive_option):
    vm = subprocess.Popen([BINARY, "-nographic", "-m", "64", "-drive", drive_option],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output = b""
    start = time.monotonic()
    try:
        while EXPECTED not in output:
            if time.monotonic() - start > DEADLINE_S:
                return False, output
            ready, _, _ = select.select([vm.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(vm.stdout.fileno(), 4096)
                if not chunk:
                    return False, output + vm.stderr.read()
                output += chunk
        return True, output
    finally:
        vm.terminate()
        try:
            vm.wait(timeout=10)
        except subprocess.TimeoutExpired:
            vm.kill()


def main():
    if not os.path.exists("/usr/share/seabios/bios.bin") or not shutil.which("as"):
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
