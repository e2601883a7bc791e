#!/usr/bin/env python3
"""SeaBIOS counts the vCPUs of -smp 2.

SeaBIOS wakes the APs with INIT-SIPI-SIPI through the local APIC, counts the
ones that check in, compares with fw_cfg's CPU count and builds its MP table
from the result; it logs "Found N cpu(s) max supported M cpu(s)" on its
debug port 0x402. The test boots to "No bootable device" with -smp 2 and
checks that line. Exits 77 (skip) without SeaBIOS.
"""
import os
import sys
import tempfile

import boot_vm

BINARY = sys.argv[1]
DEADLINE_S = 150


def main():
    if not os.path.exists(boot_vm.SEABIOS):
        print("SKIP: seabios is not installed")
        return 77
    with tempfile.TemporaryDirectory() as workdir:
        log = os.path.join(workdir, "seabios.log")
        with boot_vm.Vm(BINARY, ["-nographic", "-m", "128", "-smp", "2",
                                 "-chardev", "file,id=seabios,path=" + log,
                                 "-device", "isa-debugcon,iobase=0x402,chardev=seabios"]) as vm:
            if not vm.wait_serial(b"No bootable device", DEADLINE_S):
                print("FAIL:", vm.why_not(b"No bootable device", DEADLINE_S))
                return 1
            booted_s = vm.elapsed()
        with open(log, "rb") as f:
            debug = f.read().decode(errors="replace")
        if "Found 2 cpu(s) max supported 2 cpu(s)" not in debug:
            print("FAIL: SeaBIOS did not find 2 CPUs; its log:\n" + debug)
            return 1
        print("PASS: SeaBIOS found 2 CPUs, booted in %.1f s" % booted_s)
        return 0


if __name__ == "__main__":
    sys.exit(main())
