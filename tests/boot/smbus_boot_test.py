#!/usr/bin/env python3
"""After SeaBIOS ran, the PIIX4 SMBus sits where QEMU's pc machine has it.

smbus_probe.S boots from -hda and prints the PM function's SMBus base and
host configuration as the firmware left them, the status and data of a
read from the first SPD EEPROM, and the status of a quick command to an
empty address. Linux's i2c-piix4 refuses a zero base ("SMBus base address
uninitialized"). With Debian's qemu-system-x86_64 installed, the same probe
runs there too and both lines must match. Exits 77 (skip) without SeaBIOS
or binutils.
"""
import os
import re
import shutil
import sys
import tempfile

import boot_vm

BINARY = sys.argv[1]
QEMU = "/usr/bin/qemu-system-x86_64"
DEADLINE_S = 150
# SeaBIOS puts the SMBus 0x100 above the PM base, which it moves to 0x600
# when QEMU's ACPI tables come through fw_cfg; SMBHSTCFG 0x09 enables it.
EXPECTED = "90=00000701 D0=00090000 SPD=02/00 NONE=04"


def probe_line(binary, disk):
    args = ["-nographic", "-m", "128", "-drive", "file=%s,format=raw,if=ide" % disk]
    with boot_vm.Vm(binary, args) as vm:
        if not vm.wait_serial(b" END", DEADLINE_S):
            return None, vm.why_not(b" END", DEADLINE_S)
        match = re.search(r"SMBUS-PROBE: (.*) END", vm.output.decode(errors="replace"))
        return (match.group(1) if match else None), vm.output.decode(errors="replace")


def main():
    if not os.path.exists(boot_vm.SEABIOS) or not shutil.which("as"):
        print("SKIP: needs seabios and binutils")
        return 77
    with tempfile.TemporaryDirectory() as workdir:
        disk = boot_vm.boot_disk("smbus_probe.S", workdir, "smbus_probe")
        line, output = probe_line(BINARY, disk)
        if line != EXPECTED:
            print("FAIL: probe %r, expected %r; output:\n%s" % (line, EXPECTED, output))
            return 1
        if os.access(QEMU, os.X_OK):
            peer, output = probe_line(QEMU, disk)
            if peer != line:
                print("FAIL: QEMU's probe %r differs from %r; output:\n%s" % (peer, line, output))
                return 1
            print("PASS: %s (same under %s)" % (line, QEMU))
        else:
            print("PASS: %s" % line)
        return 0


if __name__ == "__main__":
    sys.exit(main())
