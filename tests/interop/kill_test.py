#!/usr/bin/env python3
"""SIGKILL in the middle of a write stream.

mimic-io receives writes to distinct regions with a flush after every few,
and is killed at a random moment. Afterwards `mimic-img check` (and
`qemu-img check` when installed) may find leaked clusters but nothing else,
and every write acknowledged before the last acknowledged flush reads back
intact. Images with lazy_refcounts=on are left dirty with stale refcounts:
both tools' `check -r all` must repair them, with the data intact.

usage: kill_test.py MIMIC_IMG MIMIC_IO [ROUNDS]
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading

MIMIC_IMG, MIMIC_IO = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 6
QEMU_IMG = shutil.which("qemu-img")
REGION = 192 * 1024


def one_round(tmp, seed, opts):
    rng = random.Random(seed)
    img = os.path.join(tmp, f"kill{seed}.qcow2")
    subprocess.run([MIMIC_IMG, "create", "-q", "-f", "qcow2", "-o", opts, img, "256M"], check=True)
    proc = subprocess.Popen([MIMIC_IO, "-f", "qcow2", img], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, bufsize=1)
    writes = []        # (offset, length, pattern) in submission order
    flush_points = []  # number of writes covered by the n-th flush
    for i in range(1200):
        off = i * REGION + rng.randrange(0, 64) * 512
        writes.append((off, rng.choice([512, 4096, 65536, 100 * 1024]), i % 250 + 1))
        if (i + 1) % 5 == 0:
            flush_points.append(i + 1)

    def feed():
        try:
            for i, (off, length, pat) in enumerate(writes):
                proc.stdin.write(f"write -P {pat} {off} {length}\n")
                if (i + 1) % 5 == 0:
                    proc.stdin.write("flush\nlength\n")
            proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass   # killed while we were still feeding it

    feeder = threading.Thread(target=feed)
    feeder.start()
    # Kill while requests are in flight, at a random point of the stream:
    # right after a random flush is acknowledged, with the writes after it
    # already queued (a kill by the clock could come after the last write
    # on a fast machine). The timer only ends a writer that hangs.
    kill_at = rng.randrange(10, len(flush_points) - 10)
    killer = threading.Timer(60, proc.kill)
    killer.start()
    acked = 0
    for line in proc.stdout:
        if line == "256 MiB\n":
            acked += 1
            if acked == kill_at:
                proc.kill()
    proc.wait()
    killer.cancel()
    feeder.join()
    durable = flush_points[acked - 1] if acked else 0

    lazy = "lazy_refcounts=on" in opts
    cmds = []
    for off, length, pat in writes[:durable]:
        cmds += ["-c", f"read -q -P {pat} {off} {length}"]

    def data_intact(path, what):
        if not cmds:
            return True
        r = subprocess.run([MIMIC_IO, "-r", "-f", "qcow2", *cmds, path], capture_output=True, text=True)
        if r.returncode != 0 or "verification failed" in r.stdout:
            print(f"round {seed}: acknowledged data lost ({what})\n{r.stdout[:2000]}")
            return False
        return True

    def checked(tool, path, allowed, what):
        p = subprocess.run([tool, "check", path], capture_output=True, text=True)
        if p.returncode not in allowed:
            print(f"round {seed}: {os.path.basename(tool)} check ({what}) -> {p.returncode}\n{p.stdout}{p.stderr}")
            return False, p.returncode
        return True, p.returncode

    # Without lazy refcounts: at most leaks. With them, a writer killed
    # mid-run leaves the dirty bit set and refcounts stale: errors (2) are
    # expected then, and both tools' check -r all must repair them.
    dirty = False
    if lazy:
        info = subprocess.run([MIMIC_IMG, "info", "--output=json", img], capture_output=True, text=True)
        dirty = json.loads(info.stdout).get("dirty-flag", False)
    allowed = (0, 2, 3) if dirty else (0, 3)
    ok, rc = checked(MIMIC_IMG, img, allowed, "killed")
    if QEMU_IMG:
        ok = checked(QEMU_IMG, img, allowed, "killed")[0] and ok
    ok = data_intact(img, "killed") and ok
    if lazy:
        repairers = [MIMIC_IMG] + ([QEMU_IMG] if QEMU_IMG else [])
        for repairer in repairers:
            fixed = img + ".fixed"
            shutil.copyfile(img, fixed)
            r = subprocess.run([repairer, "check", "-r", "all", fixed], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"round {seed}: {os.path.basename(repairer)} check -r all -> {r.returncode}\n{r.stdout}{r.stderr}")
                ok = False
            for tool in [MIMIC_IMG] + ([QEMU_IMG] if QEMU_IMG else []):
                ok = checked(tool, fixed, (0,), f"after {os.path.basename(repairer)} -r all")[0] and ok
            ok = data_intact(fixed, f"after {os.path.basename(repairer)} -r all") and ok
            os.unlink(fixed)
    state = "dirty" if dirty else "clean"
    print(f"round {seed} ({opts}): {len(writes)} writes, {durable} flushed, {state}, check rc {rc}: "
          f"{'ok' if ok else 'FAIL'}")
    os.unlink(img)
    return ok, dirty


OPTIONS = ["cluster_size=65536", "cluster_size=4096", "refcount_bits=1,cluster_size=512",
           "lazy_refcounts=on,cluster_size=65536", "lazy_refcounts=on,refcount_bits=2,cluster_size=4096"]


def main():
    ok = True
    lazy_dirty = 0
    with tempfile.TemporaryDirectory(prefix="mimic-kill-") as tmp:
        for seed in range(ROUNDS):
            opts = OPTIONS[seed % len(OPTIONS)]
            round_ok, dirty = one_round(tmp, seed, opts)
            ok = round_ok and ok
            lazy_dirty += dirty
    # Lazy refcounts that were written eagerly would never leave the bit set.
    if ROUNDS >= len(OPTIONS) and lazy_dirty == 0:
        print("no lazy-refcounts round was left dirty by the kill")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
