#!/usr/bin/env python3
"""Hostile command lines: Mimic refuses what QEMU 7.2 refuses, with its words.

Each row is a command line and the first line QEMU 7.2 prints on stderr
(without its "qemu-system-x86_64: " prefix) before exiting with status 1.
Mimic must exit 1, never crash or start, and print the same line after
"mimic-system-x86_64: ", unless the row records the words Mimic uses instead
(a divergence in wording only, both refusing). With qemu-system-x86_64
installed the recorded QEMU lines are checked against it too.

usage: hostile_command_line_test.py MIMIC_BINARY [--report]
  --report prints one line per row (same / wording / accepted / crash).
"""
import os
import shutil
import subprocess
import sys
import tempfile

BINARY = sys.argv[1]
REPORT = "--report" in sys.argv
QEMU = shutil.which("qemu-system-x86_64")
COMMON = ["-display", "none", "-nodefaults", "-S", "-monitor", "none"]
LONG = "a" * 70000

WORK = tempfile.mkdtemp(prefix="hostile-cli-")
IMG = os.path.join(WORK, "x.img")
with open(IMG, "wb") as f:
    f.truncate(1 << 20)
D = f"file={IMG},format=raw,"

# (arguments, QEMU 7.2's first stderr line, Mimic's own wording or None)
ROWS = [
    # -machine: keyval syntax, accelerators, type.
    (["-machine", "pc,accel=bogus"], "invalid accelerator bogus", None),
    (["-machine", "accel="], "no accelerator found", None),
    (["-machine", "accel=:"], "invalid accelerator ", None),
    (["-machine", "accel=tcg", "-accel", "tcg"], 'The -accel and "-machine accel=" options are incompatible', None),
    (["-machine", "accel=tcg", "-machine", "accel=bogus"], "invalid accelerator bogus", None),
    (["-machine", ","], "-machine ,: Invalid parameter ''", None),
    (["-machine", "pc,,"], "-machine pc,,: Invalid parameter ''", None),
    (["-machine", ",pc"], "-machine ,pc: Invalid parameter ''", None),
    (["-machine", "pc,a b=1"], "-machine pc,a b=1: Invalid parameter 'a b'", None),
    (["-machine", "pc,bogus"], "-machine pc,bogus: Expected '=' after parameter 'bogus'", None),
    (["-machine", "type="], "unsupported machine type", None),
    (["-machine", "bogus"], "unsupported machine type", None),
    (["-machine", "type=pc,,x"], "unsupported machine type", None),
    (["-machine", "pc,bogus=1"], "Property 'pc-i440fx-7.2-machine.bogus' not found", None),
    (["-machine", "pc,id=x"], "Property 'pc-i440fx-7.2-machine.id' not found", None),
    (["-machine", "pc,hpet=x"], "Parameter 'hpet' expects 'on' or 'off'", None),
    (["-machine", "pc,usb=maybe"], "Parameter 'usb' expects 'on' or 'off'",
     "Property 'pc-i440fx-7.2-machine.usb' not found"),
    # -cpu
    (["-cpu", ""], "-cpu option cannot be empty", None),
    (["-cpu", "qemu64", "-cpu", ""], "-cpu option cannot be empty", None),
    (["-cpu", ","], "unable to find CPU model ''", None),
    (["-cpu", "bogus"], "unable to find CPU model 'bogus'", None),
    (["-cpu", "qemu64,+bogus"], "Property 'qemu64-x86_64-cpu.bogus' not found",
     "can't apply global qemu64-x86_64-cpu.bogus=on: Property 'qemu64-x86_64-cpu.bogus' not found"),
    (["-cpu", "qemu64,sse4.2=maybe"], "can't apply global qemu64-x86_64-cpu.sse4.2=maybe: "
                                      "Parameter 'sse4.2' expects 'on' or 'off'",
     "Parameter 'sse4.2' expects 'on' or 'off'"),
    (["-cpu", "qemu64,family=99999999999"], "can't apply global qemu64-x86_64-cpu.family=99999999999: "
     "Property .family doesn't take value 99999999999 (minimum: 0, maximum: 270)",
     "Parameter 'family' expects 'on' or 'off'"),
    # -m: sizes as QEMU reads them.
    (["-m", "1.5"], "-m 1.5: Parameter 'size' expects a non-negative number below 2^64", None),
    (["-m", "0.5"], "-m 0.5: Parameter 'size' expects a non-negative number below 2^64", None),
    (["-m", "1.5e3k"], "-m 1.5e3k: Parameter 'size' expects a non-negative number below 2^64", None),
    (["-m", "-1"], "-m -1: Parameter 'size' expects a non-negative number below 2^64", None),
    (["-m", "64 "], "-m 64 : Parameter 'size' expects a non-negative number below 2^64", None),
    (["-m", "16E"], "-m 16E: Value '16E' is out of range for parameter 'size'", None),
    (["-m", "18446744073709551616"],
     "-m 18446744073709551616: Value '18446744073709551616' is out of range for parameter 'size'", None),
    (["-m", "17592186044416"], "Parameter 'memory.size' expects size", None),
    (["-m", "8T"], "cannot set up guest memory 'pc.ram': Cannot allocate memory", None),
    (["-m", "8E"], "cannot set up guest memory 'pc.ram': Cannot allocate memory", None),
    (["-m", "64,bogus=1"], "-m 64,bogus=1: Invalid parameter 'bogus'", None),
    (["-m", "slots=2"], "slots specified but no max-size",
     "-m slots=2: memory hotplug (slots, maxmem) is not supported yet"),
    # -smp: overflowing counts.
    (["-smp", "99999999999"], "Invalid SMP CPUs 1215752191. The max CPUs supported by machine 'pc-i440fx-7.2' is 255",
     "-smp 99999999999: Parameter 'cpus' expects a number"),
    (["-smp", "-1"], "Invalid SMP CPUs -1. The max CPUs supported by machine 'pc-i440fx-7.2' is 255",
     "-smp -1: Parameter 'cpus' expects a number"),
    (["-smp", "300"], "Invalid SMP CPUs 300. The max CPUs supported by machine 'pc-i440fx-7.2' is 255",
     "-smp 300: Invalid SMP CPUs 300. The max CPUs supported by machine 'pc-i440fx-7.2' is 255"),
    (["-smp", "2,bogus=1"], "Parameter 'smp.bogus' is unexpected", "-smp 2,bogus=1: Invalid parameter 'bogus'"),
    (["-smp", "cpus="], "Parameter 'smp.cpus' expects integer", "-smp cpus=: Parameter 'cpus' expects a number"),
    # -drive: values QEMU checks, in its order.
    (["-drive", D + "werror=bogus"], f"-drive {D}werror=bogus: 'bogus' invalid write error action", None),
    (["-drive", D + "werror="], f"-drive {D}werror=: '' invalid write error action", None),
    (["-drive", D + "rerror=bogus"], f"-drive {D}rerror=bogus: 'bogus' invalid read error action", None),
    (["-drive", D + "rerror=enospc"], f"-drive {D}rerror=enospc: 'enospc' invalid read error action", None),
    (["-drive", D + "werror=bogus,rerror=bogus"],
     f"-drive {D}werror=bogus,rerror=bogus: 'bogus' invalid write error action", None),
    (["-drive", D + "file.locking=bogus"], f"-drive {D}file.locking=bogus: invalid parameter value: bogus", None),
    (["-drive", D + "file.locking="], f"-drive {D}file.locking=: invalid parameter value: ", None),
    (["-drive", "if=none,file.locking=bogus"], "-drive if=none,file.locking=bogus: Must specify either driver or file",
     None),
    (["-drive", D + "discard=bogus"], f"-drive {D}discard=bogus: Invalid discard option", None),
    (["-drive", D + "detect-zeroes=bogus"], f"-drive {D}detect-zeroes=bogus: invalid parameter value: bogus", None),
    (["-drive", D + "copy-on-read=bogus"],
     f"-drive {D}copy-on-read=bogus: Parameter 'copy-on-read' expects 'on' or 'off'", None),
    (["-drive", D + "cache.direct=bogus"],
     f"-drive {D}cache.direct=bogus: Parameter 'cache.direct' expects 'on' or 'off'", None),
    (["-drive", D + "cache.no-flush=bogus"],
     f"-drive {D}cache.no-flush=bogus: Parameter 'cache.no-flush' expects 'on' or 'off'", None),
    (["-drive", D + "readonly=bogus"], f"-drive {D}readonly=bogus: Parameter 'read-only' expects 'on' or 'off'", None),
    (["-drive", D + "cache=bogus"], f"-drive {D}cache=bogus: invalid cache option", None),
    (["-drive", D + "aio=bogus"], f"-drive {D}aio=bogus: invalid aio option", None),
    (["-drive", D + "werror=bogus,cache=bogus"], f"-drive {D}werror=bogus,cache=bogus: invalid cache option", None),
    (["-drive", D + "werror=bogus,format=bogus"],
     f"-drive {D}werror=bogus,format=bogus: 'bogus' invalid write error action", None),
    (["-drive", D + "werror=bogus,detect-zeroes=bogus"],
     f"-drive {D}werror=bogus,detect-zeroes=bogus: invalid parameter value: bogus", None),
    (["-drive", D + "media=bogus,werror=bogus"], f"-drive {D}media=bogus,werror=bogus: 'bogus' invalid media", None),
    (["-drive", D + "snapshot=bogus,werror=bogus"],
     f"-drive {D}snapshot=bogus,werror=bogus: Parameter 'snapshot' expects 'on' or 'off'", None),
    (["-drive", "file=/nonexistent,format=raw,werror=bogus"],
     "-drive file=/nonexistent,format=raw,werror=bogus: 'bogus' invalid write error action", None),
    (["-drive", "file=/nonexistent,format=raw,file.locking=bogus"],
     "-drive file=/nonexistent,format=raw,file.locking=bogus: invalid parameter value: bogus", None),
    (["-drive", D + "serial=abc"], f"-drive {D}serial=abc: Block format 'raw' does not support the option 'serial'",
     f"-drive {D}serial=abc: Invalid parameter 'serial'"),
    (["-drive", D + "bogus=1"], f"-drive {D}bogus=1: Block format 'raw' does not support the option 'bogus'",
     f"-drive {D}bogus=1: Invalid parameter 'bogus'"),
    (["-drive", D + "id=a", "-drive", D + "id=a,index=1"], f"-drive {D}id=a,index=1: Duplicate ID 'a' for drive",
     None),
    (["-drive", "file=" + IMG + ",,x,format=raw"], f"-drive file={IMG},,x,format=raw: "
     f"Could not open '{IMG},x': No such file or directory", None),
    # Very long strings.
    (["-smbios", "type=1,manufacturer=" + LONG], "SMBIOS 2.1 table length 70317 exceeds 65535", None),
    (["-smbios", "type=0,vendor=" + LONG], "SMBIOS 2.1 table length 70347 exceeds 65535", None),
    (["-machine", LONG], "unsupported machine type", None),
    (["-cpu", LONG], f"unable to find CPU model '{LONG}'", None),
    # Other options.
    (["-kernel", ""], "could not open kernel file '': No such file or directory", None),
    (["-smbios", "type=999"], "-smbios type=999: out of range!",
     "-smbios type=999: Don't know how to build fields for SMBIOS type 999"),
    (["-boot", "menu=maybe"], "Parameter 'boot.menu' expects 'on' or 'off'",
     "-boot menu=maybe: Parameter 'menu' expects 'on' or 'off'"),
    (["-boot", "order=z"], "Invalid boot device 'z'", "-boot order=z: Invalid boot device 'z'"),
    (["-uuid", "bogus"], "-uuid bogus: failed to parse UUID string: wrong format",
     "-uuid bogus: Fail to parse UUID string. Wrong format."),
    (["-vga", "bogus"], "unknown vga type: bogus", "-vga bogus: unknown vga type: bogus"),
    (["-object", "secret,id=a,data=x", "-object", "secret,id=a,data=y"],
     "-object secret,id=a,data=y: Duplicate ID 'a' for object", None),
    (["-netdev", "user,id=n", "-netdev", "user,id=n"], "-netdev user,id=n: Duplicate ID 'n' for netdev", None),
    (["-chardev", "null,id=c", "-chardev", "null,id=c"], "-chardev null,id=c: Duplicate ID 'c' for chardev", None),
    (["-device", ""], "-device : Parameter 'driver' is missing", None),
    (["-device", "bogus"], "-device bogus: 'bogus' is not a valid device model name", None),
    (["-accel", "bogus"], "-accel bogus: invalid accelerator bogus", None),
]


