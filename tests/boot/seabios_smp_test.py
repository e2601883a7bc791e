#!/usr/bin/env python3
"""SeaBIOS counts the vCPUs of -smp 2.

SeaBIOS wakes the APs with INIT-SIPI-SIPI through the local APIC, counts the
ones that check in, compares with fw_cfg's CPU count and builds its MP table
from the result; it logs "Found N cpu(s) max supported M cpu(s)" on its
debug port 0x402. The test boots to "No bootable device" with -smp 2 and
checks that line. Exits 77 (skip) without SeaBIOS.
"""
import os
import select
import subprocess
import sys
import tempfile
import time

BINARY = sys.argv[1]
BIOS = "/usr/share/seabios/bios.bin"
DEADLINE_S = 150


def main():
    if not os.path.exists(BIOS):
        print("SKIP: seabios is not installed")
        return 77
    with tempfile.TemporaryDirectory() as workdir:
        log = os.path.join(workdir, "seabios.log")
        vm = subprocess.Popen([BINARY, "-nographic", "-m", "128", "-smp", "2",
                               "-chardev", "file,id=seabios,path=" + log,
                               "-device", "isa-debugcon,iobase=0x402,chardev=seabios"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        output = b""
        start = time.monotonic()
        try:
            while b"No bootable device" not in output:
                if time.monotonic() - start > DEADLINE_S:
                    print("FAIL: no 'No bootable device' within %d s; output:\n%s"
                          % (DEADLINE_S, output.decode(errors="replace")))
                    return 1
                ready, _, _ = select.select([vm.stdout], [], [], 1.0)
                if ready:
                    chunk = os.read(vm.stdout.fileno(), 4096)
                    if not chunk:
                        print("FAIL: emulator exited:", vm.stderr.read().decode(errors="replace"))
                        return 1
                    output += chunk
        finally:
            vm.terminate()
            try:
                vm.wait(timeout=10)
            except subprocess.TimeoutExpired:
                vm.kill()
        with open(log, "rb") as f:
            debug = f.read().decode(errors="replace")
        if "Found 2 cpu(s) max supported 2 cpu(s)" not in debug:
            print("FAIL: SeaBIOS did not find 2 CPUs; its log:\n" + debug)
            return 1
        print("PASS: SeaBIOS found 2 CPUs, booted in %.1f s" % (time.monotonic() - start))
        return 0


if __name__ == "__main__":
    sys.exit(main())
