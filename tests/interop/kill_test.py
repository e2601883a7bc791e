#!/usr/bin/env python3
"""SIGKILL in the middle of a write stream.

mimic-io receives writes to distinct regions with a flush after every few,
and is killed at a random moment. Afterwards `mimic-img check` (and
`qemu-img check` when installed) may find leaked clusters but nothing else,
and every write acknowledged before the last acknowledged flush reads back
intact.

usage: kill_test.py MIMIC_IMG MIMIC_IO [ROUNDS]
"""
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
    # Kill while requests are in flight, at a random point of the stream.
    killer = threading.Timer(rng.uniform(0.2, 1.2), proc.kill)
    killer.start()
    acked = 0
    for line in proc.stdout:
        if line == "256 MiB\n":
            acked += 1
    proc.wait()
    killer.cancel()
    feeder.join()
    durable = flush_points[acked - 1] if acked else 0

    p = subprocess.run([MIMIC_IMG, "check", img], capture_output=True, text=True)
    ok = p.returncode in (0, 3)
    if not ok:
        print(f"round {seed}: mimic-img check -> {p.returncode}\n{p.stdout}{p.stderr}")
    if QEMU_IMG:
        q = subprocess.run([QEMU_IMG, "check", img], capture_output=True, text=True)
        if q.returncode not in (0, 3):
            print(f"round {seed}: qemu-img check -> {q.returncode}\n{q.stdout}{q.stderr}")
            ok = False
    cmds = []
    for off, length, pat in writes[:durable]:
        cmds += ["-c", f"read -q -P {pat} {off} {length}"]
    if cmds:
        r = subprocess.run([MIMIC_IO, "-r", "-f", "qcow2", *cmds, img], capture_output=True, text=True)
        if r.returncode != 0 or "verification failed" in r.stdout:
            print(f"round {seed}: acknowledged data lost\n{r.stdout[:2000]}")
            ok = False
    print(f"round {seed} ({opts}): {len(writes)} writes, {durable} flushed, check rc {p.returncode}: "
          f"{'ok' if ok else 'FAIL'}")
    os.unlink(img)
    return ok


def main():
    ok = True
    with tempfile.TemporaryDirectory(prefix="mimic-kill-") as tmp:
        for seed in range(ROUNDS):
            opts = ["cluster_size=65536", "cluster_size=4096", "refcount_bits=1,cluster_size=512"][seed % 3]
            ok = one_round(tmp, seed, opts) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