def first_line(binary, prefix, args):
    try:
        p = subprocess.run([binary, *COMMON, *args], capture_output=True, timeout=10,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "accepted", ""
    if p.returncode < 0:
        return "crash", f"signal {-p.returncode}"
    line = p.stderr.decode(errors="replace").split("\n")[0]
    # QEMU's loaders print some errors as "qemu: ..." instead of its name.
    for name in (prefix, "qemu: "):
        if line.startswith(name):
            return p.returncode, line[len(name):]
    return p.returncode, line


def short(text):
    return text if len(text) < 120 else text[:60] + f"...({len(text)})..." + text[-40:]


def main():
    failures = []
    counts = {"same": 0, "wording": 0, "accepted": 0, "crash": 0, "other": 0}
    for args, qemu_line, mimic_words in ROWS:
        if QEMU:
            code, line = first_line(QEMU, "qemu-system-x86_64: ", args)
            if (code, line) != (1, qemu_line):
                failures.append(f"QEMU changed: {short(' '.join(args))}: {code} {short(line)}")
        code, line = first_line(BINARY, "mimic-system-x86_64: ", args)
        if code in ("accepted", "crash"):
            kind = code
        elif code != 1:
            kind = "other"
        elif line == qemu_line:
            kind = "same"
        else:
            kind = "wording"
        counts[kind] += 1
        if REPORT:
            print(f"{kind:8} {short(' '.join(args))}")
        expected = mimic_words if mimic_words is not None else qemu_line
        if (code, line) != (1, expected):
            failures.append(f"{short(' '.join(args))}: mimic {code} {short(line)!r}, expected {short(expected)!r}")
    shutil.rmtree(WORK, ignore_errors=True)
    print(f"{len(ROWS)} hostile command lines: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for f in failures:
        print("FAIL " + f)
    print(f"{len(ROWS) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
