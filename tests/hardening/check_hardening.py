#!/usr/bin/env python3
"""Checks that a built binary carries the hardening cmake/Hardening.cmake
asks for, as readelf shows it:

- a position-independent executable (ELF type DYN, FLAGS_1 PIE);
- full RELRO: a GNU_RELRO segment and BIND_NOW (FLAGS BIND_NOW or FLAGS_1 NOW);
- stack protector: __stack_chk_fail referenced;
- _FORTIFY_SOURCE: at least one checked libc function (__*_chk) referenced.

usage: check_hardening.py BINARY...
"""
import re
import subprocess
import sys


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], check=True, capture_output=True, text=True).stdout


def problems(binary):
    found = []
    header = readelf("-h", binary)
    if not re.search(r"Type:\s+DYN", header):
        found.append("not a position-independent executable (ELF type is not DYN)")
    dynamic = readelf("-d", binary)
    if not re.search(r"\(FLAGS_1\).*\bPIE\b", dynamic):
        found.append("FLAGS_1 lacks PIE")
    if not (re.search(r"\(FLAGS\).*\bBIND_NOW\b", dynamic) or re.search(r"\(FLAGS_1\).*\bNOW\b", dynamic)):
        found.append("no BIND_NOW: relocations are resolved lazily (-z now missing)")
    if not re.search(r"^\s*GNU_RELRO\b", readelf("-l", binary), re.M):
        found.append("no GNU_RELRO segment (-z relro missing)")
    symbols = set()
    for line in readelf("--dyn-syms", binary).splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0].endswith(":"):
            symbols.add(fields[7].split("@")[0])
    if "__stack_chk_fail" not in symbols:
        found.append("__stack_chk_fail not referenced (no -fstack-protector-strong)")
    fortified = sorted(s for s in symbols if re.fullmatch(r"__\w+_chk", s) and s != "__stack_chk_fail")
    if not fortified:
        found.append("no __*_chk function referenced (no _FORTIFY_SOURCE)")
    return found, fortified


def main():
    failed = False
    for binary in sys.argv[1:]:
        found, fortified = problems(binary)
        if found:
            failed = True
            for problem in found:
                print(f"{binary}: {problem}")
        else:
            print(f"{binary}: PIE, full RELRO, stack protector, fortified ({', '.join(fortified[:6])}...)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
