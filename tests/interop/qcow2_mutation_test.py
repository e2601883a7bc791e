#!/usr/bin/env python3
"""Damaged qcow2 images: mimic-img must never be more lenient than qemu-img.

Builds small qcow2 images with qemu-img/qemu-io (data, a backing file,
internal snapshots, compressed clusters, preallocated zero clusters, extended
L2 entries, v2 and v3, small clusters), then damages their metadata (header
fields, L1/L2 entries, subcluster bitmaps, refcount table and blocks,
snapshot table, file length) with a deterministic generator and runs `check`,
`info`, `map` and `convert -O raw` of both tools on each mutant.

Each outcome is reduced to a class: for check, clean / leaks / corrupt /
refused (the image did not open or the check failed); for the others, ok /
refused. A mutant where Mimic's class is milder than qemu-img's (clean where
qemu-img finds corruption, opens what qemu-img refuses) fails the test;
stricter outcomes are counted (and listed with --verbose) but allowed.

usage: qcow2_mutation_test.py MIMIC_IMG [--mutants N] [--seed S] [--verbose]
The mutant count defaults to $MIMIC_MUTANTS, else a CI-sized 300 (< 60 s).
Exit 77 when qemu-img is not installed.
"""
import argparse
import collections
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")

CHECK_CLASSES = {0: "clean", 2: "corrupt", 3: "leaks"}
# Milder first: opening what the other refuses is the most lenient outcome.
CHECK_SEVERITY = {"clean": 0, "leaks": 1, "corrupt": 2, "refused": 3}
OTHER_SEVERITY = {"ok": 0, "refused": 1}


