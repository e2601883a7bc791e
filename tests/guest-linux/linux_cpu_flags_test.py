#!/usr/bin/env python3
"""/proc/cpuinfo's flags under a named CPU model against QEMU 7.2's: the test
guest with one more line of init (it prints the flags) boots under Mimic and
QEMU (TCG) with the same -cpu. A flag QEMU shows and Mimic does not must be
a feature Mimic warned it lacks (or one of those QEMU's default model has and
Mimic drops quietly: pat, mtrr, svm); a flag Mimic shows and QEMU does not
must be one QEMU's TCG warned it lacks.

    linux_cpu_flags_test.py MIMIC QEMU MODEL...

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

EXTRA_INIT = 'echo "MIMIC-FLAGS: $(grep -m1 "^flags" /proc/cpuinfo)"\n'
QUIET = {"pat", "mtrr", "svm"}
WARNING = re.compile(r"doesn't support requested feature: (?:CPUID\.[0-9A-F]+H:E[A-D]X|MSR\([0-9A-F]+H\))\.(\S+) \[bit")
# Linux's names where they are not QEMU's (with '-' and '.' as '_').
LINUX_NAMES = {"tsc_deadline": "tsc_deadline_timer", "cr8legacy": "cr8_legacy"}


def linux_name(feature):
    name = feature.replace("-", "_").replace(".", "_")
    return LINUX_NAMES.get(name, name)


def flags(emulator, guest, cpu):
    command = [emulator, "-m", "512", "-nographic", "-no-reboot", "-cpu", cpu,
               "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
               "-append", build_guest.BASE_APPEND + " mimic.cpus=1 mimic.mem_mb=512"]
    if "qemu" in os.path.basename(emulator):
        command += ["-accel", "tcg"]
    text, _ = linux_boot_test.run_vm(command)
    found = re.search(r"MIMIC-FLAGS: flags\s*: (.*)", text)
    if not found:
        raise SystemExit("FAIL: no flags from the guest under %s" % emulator)
    return set(found.group(1).split()), {linux_name(f) for f in WARNING.findall(text)}


def main():
    mimic, qemu, models = sys.argv[1], sys.argv[2], sys.argv[3:]
    if not qemu or not os.path.exists(qemu) and not shutil.which(qemu):
        print("SKIP: QEMU is not installed")
        return 77
    guest = build_guest.build(build_guest.cache_dir() + "-cpu-flags", extra_init=EXTRA_INIT)
    failed = False
    for cpu in models:
        ours, we_lack = flags(mimic, guest, cpu)
        theirs, tcg_lacks = flags(qemu, guest, cpu)
        missing = theirs - ours - we_lack - QUIET
        extra = ours - theirs - tcg_lacks
        print("%s: QEMU-only flags %s, Mimic-only flags %s" % (cpu, sorted(theirs - ours), sorted(ours - theirs)))
        if missing or extra:
            print("FAIL %s: unexplained QEMU-only %s, unexplained Mimic-only %s" % (cpu, sorted(missing), sorted(extra)))
            failed = True
    print("FAIL" if failed else "PASS: the flags are QEMU's less what Mimic lacks")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
