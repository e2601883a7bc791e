#!/usr/bin/env python3
"""Guest CPU speed, Mimic against QEMU TCG in the same run: cpu_bench.c
(integer, qsort, string routines, SSE2 loop, scalar double, CRC-32), built
here with the host's gcc -O2 -static, run by the init of the Linux test
guest (Debian's kernel, one vCPU, direct kernel boot) and timed by the
guest itself; also the boot cases of bench/boot (SeaBIOS to the GRUB menu,
Linux boot to the end of its init checks). Prints, as a Markdown table, the
median of RUNS runs per part for each emulator and the ratio mimic/qemu
(below 1 = Mimic faster). "total (host clock)" is the host's time from the
program's first line to its last: a check that the guest's clock is not
what makes Mimic look fast or slow.

usage: cpu_bench.py MIMIC [RUNS] [--parts-only] [--timeout S]
Needs qemu-system-x86_64 (Debian qemu-system-x86, 7.2 on bookworm) and,
for the boot cases, grub-mkrescue and xorriso. Both run with -nographic
-m 512 -nic none; QEMU with -accel tcg.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "boot"))
import boot_bench  # noqa: E402  (also puts boot_vm and build_guest on the path)
import boot_vm  # noqa: E402
import build_guest  # noqa: E402

SOURCE = os.path.join(HERE, "cpu_bench.c")
PARTS = ["sieve", "qsort", "strings", "simd", "float", "crc"]
HOST_TOTAL = "total (host clock)"
BENCH_LINE = re.compile(rb"^BENCH (\S+) ([0-9.]+)(?: ([0-9a-f]+))?\r?$", re.M)


def compile_bench(workdir):
    binary = os.path.join(workdir, "cpu-bench")
    subprocess.run(["gcc", "-O2", "-ftree-vectorize", "-static", "-o", binary, SOURCE], check=True)
    return binary


def parse(output):
    """{part: (seconds, checksum or None)} from the BENCH lines."""
    return {m.group(1).decode(): (float(m.group(2)), m.group(3) and m.group(3).decode())
            for m in BENCH_LINE.finditer(output)}


def bench_guest(binary):
    """The test guest with the program in its initramfs, run after the checks."""
    with open(binary, "rb") as f:
        program = f.read()
    # A cache directory of its own, so the test guest stays as it is.
    return build_guest.build(build_guest.cache_dir() + "-cpu-bench",
                             extra_files={"bin/cpu-bench": (program, 0o755)},
                             extra_init="/bin/cpu-bench || echo \"BENCH-FAILED $?\"\n")


def guest_parts(binary, extra, guest, timeout):
    """Seconds per part (and the totals) of one guest run."""
    args = ["-nographic", "-m", "512", "-no-reboot", "-kernel", os.path.join(guest, "vmlinuz"),
            "-initrd", os.path.join(guest, "initrd.img"),
            "-append", build_guest.BASE_APPEND + " quiet mimic.end=poweroff"]
    deadline = time.monotonic() + timeout
    with boot_vm.Vm(binary, args + extra) as vm:
        if not vm.wait_serial(b"BENCH-START", timeout):
            raise RuntimeError("%s: %s" % (binary, vm.why_not(b"BENCH-START", timeout)))
        started = vm.elapsed()
        if not vm.wait_serial(b"BENCH-DONE", max(1, deadline - time.monotonic())):
            raise RuntimeError("%s: %s" % (binary, vm.why_not(b"BENCH-DONE", timeout)))
        host_total = vm.elapsed() - started
        vm.wait_exit(30)  # the power-off; the checks' verdict comes first
        output = vm.output
    results = parse(output)
    missing = [p for p in PARTS + ["total"] if p not in results]
    if missing:
        raise RuntimeError("%s: no BENCH line for %s" % (binary, ", ".join(missing)))
    if b"MIMIC-GUEST: PASS" not in output:
        print("warning: %s: the guest's init checks did not pass" % binary, file=sys.stderr)
    results[HOST_TOTAL] = (host_total, None)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mimic")
    parser.add_argument("runs", nargs="?", type=int, default=5)
    parser.add_argument("--parts-only", action="store_true", help="skip the boot cases")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run (default 600)")
    args = parser.parse_args()
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        print("qemu-system-x86_64 not installed (apt-get install qemu-system-x86)")
        return 77
    if not args.parts_only:
        missing = boot_vm.missing_tools(["grub-mkrescue", "xorriso"])
        if missing:
            print("missing %s (or use --parts-only)" % " ".join(missing))
            return 77
    boot_bench.TIMEOUT_S = args.timeout
    version = subprocess.run([qemu, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    peers = [("qemu", qemu, ["-accel", "tcg", "-nic", "none"]), ("mimic", args.mimic, ["-nic", "none"])]
    times = {}  # row -> peer -> [seconds]
    wrong = []

    def record(row, peer, seconds):
        times.setdefault(row, {}).setdefault(peer, []).append(seconds)

    with tempfile.TemporaryDirectory() as workdir:
        program = compile_bench(workdir)
        # The same binary on the host: the checksums every guest must print.
        expected = parse(subprocess.run([program], check=True, capture_output=True).stdout)
        guest = bench_guest(program)
        for run in range(args.runs):
            for peer, binary, extra in peers:  # interleaved, so load drifts hit both
                print("run %d/%d: %s" % (run + 1, args.runs, peer), file=sys.stderr, flush=True)
                results = guest_parts(binary, extra, guest, args.timeout)
                for row, (seconds, check) in results.items():
                    record(row, peer, seconds)
                    if check is not None and check != expected[row][1]:
                        wrong.append("%s %s: checksum %s, expected %s" % (peer, row, check, expected[row][1]))
        if not args.parts_only:
            iso = boot_vm.grub_iso(workdir)
            linux = build_guest.build(build_guest.cache_dir())
            cases = [("SeaBIOS to GRUB menu", boot_bench.grub_menu, (iso,)),
                     ("Linux boot to init", boot_bench.linux_init, (linux,))]
            for name, measure, case_args in cases:
                for run in range(args.runs):
                    for peer, binary, extra in peers:
                        print("%s %d/%d: %s" % (name, run + 1, args.runs, peer), file=sys.stderr, flush=True)
                        record(name, peer, measure(binary, extra, *case_args))

    print("peer: %s (TCG); median of %d runs; load average %.1f" % (version, args.runs, os.getloadavg()[0]))
    print()
    print("| case | qemu (s) | mimic (s) | mimic/qemu |")
    print("|---|---:|---:|---:|")
    for row in PARTS + ["total", HOST_TOTAL, "SeaBIOS to GRUB menu", "Linux boot to init"]:
        if row not in times:
            continue
        q, m = statistics.median(times[row]["qemu"]), statistics.median(times[row]["mimic"])
        print("| %s | %.3f | %.3f | %.2f |" % (row, q, m, m / q if q else float("inf")))
    if wrong:
        print()
        for line in wrong:
            print("WRONG RESULT: " + line)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
