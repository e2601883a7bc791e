#!/usr/bin/env python3
"""VM exits per second on KVM: Mimic against QEMU 7.2 on the same /dev/kvm,
in the same run.

A 64 KiB -bios image of hand-assembled real-mode code runs a loop of N
accesses that KVM hands to userspace, then reports through isa-debug-exit:
  pio   N x `out 0x80, al` (the POST code port: nothing listens)
  mmio  N x `mov al, [0]` with DS=0xa000: the VGA window, which with
        -nodefaults nothing claims, so every read exits to userspace
Each emulator runs each loop `--runs` times; the best wall time (start to
exit, minus the same image with N=0) gives exits per second.

    bench/kvm_exits/kvm_exits_bench.py build/mimic-system-x86_64 [--count 20000] [--runs 3]
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time

QEMU = "/usr/bin/qemu-system-x86_64"


def image(kind, count):
    """The firmware: from the reset vector to F000:0000, the loop, then exit 0."""
    setup = b""
    if kind == "pio":
        access = b"\xe6\x80"                        # out 0x80, al
    else:
        setup = b"\xb8\x00\xa0\x8e\xd8"              # mov ax, 0xa000; mov ds, ax
        access = b"\xa0\x00\x00"                    # mov al, [0]
    body = access + b"\x66\x49"                     # dec ecx
    body += b"\x75" + struct.pack("<b", -(len(body) + 2))   # jnz loop
    code = setup + b"\x66\xb9" + struct.pack("<I", count)   # mov ecx, count
    code += b"\x67\xe3" + struct.pack("<b", len(body))      # jecxz done
    code += body
    # done: status (0 << 1) | 1 through isa-debug-exit, then halt.
    code += b"\x31\xc0\xba\xf4\x00\xef\xf4\xeb\xfd"       # xor ax,ax; mov dx,0xf4; out dx,ax; hlt; jmp $-1
    rom = bytearray(b"\xf4" * 65536)
    rom[0:len(code)] = code
    rom[0xfff0:0xfff5] = b"\xea\x00\x00\x00\xf0"     # jmp f000:0000
    return bytes(rom)


def run_once(binary, path):
    start = time.monotonic()
    result = subprocess.run([binary, "-accel", "kvm", "-display", "none", "-nodefaults", "-bios", path,
                             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    elapsed = time.monotonic() - start
    if result.returncode != 1:
        raise RuntimeError("%s exited %d: %s" % (binary, result.returncode, result.stderr.decode()[-500:]))
    return elapsed


def measure(binary, kind, count, runs, workdir):
    paths = []
    for n in (0, count):
        path = os.path.join(workdir, "%s-%d.bin" % (kind, n))
        with open(path, "wb") as f:
            f.write(image(kind, n))
        paths.append(path)
    empty = min(run_once(binary, paths[0]) for _ in range(runs))
    full = min(run_once(binary, paths[1]) for _ in range(runs))
    return count / max(full - empty, 1e-6), full, empty


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mimic")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        print("%-5s %14s %14s %7s" % ("loop", "Mimic exits/s", "QEMU exits/s", "ratio"))
        for kind in ("pio", "mmio"):
            mimic, mfull, mempty = measure(args.mimic, kind, args.count, args.runs, workdir)
            qemu, qfull, qempty = measure(QEMU, kind, args.count, args.runs, workdir)
            print("%-5s %14.0f %14.0f %7.2f   (%d exits; Mimic %.2f-%.2f s, QEMU %.2f-%.2f s)"
                  % (kind, mimic, qemu, mimic / qemu, args.count, mfull, mempty, qfull, qempty))
    return 0


if __name__ == "__main__":
    sys.exit(main())
