#!/usr/bin/env python3
"""A guest finds Mimic's ACPI tables where SeaBIOS installed them, and powers off through them.

acpi_probe.S (assembled here with GNU as) boots from -hda under SeaBIOS and
does what an OS's ACPI code does first: finds the RSDP below 1 MiB, walks
RSDT -> FADT/MADT/WAET -> DSDT checking every checksum, reads SLP_TYP from
the DSDT's \\_S5 package and the PM1a control block from the FADT, enables
ACPI through the SMI command port and enters S5. The test expects each table
reported with a good checksum and the emulator to exit by itself (guest
power-off), as QEMU does. Exits 77 (skip) without SeaBIOS or binutils.
"""
import os
import shutil
import sys
import tempfile

import boot_vm

BINARY = sys.argv[1]
DEADLINE_S = 150
EXPECTED_TABLES = [b"RSDP+", b"RSDT+", b"FACP+", b"APIC+", b"WAET+", b"DSDT+"]


def main():
    if not os.path.exists(boot_vm.SEABIOS) or not shutil.which("as"):
        print("SKIP: needs seabios and binutils")
        return 77
    with tempfile.TemporaryDirectory() as workdir:
        disk = boot_vm.boot_disk("acpi_probe.S", workdir, "acpi_probe")
        with boot_vm.Vm(BINARY, ["-nographic", "-m", "128", "-drive", "file=%s,format=raw,if=ide" % disk]) as vm:
            status = vm.wait_exit(DEADLINE_S)
            if status is None:
                print("FAIL: the guest did not power off within %d s; output:\n%s"
                      % (DEADLINE_S, vm.output.decode(errors="replace")))
                return 1
            stderr = vm.close()
            output = vm.output
        text = output.decode(errors="replace")
        line = next((l for l in text.splitlines() if "ACPI-PROBE:" in l), "")
        missing = [t.decode() for t in EXPECTED_TABLES if t.decode() not in line]
        # The VM may end before the UART drains " POWER-OFF": the exit proves it.
        if missing or "S5=0" not in line or "STILL RUNNING" in text:
            print("FAIL: probe line %r lacks %s; output:\n%s" % (line, missing or "S5=0", text))
            return 1
        if status != 0:
            print("FAIL: exit status %d after power-off; stderr: %s" % (status, stderr.decode(errors="replace")))
            return 1
        print("PASS: %s (the emulator exited with status 0)" % line.strip())
        return 0


if __name__ == "__main__":
    sys.exit(main())
