#!/usr/bin/env python3
"""perf profile of the guest CPU benchmark, one part or all of it, without
the boot around it. Runs Mimic with MIMIC_PERF_MAP=1 (generated code named
tb_<guest pc>_<flags>) under `perf record -k CLOCK_MONOTONIC -e cpu-clock`,
notes the host time at which the guest prints each BENCH line, and prints
the `perf report` of that window.

usage: profile_part.py MIMIC [PART] [--out perf.data] [--append TEXT]
  PART: sieve, qsort, strings, simd, float or crc (default: all parts)
  --append: more kernel arguments, e.g. nokaslr to keep kernel addresses
  from one run to the next (for -dfilter).
Then read a block with: MIMIC -d in_asm,op_opt,out_asm -dfilter 0xPC+1 ...
"""
import argparse
import os
import subprocess
import sys
import time

import cpu_bench
from cpu_bench import build_guest


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mimic")
    parser.add_argument("part", nargs="?")
    parser.add_argument("--out", default="perf.data")
    parser.add_argument("--append", default="")
    args = parser.parse_args()
    workdir = os.path.join(build_guest.cache_dir() + "-cpu-bench-build")
    os.makedirs(workdir, exist_ok=True)
    guest = cpu_bench.bench_guest(cpu_bench.compile_bench(workdir))
    command = ["perf", "record", "-k", "CLOCK_MONOTONIC", "-e", "cpu-clock", "-o", args.out, "--",
               os.path.abspath(args.mimic), "-nographic", "-m", "512", "-no-reboot", "-nic", "none",
               "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
               "-append", build_guest.BASE_APPEND + " quiet mimic.end=poweroff " + args.append]
    vm = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          env=dict(os.environ, MIMIC_PERF_MAP="1"))
    start = end = previous = None
    for raw in vm.stdout:
        line = raw.decode(errors="replace").strip()
        now = time.monotonic()
        if "BENCH-START" in line:
            start = previous = now
        elif line.startswith("BENCH ") and previous is not None:
            print(line)
            if args.part and line.split()[1] == args.part:
                start, end = previous, now
            previous = now
        if "BENCH-DONE" in line:
            end = end or now
            break
    vm.terminate()
    vm.wait()
    if start is None or end is None:
        sys.exit("profile_part: the guest did not run the benchmark%s" % (" part " + args.part if args.part else ""))
    window = "%.6f,%.6f" % (start, end)
    print("window: perf report -i %s --time %s" % (args.out, window))
    report = subprocess.run(["perf", "report", "-i", args.out, "--time", window, "--no-children", "--sort", "sym",
                             "--stdio"], capture_output=True, text=True).stdout
    print("\n".join(line for line in report.splitlines() if line and not line.startswith("#"))[:6000])


if __name__ == "__main__":
    main()
