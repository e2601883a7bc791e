#!/usr/bin/env python3
"""Interop of mimic-img/mimic-io with Debian's qemu-img, both ways.

Images Mimic writes must pass `qemu-img check` and convert to the same raw
bytes with either tool; images qemu-img/qemu-io write must read the same in
Mimic and pass `mimic-img check`; `info --output=json` must agree.

usage: qcow2_interop.py MIMIC_IMG MIMIC_IO   (exit 77 = skipped)
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
MIMIC_IMG, MIMIC_IO = sys.argv[1], sys.argv[2]
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
failures = []


def run(*args, ok=(0,), timeout=60):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if p.returncode not in ok:
        raise RuntimeError(f"{' '.join(args)} -> {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def check(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name} {detail}")


def same_raw(name, img, fmt="qcow2"):
    """Both tools convert `img` to identical raw bytes."""
    q, m = img + ".q.raw", img + ".m.raw"
    run(QEMU_IMG, "convert", "-f", fmt, "-O", "raw", img, q)
    run(MIMIC_IMG, "convert", "-f", fmt, "-O", "raw", img, m)
    with open(q, "rb") as a, open(m, "rb") as b:
        check(name + " raw", a.read() == b.read(), "convert -O raw differs")
    os.unlink(q)
    os.unlink(m)


def same_info(name, img):
    q = json.loads(run(QEMU_IMG, "info", "--output=json", img).stdout)
    mtext = run(MIMIC_IMG, "info", "--output=json", img).stdout
    qtext = run(QEMU_IMG, "info", "--output=json", img).stdout
    m = json.loads(mtext)
    check(name + " info", q == m, f"\nqemu:  {q}\nmimic: {m}")
    check(name + " info text", qtext == mtext, "key order or layout differs")
    qh = run(QEMU_IMG, "info", img).stdout
    mh = run(MIMIC_IMG, "info", img).stdout
    check(name + " info human", qh == mh, f"\n{qh}\n---\n{mh}")


def both_check(name, img):
    p = run(QEMU_IMG, "check", img, ok=(0, 1, 2, 3))
    check(name + " qemu check", p.returncode == 0, p.stdout + p.stderr)
    p = run(MIMIC_IMG, "check", img, ok=(0, 1, 2, 3))
    check(name + " mimic check", p.returncode == 0, p.stdout + p.stderr)


# Clusters ever written per image: qemu-io only writes compressed data to
# clusters never allocated, so the scripts stay within that.
touched = {}


def io_script(rng, size, cluster, allow_compress, img=""):
    """A deterministic mix of writes, zero writes, discards and compressed writes."""
    used = touched.setdefault(img, set())
    cmds = []
    for _ in range(24):
        kind = rng.random()
        off = rng.randrange(0, size // 512) * 512
        length = min(rng.choice([512, 4096, cluster, 3 * cluster + 1024, 70000 // 512 * 512]), size - off)
        if length <= 0:
            continue
        pat = rng.randrange(1, 255)
        if kind >= 0.85 and allow_compress:
            coff = rng.randrange(0, size // cluster) * cluster
            if coff // cluster not in used:
                used.add(coff // cluster)
                cmds.append(f"write -c -P {pat} {coff} {cluster}")
            continue
        used.update(range(off // cluster, (off + length + cluster - 1) // cluster))
        if kind < 0.6:
            cmds.append(f"write -P {pat} {off} {length}")
        elif kind < 0.75:
            cmds.append(f"write -z {off} {length}")
        else:
            cmds.append(f"discard {off} {length}")
    return cmds


def apply_io(tool, img, cmds, fmt="qcow2"):
    args = [tool, "-f", fmt]
    for c in cmds:
        args += ["-c", c]
    args.append(img)
    run(*args)


VARIANTS = [
    ("v3", "compat=1.1"),
    ("v2", "compat=0.10"),
    ("c512", "cluster_size=512"),
    ("c4k", "cluster_size=4096"),
    ("c2M", "cluster_size=2M"),
    ("rc1", "refcount_bits=1"),
    ("rc2", "refcount_bits=2"),
    ("rc4", "refcount_bits=4"),
    ("rc8", "refcount_bits=8"),
    ("rc32", "refcount_bits=32"),
    ("rc64", "refcount_bits=64"),
    ("lazy", "lazy_refcounts=on"),
    ("zstd", "compression_type=zstd"),
    ("l2ext", "extended_l2=on"),
    ("meta", "preallocation=metadata"),
    ("falloc", "preallocation=falloc"),
    ("full", "preallocation=full"),
]


def mimic_writes(tmp):
    for name, opts in VARIANTS:
        img = os.path.join(tmp, f"m-{name}.qcow2")
        size = 8 << 20 if "2M" in name else 4 << 20
        try:
            run(MIMIC_IMG, "create", "-q", "-f", "qcow2", "-o", opts, img, str(size))
            cluster = json.loads(run(QEMU_IMG, "info", "--output=json", img).stdout)["cluster-size"]
            rng = random.Random(name)
            apply_io(MIMIC_IO, img, io_script(rng, size, cluster, True, img))
            both_check("mimic " + name, img)
            same_raw("mimic " + name, img)
            same_info("mimic " + name, img)
            if name == "rc1":
                continue   # a refcount of 1 leaves no room for snapshots
            # Snapshots, then more writes, then revert.
            run(MIMIC_IMG, "snapshot", "-c", "snap1", img)
            apply_io(MIMIC_IO, img, io_script(rng, size, cluster, True, img))
            both_check("mimic snap " + name, img)
            same_info("mimic snap " + name, img)
            run(MIMIC_IMG, "snapshot", "-a", "snap1", img)
            both_check("mimic apply " + name, img)
            same_raw("mimic apply " + name, img)
            run(MIMIC_IMG, "snapshot", "-d", "snap1", img)
            both_check("mimic delete " + name, img)
            # Grow, write past the old end, shrink.
            run(MIMIC_IMG, "resize", img, str(size * 2))
            apply_io(MIMIC_IO, img, [f"write -P 9 {size + 4096} 8192"])
            both_check("mimic grow " + name, img)
            same_raw("mimic grow " + name, img)
            if "meta" not in name and "falloc" not in name and "full" not in name:
                run(MIMIC_IMG, "resize", "--shrink", img, str(size // 2))
                both_check("mimic shrink " + name, img)
                same_raw("mimic shrink " + name, img)
            same_info("mimic resized " + name, img)
        except Exception as e:  # one broken variant must not hide the others
            check("mimic " + name, False, str(e))


def qemu_writes(tmp):
    for name, opts in VARIANTS:
        img = os.path.join(tmp, f"q-{name}.qcow2")
        size = 8 << 20 if "2M" in name else 4 << 20
        try:
            run(QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", opts, img, str(size))
            cluster = json.loads(run(QEMU_IMG, "info", "--output=json", img).stdout)["cluster-size"]
            rng = random.Random("q" + name)
            # qemu-io refuses compressed writes into preallocated clusters,
            # and narrow refcounts overflow once compressed clusters share
            # a host cluster and a snapshot adds a reference.
            q_compress = name not in ("rc1", "meta", "falloc", "full")
            q_snapshot = name not in ("rc1", "rc2")
            apply_io(QEMU_IO, img, io_script(rng, size, cluster, q_compress, img))
            if q_snapshot:
                run(QEMU_IMG, "snapshot", "-c", "s1", img)
            apply_io(QEMU_IO, img, io_script(rng, size, cluster, q_compress, img))
            both_check("qemu " + name, img)
            same_raw("qemu " + name, img)
            same_info("qemu " + name, img)
            # Mimic writes on top of a qemu-made image.
            apply_io(MIMIC_IO, img, io_script(rng, size, cluster, True, img))
            both_check("qemu+mimic " + name, img)
            same_raw("qemu+mimic " + name, img)
            if not q_snapshot:
                continue
            # convert -l reads the snapshot without applying it.
            q, m = img + ".snap.q.raw", img + ".snap.m.raw"
            run(QEMU_IMG, "convert", "-l", "s1", "-O", "raw", img, q)
            run(MIMIC_IMG, "convert", "-l", "s1", "-O", "raw", img, m)
            check("convert -l " + name, open(q, "rb").read() == open(m, "rb").read(), "snapshot contents differ")
            os.unlink(q)
            os.unlink(m)
            run(MIMIC_IMG, "snapshot", "-a", "s1", img)
            both_check("qemu+mimic apply " + name, img)
            same_raw("qemu+mimic apply " + name, img)
        except Exception as e:
            check("qemu " + name, False, str(e))


def chains(tmp):
    base = os.path.join(tmp, "base.qcow2")
    mid = os.path.join(tmp, "mid.qcow2")
    top = os.path.join(tmp, "top.qcow2")
    try:
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", base, "4M")
        apply_io(QEMU_IO, base, ["write -P 1 0 1M", "write -c -P 2 1M 64k"])
        run(MIMIC_IMG, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", mid)
        apply_io(MIMIC_IO, mid, ["write -P 3 512k 100k", "write -z 0 4096"])
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", top)
        apply_io(QEMU_IO, top, ["write -P 4 2M 64k"])
        apply_io(MIMIC_IO, top, ["write -P 5 3M 4096", "discard 2M 64k"])
        for img in (base, mid, top):
            both_check("chain " + os.path.basename(img), img)
            same_info("chain " + os.path.basename(img), img)
        same_raw("chain top", top)
        qc = run(QEMU_IMG, "info", "--backing-chain", "--output=json", top).stdout
        mc = run(MIMIC_IMG, "info", "--backing-chain", "--output=json", top).stdout
        check("chain info backing-chain", json.loads(qc) == json.loads(mc), f"\n{qc}\n{mc}")
        qm = run(QEMU_IMG, "map", "--output=json", top).stdout
        mm = run(MIMIC_IMG, "map", "--output=json", top).stdout
        check("chain map", qm == mm, f"\n{qm}\n{mm}")
        # convert with -B keeps only the top's data
        out = os.path.join(tmp, "conv-B.qcow2")
        run(MIMIC_IMG, "convert", "-O", "qcow2", "-B", "mid.qcow2", "-F", "qcow2", top, out)
        both_check("convert -B", out)
        same_raw("convert -B", out)
        # rebase top straight onto base (safe), then commit top into base
        before = os.path.join(tmp, "before.raw")
        run(QEMU_IMG, "convert", "-O", "raw", top, before)
        run(MIMIC_IMG, "rebase", "-b", "base.qcow2", "-F", "qcow2", top)
        both_check("rebase", top)
        after = os.path.join(tmp, "after.raw")
        run(QEMU_IMG, "convert", "-O", "raw", top, after)
        check("rebase content", open(before, "rb").read() == open(after, "rb").read(), "content changed")
        # a three-level chain committed two levels down with -b
        l0, l1, l2 = (os.path.join(tmp, f"c{i}.qcow2") for i in range(3))
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", l0, "4M")
        apply_io(QEMU_IO, l0, ["write -P 1 0 4M"])
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", "c0.qcow2", "-F", "qcow2", l1)
        apply_io(QEMU_IO, l1, ["write -P 2 1M 1M"])
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", "c1.qcow2", "-F", "qcow2", l2)
        apply_io(QEMU_IO, l2, ["write -P 3 1536k 1M", "write -z 0 64k"])
        want = os.path.join(tmp, "want.raw")
        run(QEMU_IMG, "convert", "-O", "raw", l2, want)
        run(MIMIC_IMG, "commit", "-b", "c0.qcow2", l2)
        got = os.path.join(tmp, "got.raw")
        run(QEMU_IMG, "convert", "-O", "raw", l0, got)
        check("commit -b", open(want, "rb").read() == open(got, "rb").read(), "base content differs")
        both_check("commit -b base", l0)
        both_check("commit -b top", l2)
        run(MIMIC_IMG, "commit", top)
        both_check("commit top", top)
        both_check("commit base", base)
        run(QEMU_IMG, "convert", "-O", "raw", base, after)
        check("commit content", open(before, "rb").read() == open(after, "rb").read(), "content changed")
    except Exception as e:
        check("chains", False, str(e))


def raw_and_convert(tmp):
    try:
        q = os.path.join(tmp, "src.qcow2")
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", q, "4M")
        apply_io(QEMU_IO, q, ["write -P 7 100k 300k", "write -c -P 8 2M 64k"])
        for extra in ([], ["-c"], ["-o", "compat=0.10"], ["-o", "cluster_size=4k,refcount_bits=1"]):
            out = os.path.join(tmp, "conv.qcow2")
            run(MIMIC_IMG, "convert", "-O", "qcow2", *extra, q, out)
            both_check("convert qcow2 " + " ".join(extra), out)
            same_raw("convert qcow2 " + " ".join(extra), out)
            os.unlink(out)
        r = os.path.join(tmp, "r.img")
        run(MIMIC_IMG, "convert", "-O", "raw", q, r)
        same_info("raw", r)
        p = run(MIMIC_IMG, "compare", q, r, ok=(0, 1))
        check("compare identical", p.returncode == 0, p.stdout)
        apply_io(MIMIC_IO, r, ["write -P 1 0 512"], fmt="raw")
        p = run(MIMIC_IMG, "compare", q, r, ok=(0, 1))
        check("compare differ", p.returncode == 1 and "Content mismatch at offset 0!" in p.stdout, p.stdout)
        for mode in ("falloc", "full"):
            r2 = os.path.join(tmp, f"r-{mode}.img")
            run(MIMIC_IMG, "create", "-q", "-f", "raw", "-o", f"preallocation={mode}", r2, "1M")
            same_info("raw " + mode, r2)
        # persistent bitmaps: counted by check, dropped cleanly on write
        bm = os.path.join(tmp, "bitmap.qcow2")
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", bm, "4M")
        run(QEMU_IMG, "bitmap", "--add", bm, "b0")
        apply_io(QEMU_IO, bm, ["write -P 1 0 1M"])
        p = run(MIMIC_IMG, "check", bm, ok=(0, 1, 2, 3))
        check("bitmap check", p.returncode == 0, p.stdout + p.stderr)
        apply_io(MIMIC_IO, bm, ["write -P 2 1M 64k"])
        both_check("bitmap dropped", bm)
        # dd, with qemu-img's count/skip arithmetic
        for tool, out in ((QEMU_IMG, "q.dd"), (MIMIC_IMG, "m.dd")):
            run(tool, "dd", "-O", "raw", f"if={q}", f"of={os.path.join(tmp, out)}", "bs=64k", "count=20", "skip=2")
        check("dd", open(os.path.join(tmp, "q.dd"), "rb").read() == open(os.path.join(tmp, "m.dd"), "rb").read(),
              "dd output differs")
        # amend: v2 -> v3 with lazy refcounts, then back
        a = os.path.join(tmp, "amend.qcow2")
        run(MIMIC_IMG, "create", "-q", "-f", "qcow2", "-o", "compat=0.10", a, "4M")
        apply_io(MIMIC_IO, a, ["write -P 3 0 300k"])
        run(MIMIC_IMG, "amend", "-o", "compat=1.1,lazy_refcounts=on", a)
        both_check("amend v3", a)
        same_info("amend v3", a)
        run(MIMIC_IMG, "amend", "-o", "compat=0.10", a)
        both_check("amend v2", a)
        same_info("amend v2", a)
        same_raw("amend", a)
        for args in (["--size", "1G", "-O", "qcow2"], ["-O", "qcow2", q], ["-O", "raw", q]):
            qm = run(QEMU_IMG, "measure", *args).stdout
            mm = run(MIMIC_IMG, "measure", *args).stdout
            check("measure " + " ".join(args[:-1]), qm == mm, f"\n{qm}\n{mm}")
    except Exception as e:
        check("raw/convert", False, str(e))


def bitmap_bits(img):
    """{name: (flags, granularity_bits, bitmap bytes)} read straight from the file."""
    import struct
    with open(img, "rb") as f:
        data = f.read()
    cluster = 1 << struct.unpack_from(">I", data, 20)[0]
    size = struct.unpack_from(">Q", data, 24)[0]
    hdr_len = struct.unpack_from(">I", data, 100)[0]
    at, out = hdr_len, {}
    while at + 8 <= cluster:
        etype, elen = struct.unpack_from(">II", data, at)
        if etype == 0:
            break
        if etype == 0x23852875:
            count, _, dsize, doff = struct.unpack_from(">IIQQ", data, at + 8)
            pos = doff
            for _ in range(count):
                toff, tsize, flags, _type, gbits, nsize, extra = struct.unpack_from(">QIIBBHI", data, pos)
                name = data[pos + 24 + extra:pos + 24 + extra + nsize].decode()
                pos += (24 + extra + nsize + 7) & ~7
                nbytes = ((size + (1 << gbits) - 1) >> gbits) + 7 >> 3
                bits = bytearray()
                for j in range(tsize):
                    entry = struct.unpack_from(">Q", data, toff + 8 * j)[0]
                    n = min(cluster, nbytes - j * cluster)
                    host = entry & 0x00fffffffffffe00
                    bits += data[host:host + n] if host else (b"\xff" if entry & 1 else b"\0") * n
                out[name] = (flags, gbits, bytes(bits))
        at += 8 + ((elen + 7) & ~7)
    return out


def bitmaps(tmp):
    """Persistent bitmaps: Mimic tracks writes in enabled bitmaps as QEMU
    does, keeps disabled ones, and a writer killed mid-run leaves them
    in-use (inconsistent), shown alike by both tools."""
    try:
        base = os.path.join(tmp, "bm.qcow2")
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", base, "8M")
        run(QEMU_IMG, "bitmap", "--add", base, "bm0")
        run(QEMU_IMG, "bitmap", "--add", "-g", "128k", base, "wide")
        run(QEMU_IMG, "bitmap", "--add", "--disable", base, "off")
        apply_io(QEMU_IO, base, ["write -P 7 6M 64k"])   # "off" stays clean, the rest record it
        same_info("bitmaps fresh", base)
        qimg, mimg = base + ".q", base + ".m"
        shutil.copy(base, qimg)
        shutil.copy(base, mimg)
        rng = random.Random("bitmaps")
        cmds = io_script(rng, 8 << 20, 65536, True, "bm")
        apply_io(QEMU_IO, qimg, cmds)
        apply_io(MIMIC_IO, mimg, cmds)
        both_check("bitmaps mimic", mimg)
        same_raw("bitmaps mimic", mimg)
        same_info("bitmaps mimic", mimg)
        qb, mb = bitmap_bits(qimg), bitmap_bits(mimg)
        check("bitmaps names", sorted(qb) == sorted(mb), f"{sorted(qb)} vs {sorted(mb)}")
        for name in qb:
            if name in mb:
                check(f"bitmap {name} bits", qb[name] == mb[name], "dirty bits differ from QEMU's")
        check("bitmap off untouched", not any(mb.get("off", (0, 0, b"\1"))[2]), "disabled bitmap changed")
        check("bitmap bm0 recorded", any(mb.get("bm0", (0, 0, b""))[2]), "no bits set")
        # Resize: QEMU resizes the bitmaps with the disk.
        for img in (qimg, mimg):
            tool = QEMU_IMG if img == qimg else MIMIC_IMG
            run(tool, "resize", img, "20M")
        apply_io(MIMIC_IO, mimg, ["write -P 9 19M 64k"])
        apply_io(QEMU_IO, qimg, ["write -P 9 19M 64k"])
        both_check("bitmaps resized", mimg)
        same_info("bitmaps resized", mimg)
        qb, mb = bitmap_bits(qimg), bitmap_bits(mimg)
        check("bitmaps resized bits", qb == mb, "dirty bits differ after resize")
        # QEMU can still manage bitmaps Mimic kept.
        run(QEMU_IMG, "bitmap", "--remove", mimg, "wide")
        run(QEMU_IMG, "bitmap", "--clear", mimg, "bm0")
        both_check("bitmaps edited by qemu", mimg)
        same_info("bitmaps edited by qemu", mimg)
        # A writer killed while it holds the bitmaps leaves them in-use.
        proc = subprocess.Popen([MIMIC_IO, "-f", "qcow2", mimg], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
        proc.stdin.write("write -P 4 1M 4k\nlength\n")
        proc.stdin.flush()
        proc.stdout.readline()
        proc.stdout.readline()
        proc.stdout.readline()   # "20 MiB": the write is done
        proc.kill()
        proc.wait()
        same_info("bitmaps in-use", mimg)
        info = json.loads(run(MIMIC_IMG, "info", "--output=json", mimg).stdout)
        flags = [b["flags"] for b in info["format-specific"]["data"]["bitmaps"]]
        check("bitmaps in-use flags", all("in-use" in f for f in flags), str(flags))
        p = run(QEMU_IMG, "check", mimg, ok=(0, 1, 2, 3))
        check("bitmaps in-use qemu check", p.returncode == 0, p.stdout + p.stderr)
        p = run(MIMIC_IMG, "check", mimg, ok=(0, 1, 2, 3))
        check("bitmaps in-use mimic check", p.returncode == 0, p.stdout + p.stderr)
        # Mimic opens it read-write again, leaving the inconsistent bitmaps alone.
        apply_io(MIMIC_IO, mimg, ["write -P 5 2M 4k"])
        same_info("bitmaps in-use reopened", mimg)
        both_check("bitmaps in-use reopened", mimg)
    except Exception as e:
        check("bitmaps", False, str(e))


def lazy_dirty(tmp):
    """A dirty lazy-refcounts image (QEMU killed mid-write): both tools
    report it alike, and either tool's check -r all repairs it."""
    try:
        img = os.path.join(tmp, "dirty.qcow2")
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", img, "16M")
        subprocess.run([QEMU_IO, "-c", "write -P 6 0 1M", "-c", "write -P 8 9M 192k", "-c", "abort", img],
                       capture_output=True)
        same_info("dirty", img)
        q = run(QEMU_IMG, "check", img, ok=(0, 1, 2, 3))
        m = run(MIMIC_IMG, "check", img, ok=(0, 1, 2, 3))
        check("dirty check rc", q.returncode == m.returncode == 2, f"qemu {q.returncode} mimic {m.returncode}")
        for tool, other in ((MIMIC_IMG, QEMU_IMG), (QEMU_IMG, MIMIC_IMG)):
            copy = img + ".fix"
            shutil.copy(img, copy)
            run(tool, "check", "-r", "all", copy)
            both_check(f"dirty repaired by {os.path.basename(tool)}", copy)
            same_info(f"dirty repaired by {os.path.basename(tool)}", copy)
            same_raw(f"dirty repaired by {os.path.basename(tool)}", copy)
            os.unlink(copy)
        # A read-write open repairs it too.
        apply_io(MIMIC_IO, img, ["read -P 6 0 1M", "read -P 8 9M 192k"])
        both_check("dirty repaired on open", img)
        same_info("dirty repaired on open", img)
    except Exception as e:
        check("lazy dirty", False, str(e))


