#!/usr/bin/env python3
"""CPU models against QEMU 7.2's, run live: tests/guest/cpuid_dump.bin under
Mimic and under qemu-system-x86_64 (TCG) with the same -cpu, for every model
of QEMU's -cpu help but host and max (which follow the accelerator). Leaf 0 (level,
vendor), leaf 1 EAX, the highest extended leaf and the brand string
(0x80000000, 0x80000002..4) must be equal. The feature bits of leaves 1, 7
and 0x80000001 must be QEMU's definition of the model (what QEMU reports
plus what its TCG warned it lacks) limited to what Mimic implements (what
-cpu max reports).

Usage: cpuid_models_test.py MIMIC_BINARY GUEST_DIR [QEMU_BINARY]
Exits 77 (skipped) when QEMU is not installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

# (leaf, register) pairs whose bits are features, as QEMU's warnings name them.
FEATURE_REGS = {("00000001", 2): "CPUID.01H:ECX", ("00000001", 3): "CPUID.01H:EDX", ("00000006", 0): "CPUID.06H:EAX",
                ("00000007", 1): "CPUID.07H:EBX", ("00000007", 2): "CPUID.07H:ECX", ("00000007", 3): "CPUID.07H:EDX",
                ("80000001", 2): "CPUID.80000001H:ECX", ("80000001", 3): "CPUID.80000001H:EDX"}
EQUAL_LEAVES = ["00000000", "80000000", "80000002", "80000003", "80000004"]
# 0x80000001 EDX bits AMD parts mirror from leaf 1 EDX.
AMD_ALIASES = 0x0183f3ff
# Set by the CPU at run time, not by the model.
DYNAMIC = {("00000001", 3): (1 << 9) | (1 << 28), ("00000001", 2): 1 << 27}


def run(binary, cpu, guest_dir):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cpuid.out")
        done = subprocess.run([binary, "-accel", "tcg", "-display", "none", "-nodefaults", "-cpu", cpu, "-bios",
                               os.path.join(guest_dir, "cpuid_dump.bin"), "-debugcon", "file:" + out,
                               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 1:
            raise AssertionError(f"{binary} -cpu {cpu}: exit {done.returncode}: {done.stderr}")
        with open(out) as f:
            leaves = {}
            for line in f.read().splitlines():
                if ":" in line:
                    key, regs = line.split(":")
                    leaves.setdefault(key.split(".")[0], [int(r, 16) for r in regs.split()])
        warned = {}
        warning = r"TCG doesn't support requested feature: (CPUID\.[0-9A-F]+H:E[A-D]X|MSR\([0-9A-F]+H\))\.\S+ \[bit (\d+)\]"
        for where, bit in re.findall(warning, done.stderr):
            warned[where] = warned.get(where, 0) | 1 << int(bit)
        return leaves, warned


class CpuModels(unittest.TestCase):
    def test_as_qemu(self):
        implemented, _ = run(BINARY, "max", GUEST_DIR)
        listing = subprocess.run([QEMU, "-cpu", "help"], capture_output=True, text=True).stdout.split("\n\n")[0]
        models = [line.split()[1] for line in listing.splitlines()[1:]]
        self.assertIn("Skylake-Client-noTSX-IBRS", models)
        for cpu in [m for m in models if m not in ("host", "max")]:
            with self.subTest(cpu=cpu):
                ours, _ = run(BINARY, cpu, GUEST_DIR)
                theirs, warned = run(QEMU, cpu, GUEST_DIR)
                for leaf in EQUAL_LEAVES:
                    self.assertEqual(ours[leaf], theirs[leaf], f"leaf {leaf}")
                self.assertEqual(ours["00000001"][0], theirs["00000001"][0], "family/model/stepping")
                amd = theirs["00000000"][1:] == [0x68747541, 0x444D4163, 0x69746E65]
                for (leaf, reg), where in FEATURE_REGS.items():
                    # Past the highest leaf CPUID answers another leaf: no features there.
                    highest = theirs["80000000" if leaf.startswith("8") else "00000000"][0]
                    if int(leaf, 16) > highest:
                        continue
                    defined = theirs[leaf][reg] | warned.get(where, 0)
                    if amd and where == "CPUID.80000001H:EDX":
                        defined |= warned.get("CPUID.01H:EDX", 0) & AMD_ALIASES
                    dynamic = DYNAMIC.get((leaf, reg), 0)
                    expected = defined & implemented[leaf][reg] & ~dynamic
                    self.assertEqual(f"{ours[leaf][reg] & ~dynamic:08x}", f"{expected:08x}", f"{where}")


if __name__ == "__main__":
    BINARY, GUEST_DIR = sys.argv[1], sys.argv[2]
    QEMU = sys.argv[3] if len(sys.argv) > 3 else shutil.which("qemu-system-x86_64")
    if not QEMU or not os.path.exists(QEMU):
        print("SKIP: qemu-system-x86_64 is not installed")
        sys.exit(77)
    unittest.main(argv=sys.argv[:1])