def run(args, timeout=20):
    try:
        p = subprocess.run(args, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return p.returncode, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "timeout", ""


def must(args):
    code, err = run(args, timeout=60)
    if code != 0:
        raise RuntimeError(f"{' '.join(args)} -> {code}: {err}")


# ---------------------------------------------------------------- base images

def write_pattern(image, fmt, spans):
    cmds = []
    for i, (offset, length) in enumerate(spans):
        cmds += ["-c", f"write -P {0x11 + i * 7 & 0xff} {offset} {length}"]
    must([QEMU_IO, "-f", fmt, *cmds, image])


def build_bases(work):
    """(name, path) of each base image; backing files live beside them."""
    bases = []

    def create(name, opts, size="4M", backing=None):
        path = os.path.join(work, name + ".qcow2")
        args = [QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", opts]
        if backing:
            args += ["-b", backing, "-F", "qcow2"]
        must(args + [path, size])
        return path

    p = create("v3", "cluster_size=4096")
    write_pattern(p, "qcow2", [(0, 12288), (1 << 20, 4096), (3 << 20, 8192)])
    must([QEMU_IO, "-f", "qcow2", "-c", "write -z 4096 4096", p])   # a preallocated zero cluster
    bases.append(("v3", p))

    p = create("v2", "compat=0.10,cluster_size=4096")
    write_pattern(p, "qcow2", [(4096, 8192), (2 << 20, 4096)])
    bases.append(("v2", p))

    p = create("small", "cluster_size=512,refcount_bits=1", size="256K")
    write_pattern(p, "qcow2", [(0, 2048), (100 * 1024, 1536)])
    bases.append(("small", p))

    p = create("l2ext", "extended_l2=on,cluster_size=16384")
    write_pattern(p, "qcow2", [(0, 16384), (1 << 20, 6144), ((2 << 20) + 2048, 4096)])
    must([QEMU_IO, "-f", "qcow2", "-c", "write -z 8192 4096", p])   # zero subclusters
    bases.append(("l2ext", p))

    p = create("wide", "cluster_size=1024,refcount_bits=64", size="1M")
    write_pattern(p, "qcow2", [(0, 4096), (512 * 1024, 2048)])
    bases.append(("wide", p))

    base = create("backing", "cluster_size=4096")
    write_pattern(base, "qcow2", [(0, 1 << 20)])
    p = create("overlay", "cluster_size=4096", backing=base)
    write_pattern(p, "qcow2", [(8192, 4096), (2 << 20, 8192)])
    bases.append(("overlay", p))

    p = create("snap", "cluster_size=4096")
    write_pattern(p, "qcow2", [(0, 8192), (1 << 20, 4096)])
    must([QEMU_IMG, "snapshot", "-c", "one", p])
    write_pattern(p, "qcow2", [(4096, 4096), (3 << 20, 4096)])
    must([QEMU_IMG, "snapshot", "-c", "two", p])
    write_pattern(p, "qcow2", [(0, 4096)])
    bases.append(("snap", p))

    raw = os.path.join(work, "plain.raw")
    with open(raw, "wb") as f:
        for i in range(64):
            f.write(bytes([i]) * 2048 + bytes(range(256)) * 8)
    p = os.path.join(work, "compressed.qcow2")
    must([QEMU_IMG, "convert", "-q", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=4096", raw, p])
    bases.append(("compressed", p))
    return bases


# ------------------------------------------------------------------ structure

class Layout:
    """Where an image keeps its metadata: (kind, offset, length) regions,
    table entries with their reserved-bit masks."""

    def __init__(self, data):
        self.data = data
        be = lambda fmt, off: struct.unpack_from(">" + fmt, data, off)[0]
        self.version = be("I", 4)
        self.cluster_bits = be("I", 20)
        self.cluster = 1 << self.cluster_bits
        self.l1_size = be("I", 36)
        self.l1_offset = be("Q", 40)
        self.rt_offset = be("Q", 48)
        self.rt_clusters = be("I", 56)
        self.nb_snapshots = be("I", 60)
        self.snapshots_offset = be("Q", 64)
        self.refcount_order = be("I", 96) if self.version >= 3 else 4
        self.header_length = be("I", 100) if self.version >= 3 else 72
        incompatible = be("Q", 72) if self.version >= 3 else 0
        self.l2_entry_size = 16 if incompatible & 16 else 8   # extended L2: entry, bitmap
        self.entries = []   # (kind, offset): 8-byte table entries
        self.regions = [("header", 0, min(self.cluster, len(data)))]
        self.regions.append(("l1", self.l1_offset, self.l1_size * 8))
        self.add_l1(self.l1_offset, self.l1_size)
        self.regions.append(("reftable", self.rt_offset, self.rt_clusters * self.cluster))
        for i in range(self.rt_clusters * self.cluster // 8):
            off = self.rt_offset + i * 8
            if off + 8 > len(data):
                break
            entry = be("Q", off)
            if entry:
                self.entries.append(("reftable", off))
                self.regions.append(("refblock", entry & ~(self.cluster - 1) & ((1 << 56) - 1), self.cluster))
        if self.nb_snapshots:
            self.parse_snapshots()

    def add_l1(self, offset, size):
        for i in range(size):
            off = offset + i * 8
            if off + 8 > len(self.data):
                return
            entry = struct.unpack_from(">Q", self.data, off)[0]
            self.entries.append(("l1", off))
            l2 = entry & 0x00fffffffffffe00
            if l2 and l2 + self.cluster <= len(self.data):
                self.regions.append(("l2", l2, self.cluster))
                for j in range(self.cluster // self.l2_entry_size):
                    at = l2 + j * self.l2_entry_size
                    used = False
                    if struct.unpack_from(">Q", self.data, at)[0]:
                        self.entries.append(("l2", at))
                        used = True
                    if self.l2_entry_size == 16 and (used or struct.unpack_from(">Q", self.data, at + 8)[0]):
                        self.entries.append(("l2bitmap", at + 8))

    def parse_snapshots(self):
        off = self.snapshots_offset
        start = off
        for _ in range(self.nb_snapshots):
            if off + 40 > len(self.data):
                return
            l1_offset, l1_size, id_len, name_len = struct.unpack_from(">QIHH", self.data, off)
            extra = struct.unpack_from(">I", self.data, off + 36)[0]
            self.entries.append(("snapshot", off))
            self.add_l1(l1_offset, min(l1_size, 4096))
            self.regions.append(("snapshot-l1", l1_offset, l1_size * 8))
            off += 40 + extra + id_len + name_len
            off = (off + 7) & ~7
        self.regions.append(("snapshots", start, off - start))


# Header fields: (offset, size) in bytes.
HEADER_FIELDS = [(4, 4), (8, 8), (16, 4), (20, 4), (24, 8), (32, 4), (36, 4), (40, 8), (48, 8),
                 (56, 4), (60, 4), (64, 8), (72, 8), (80, 8), (88, 8), (96, 4), (100, 4), (104, 1)]
L1_RESERVED = 0x7f000000000001ff
L2_RESERVED = 0x3f000000000001fe
RT_RESERVED = 0x00000000000001ff


def interesting_values(layout, size, file_size):
    c = layout.cluster
    values = [0, 1, c - 1, c, c + 1, 2 * c, file_size, file_size + c, file_size - c,
              layout.l1_offset, layout.rt_offset, 1 << 62, (1 << (8 * size)) - 1,
              (1 << (8 * size - 1)), 0x200, 0x7fffffff, 0x80000000]
    return [v & ((1 << (8 * size)) - 1) for v in values]


def mutate(data, layout, rng):
    """A damaged copy of `data` and a short description."""
    out = bytearray(data)
    file_size = len(data)
    choice = rng.random()
    if choice < 0.22:
        off, size = rng.choice(HEADER_FIELDS)
        if layout.version < 3 and off >= 72:
            off, size = rng.choice(HEADER_FIELDS[:12])
        if rng.random() < 0.5:
            value = rng.choice(interesting_values(layout, size, file_size))
        else:
            value = int.from_bytes(out[off:off + size], "big") ^ (1 << rng.randrange(8 * size))
        out[off:off + size] = value.to_bytes(size, "big")
        return out, f"header[{off}:{size}]={value:#x}"
    if choice < 0.72 and layout.entries:
        kind, off = rng.choice(layout.entries)
        entry = struct.unpack_from(">Q", out, off)[0]
        how = rng.randrange(7)
        if kind == "snapshot":
            # The snapshot's L1 offset (0..8) or size (8..12).
            if rng.random() < 0.5:
                value = rng.choice(interesting_values(layout, 8, file_size))
                struct.pack_into(">Q", out, off, value)
                return out, f"snapshot@{off:#x} l1_offset={value:#x}"
            value = rng.choice([0, 1, 0xffffffff, layout.l1_size + 1, 1 << 26])
            struct.pack_into(">I", out, off + 8, value)
            return out, f"snapshot@{off:#x} l1_size={value:#x}"
        if kind == "l2bitmap":
            # Subcluster s is allocated (bit s) and/or zero (bit 32 + s).
            sc = rng.randrange(32)
            entry = rng.choice([entry ^ (1 << rng.randrange(64)), entry | (1 << sc) | (1 << (32 + sc)),
                                entry & 0xffffffff, entry >> 32 << 32, 0, rng.getrandbits(64)])
            struct.pack_into(">Q", out, off, entry)
            return out, f"{kind}@{off:#x}={entry:#018x}"
        reserved = {"l1": L1_RESERVED, "l2": L2_RESERVED, "reftable": RT_RESERVED}[kind]
        if kind == "l2" and entry & (1 << 62):
            reserved = 0   # compressed: every bit below the flags is data
        if how == 0 and reserved:
            bits = [b for b in range(64) if reserved >> b & 1]
            entry |= 1 << rng.choice(bits)
        elif how == 1:
            entry ^= 1 << rng.randrange(64)
        elif how == 2:
            entry = (entry & ~0x00fffffffffffe00) | (file_size + rng.randrange(1, 64) * layout.cluster)
        elif how == 3:
            entry = (entry & ~0x00fffffffffffe00) | rng.choice([layout.l1_offset, layout.rt_offset, 0,
                                                                  layout.cluster])
        elif how == 4:
            entry = (entry & ~0x00fffffffffffe00) | ((entry & 0x00fffffffffffe00) + 512)
        elif how == 5:
            entry = 0
        else:
            entry = rng.getrandbits(64)
        struct.pack_into(">Q", out, off, entry)
        return out, f"{kind}@{off:#x}={entry:#018x}"
    if choice < 0.9:
        regions = [r for r in layout.regions if r[2] > 0 and r[1] < file_size]
        kind, start, length = rng.choice(regions)
        length = min(length, file_size - start)
        pos = start + rng.randrange(length)
        if rng.random() < 0.5:
            out[pos] ^= 1 << rng.randrange(8)
        else:
            out[pos] = rng.randrange(256)
        return out, f"{kind} byte {pos:#x}={out[pos]:#04x}"
    # The file's length: cut inside the metadata, or grown.
    if rng.random() < 0.7:
        cut = rng.randrange(layout.cluster, file_size) & ~511
        return out[:cut], f"truncate {cut:#x}"
    return out + bytes(rng.randrange(1, 4) * layout.cluster), "grow"


# ------------------------------------------------------------------- outcomes

def outcomes(tool, image, work):
    """{command: class} for one tool on one image."""
    result = {}
    code, _ = run([tool, "check", image])
    result["check"] = CHECK_CLASSES.get(code, "refused") if code != "timeout" else "timeout"
    code, _ = run([tool, "info", image])
    result["info"] = "ok" if code == 0 else "refused"
    code, _ = run([tool, "map", "--output=json", image])
    result["map"] = "ok" if code == 0 else "refused"
    target = os.path.join(work, "out.raw")
    code, _ = run([tool, "convert", "-O", "raw", image, target])
    result["convert"] = "ok" if code == 0 else "refused"
    if os.path.exists(target):
        os.unlink(target)
    return result


def severity(command, cls):
    table = CHECK_SEVERITY if command == "check" else OTHER_SEVERITY
    return table.get(cls, max(table.values()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mimic_img")
    parser.add_argument("--mutants", type=int, default=int(os.environ.get("MIMIC_MUTANTS", "300")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("MIMIC_MUTATION_SEED", "2050")))
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--show", type=int, default=-1, help="print both tools' messages for this mutant")
    args = parser.parse_args()
    if not QEMU_IMG or not QEMU_IO:
        print("qemu-img/qemu-io not installed: skipped")
        return SKIP

    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="qcow2-mutants-")
    try:
        bases = build_bases(work)
        layouts = {}
        for name, path in bases:
            with open(path, "rb") as f:
                data = f.read()
            layouts[name] = (path, data, Layout(data))

        agree = collections.Counter()       # (command, class) both tools agree on
        stricter = collections.Counter()    # (command, qemu class, mimic class)
        lenient = []
        for n in range(args.mutants):
            name, _ = bases[n % len(bases)]
            path, data, layout = layouts[name]
            mutant, what = mutate(data, layout, rng)
            # The mutant sits where its base was, so a relative backing name resolves.
            image = os.path.join(work, f"m-{name}.qcow2")
            with open(image, "wb") as f:
                f.write(mutant)
            if args.show >= 0:
                if n != args.show:
                    continue
                print(what)
                for tool in (QEMU_IMG, args.mimic_img):
                    for command in (["check"], ["info"], ["map", "--output=json"], ["convert", "-O", "raw"]):
                        target = [os.path.join(work, "o.raw")] if command[0] == "convert" else []
                        code, err = run([tool, *command, image, *target])
                        print(f"{os.path.basename(tool)} {command[0]}: {code} {err.strip()[:600]}")
                return 0
            q = outcomes(QEMU_IMG, image, work)
            m = outcomes(args.mimic_img, image, work)
            for command in q:
                if q[command] == m[command]:
                    agree[(command, q[command])] += 1
                elif severity(command, m[command]) < severity(command, q[command]):
                    lenient.append(f"#{n} {name} {what}: {command} qemu-img {q[command]}, mimic-img {m[command]}")
                else:
                    stricter[(command, q[command], m[command])] += 1
                    if args.verbose:
                        print(f"stricter #{n} {name} {what}: {command} qemu-img {q[command]}, "
                              f"mimic-img {m[command]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    total = args.mutants * 4
    print(f"{args.mutants} mutants (seed {args.seed}), {total} outcomes: "
          f"{sum(agree.values())} agree, {sum(stricter.values())} stricter, {len(lenient)} more lenient")
    for (command, cls), count in sorted(agree.items()):
        print(f"  agree     {command:8} {cls:8} {count}")
    for (command, qcls, mcls), count in sorted(stricter.items()):
        print(f"  stricter  {command:8} qemu-img {qcls:8} mimic-img {mcls:8} {count}")
    for line in lenient:
        print("  LENIENT  " + line)
    print(f"{total - len(lenient)} passed, {len(lenient)} failed")
    return 1 if lenient else 0


if __name__ == "__main__":
    sys.exit(main())
