#!/usr/bin/env python3
"""SeaBIOS from Debian boots under Mimic's translator with no media.

With -nographic, SeaBIOS mirrors its screen to the serial port (fw_cfg
etc/sercon-port), so its banner and "No bootable device" must appear on
stdout, as they do under QEMU. Exits 77 (skip) without SeaBIOS.
"""
import os
import sys

import boot_vm

BINARY = sys.argv[1]
DEADLINE_S = 150


def main():
    if not os.path.exists(boot_vm.SEABIOS):
        print("SKIP: seabios is not installed")
        return 77
    with boot_vm.Vm(BINARY, ["-nographic", "-m", "128"]) as vm:
        if not vm.wait_serial(b"No bootable device", DEADLINE_S):
            print("FAIL:", vm.why_not(b"No bootable device", DEADLINE_S))
            return 1
        if b"SeaBIOS (version" not in vm.output:
            print("FAIL: no SeaBIOS banner:\n" + vm.output.decode(errors="replace"))
            return 1
        print("PASS: SeaBIOS reached 'No bootable device' in %.1f s" % vm.elapsed())
        return 0


if __name__ == "__main__":
    sys.exit(main())
