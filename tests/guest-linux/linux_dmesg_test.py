#!/usr/bin/env python3
"""The kernel's warnings and errors under Mimic against QEMU 7.2's: the test
guest (build_guest.py) boots under both with loglevel=5, so the console
shows exactly what `dmesg --level=emerg,alert,crit,err,warn` would list, at
-smp 1 and 2. Every such line Mimic's boot prints must also appear in
QEMU's boot of the same guest: Mimic may leave a warning out, never add one.
Clock-calibration verdicts are shown but not compared: they depend on the
host's speed at the moment, and come and go between runs of either.

    linux_dmesg_test.py MIMIC QEMU

Exits 77 (skipped) when QEMU is not installed.
"""
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_guest  # noqa: E402
import linux_boot_test  # noqa: E402

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1bc")
# Verdicts of clock calibrations, which come and go with how fast the host
# runs the emulator at that moment, under QEMU's TCG as under Mimic's.
TIMING_DEPENDENT = re.compile(r"calibrat|TSC|Unstable clock|trace_clock|local clock|on the kernel command line")


def kernel_warnings(emulator, guest, smp):
    """The kernel's console lines of one boot: after firmware hands over
    (SeaBIOS's EDD probe) and before the guest's init speaks."""
    command = [emulator, "-m", "512", "-nographic", "-no-reboot", "-smp", str(smp),
               "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
               "-append", build_guest.BASE_APPEND + " mimic.cpus=%d mimic.mem_mb=512 loglevel=5 printk.time=0" % smp]
    if "qemu" in os.path.basename(emulator):
        command += ["-accel", "tcg"]
    text, _ = linux_boot_test.run_vm(command)
    if "MIMIC-GUEST: PASS" not in text:
        raise SystemExit("FAIL: the guest did not boot under %s" % emulator)
    text = ESCAPES.sub("\n", text)
    kernel = text.split("Probing EDD", 1)[-1].split("MIMIC-GUEST: init started", 1)[0]
    lines = [line.strip() for line in kernel.splitlines()]
    lines = [line for line in lines if line and not line.startswith("(edd=off to disable)")]
    # The probe's "ok" races SeaBIOS's screen reset: its "k" may land on a
    # line of its own, or vanish.
    if lines and lines[0] in ("k", "ok"):
        lines.pop(0)
    return lines


def main():
    mimic, qemu = sys.argv[1], sys.argv[2]
    if not shutil.which(qemu):
        print("SKIP: %s not found" % qemu)
        return 77
    guest = build_guest.build(build_guest.cache_dir())
    failed = False
    for smp in (1, 2):
        ours, theirs = kernel_warnings(mimic, guest, smp), kernel_warnings(qemu, guest, smp)
        added = [line for line in ours if line not in theirs and not TIMING_DEPENDENT.search(line)]
        print("-smp %d: QEMU's warnings: %s" % (smp, theirs))
        print("-smp %d: Mimic's warnings: %s" % (smp, ours))
        if added:
            failed = True
            print("FAIL: -smp %d: Mimic adds:\n  %s" % (smp, "\n  ".join(added)))
    print("FAIL" if failed else "PASS: Mimic adds no kernel warning or error to QEMU's")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
