"""QMP under load: 20 clients at once, each on a QMP monitor of its own,
issuing a mix of queries for a bounded time (MIMIC_SOAK_SECONDS, default 20)
while the guest (SeaBIOS) runs; clients also hang up and come back. Every
reply must be a reply, and the emulator's resident memory must not grow by
more than a fixed bound once warmed up: a leak per command or per session
shows up as growth.
"""

import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from qmp_client import QmpClient

SYSTEM = os.environ.get("MIMIC_SYSTEM")
CLIENTS = 20
SECONDS = float(os.environ.get("MIMIC_SOAK_SECONDS", "20"))
WARM_UP = 3.0
# Allowed RSS growth after warm-up: the TCG code cache and allocator arenas
# settle within it (about 2 MiB here); a leak of even 1 KiB per command over
# the 30-40 thousand commands of a run does not.
GROWTH_BOUND_KIB = 16 * 1024

QUERIES = [
    ("query-status", None), ("query-version", None), ("query-name", None), ("query-commands", None),
    ("query-cpus-fast", None), ("query-block", None), ("query-chardev", None), ("query-pci", None),
    ("query-command-line-options", {"option": "sandbox"}), ("qom-list", {"path": "/machine"}),
    ("human-monitor-command", {"command-line": "info registers"}),
    ("human-monitor-command", {"command-line": "info mtree"}),
    ("human-monitor-command", {"command-line": "xp /16xb 0xf0000"}),
    ("query-qmp-schema", None), ("no-such-command", None),
]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class QmpSoak(unittest.TestCase):
    def test_twenty_clients_keep_memory_bounded(self):
        tmp = tempfile.mkdtemp(prefix="mimic-soak-")
        sockets = [os.path.join(tmp, f"qmp{i}.sock") for i in range(CLIENTS)]
        argv = [SYSTEM, "-display", "none", "-m", "64"]
        for path in sockets:
            argv += ["-qmp", f"unix:{path},server=on,wait=off"]
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        stop = threading.Event()
        counts = [0] * CLIENTS
        failures = []

        def client(index):
            rng = random.Random(index)
            try:
                while not stop.is_set():
                    qmp = QmpClient(sockets[index])
                    qmp.negotiate()
                    for _ in range(rng.randrange(20, 200)):
                        if stop.is_set():
                            break
                        name, arguments = rng.choice(QUERIES)
                        reply = qmp.execute(name, arguments)
                        if ("return" in reply) == (name == "no-such-command"):
                            failures.append(f"client {index}: {name}: {str(reply)[:200]}")
                            return
                        counts[index] += 1
                    qmp.close()
            except Exception as e:  # noqa: BLE001 - any failure fails the soak
                failures.append(f"client {index}: {e!r}")

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        try:
            for thread in threads:
                thread.start()
            time.sleep(WARM_UP)
            warm = rss_kib(process.pid)
            time.sleep(max(SECONDS - WARM_UP, 1))
            stop.set()
            for thread in threads:
                thread.join(30)
            final = rss_kib(process.pid)
            self.assertIsNone(process.poll(), process.stderr.read().decode() if process.poll() is not None else "")
        finally:
            stop.set()
            process.kill()
            process.wait()
            process.stderr.close()
            shutil.rmtree(tmp, ignore_errors=True)
        total = sum(counts)
        print(f"soak: {CLIENTS} clients, {total} commands in {SECONDS:.0f} s; "
              f"RSS {warm} KiB after warm-up, {final} KiB at the end")
        self.assertEqual(failures, [])
        self.assertTrue(all(counts), counts)
        self.assertLessEqual(final - warm, GROWTH_BOUND_KIB)


if __name__ == "__main__":
    unittest.main()