def io_commands(tmp):
    """mimic-io's map, alloc and aio_* print what qemu-io prints."""
    try:
        img = os.path.join(tmp, "iocmd.qcow2")
        run(QEMU_IMG, "create", "-q", "-f", "qcow2", img, "4M")
        apply_io(QEMU_IO, img, ["write -P 1 0 64k", "write -z 1M 128k", "write -P 2 3M 512"])
        cmds = ["map", "alloc 0 64k", "alloc 64k 512", "alloc 0", "alloc 1M 1M", "alloc 3M 4M", "alloc 100"]
        args = []
        for c in cmds:
            args += ["-c", c]
        q = subprocess.run([QEMU_IO, "-r", "-f", "qcow2", *args, img], capture_output=True, text=True)
        m = subprocess.run([MIMIC_IO, "-r", "-f", "qcow2", *args, img], capture_output=True, text=True)
        check("mimic-io map/alloc", q.stdout == m.stdout and q.returncode == m.returncode,
              f"\n{q.stdout}---\n{m.stdout}")
        # Asynchronous requests: several in flight, drained by aio_flush;
        # the report lines are qemu-io's (timings aside).
        aio = ["aio_write -P 3 2M 4k", "aio_write -P 4 2162688 4k 4k", "aio_write -z 3M 64k", "aio_flush",
               "aio_read -P 3 2M 4k", "aio_read -P 4 2162688 4k 4k", "aio_read -P 0 3M 64k", "aio_flush"]
        outs = []
        for tool in (QEMU_IO, MIMIC_IO):
            work = img + ".aio"
            shutil.copy(img, work)
            args = []
            for c in aio:
                args += ["-c", c]
            p = subprocess.run([tool, "-f", "qcow2", *args, work], capture_output=True, text=True)
            lines = sorted(l for l in p.stdout.splitlines() if not l.endswith("ops/sec)"))
            outs.append((p.returncode, lines))
            same_raw_path = work
            if tool == MIMIC_IO:
                both_check("mimic-io aio", same_raw_path)
            os.unlink(work)
        check("mimic-io aio output", outs[0] == outs[1], f"\n{outs[0]}\n{outs[1]}")
        # A failed verification or request is reported; like qemu-io, the
        # exit status stays 0.
        res = []
        for tool in (QEMU_IO, MIMIC_IO):
            p = subprocess.run([tool, "-r", "-f", "qcow2", "-c", "aio_read -P 9 0 4k", "-c", "aio_read 8M 4k", img],
                               capture_output=True, text=True)
            res.append((p.returncode, sorted(l for l in p.stdout.splitlines() if not l.endswith("ops/sec)"))))
        check("mimic-io aio verify", res[0] == res[1] and "Pattern verification failed at offset 0, 4096 bytes" in res[1][1],
              f"{res}")
    except Exception as e:
        check("io commands", False, str(e))


def main():
    if not QEMU_IMG or not QEMU_IO:
        print("qemu-img/qemu-io not installed; skipping")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="mimic-interop-") as tmp:
        mimic_writes(tmp)
        qemu_writes(tmp)
        chains(tmp)
        raw_and_convert(tmp)
        bitmaps(tmp)
        lazy_dirty(tmp)
        io_commands(tmp)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
