#!/usr/bin/env python3
"""The Linux guest on an e1000 card with user networking: Debian's e1000
driver brings eth0 up, busybox udhcpc gets 10.0.2.15 from slirp's DHCP,
busybox wget fetches a file from an HTTP server this test runs on the
host's loopback (the guest sees the host as 10.0.2.2), and the host
connects through a hostfwd port to a busybox `nc -l` in the guest and
receives a known line plus 256 KiB (the guest transmits that with TCP
segmentation offload).

    linux_net_test.py EMULATOR

Runs
    EMULATOR -m 512 -nographic -no-reboot -kernel vmlinuz -initrd initrd.img
             -append "console=ttyS0 mimic.net=10.0.2.15
                      mimic.wget=http://10.0.2.2:HTTP/blob mimic.wget_md5=MD5
                      mimic.serve=7777"
             -netdev user,id=n0,hostfwd=tcp:127.0.0.1:FWD-:7777
             -device e1000,netdev=n0
and passes when the guest reports PASS, what the host received through
the forwarded port has the md5 the guest announced, and the emulator
exits 0. EMULATOR may be Debian's qemu-system-x86_64, to check the guest.
"""
import argparse
import functools
import hashlib
import http.server
import os
import re
import socket
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_guest  # noqa: E402
import linux_boot_test  # noqa: E402

RAM_MB = 512
GUEST_PORT = 7777
SERVING = re.compile(rb"MIMIC-GUEST: serving ([0-9a-f]{32}) on port")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def fetch_from_guest(port):
    """Connects to the forwarded port and reads until the guest closes."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("emulator")
    args = parser.parse_args()

    guest = build_guest.build(build_guest.cache_dir())
    with tempfile.TemporaryDirectory() as www:
        blob = os.urandom(3 << 20)
        with open(os.path.join(www, "blob"), "wb") as f:
            f.write(blob)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=www))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        http_port = server.server_address[1]
        fwd_port = free_port()
        command = [args.emulator, "-m", str(RAM_MB), "-nographic", "-no-reboot",
                   "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
                   "-append", build_guest.BASE_APPEND + " mimic.net=10.0.2.15 mimic.wget=http://10.0.2.2:%d/blob "
                   "mimic.wget_md5=%s mimic.serve=%d" % (http_port, hashlib.md5(blob).hexdigest(), GUEST_PORT),
                   "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:%d" % (fwd_port, GUEST_PORT),
                   "-device", "e1000,netdev=n0"]
        if "qemu" in os.path.basename(args.emulator):
            command += ["-accel", "tcg"]
        received = None
        fetch_error = None

        def serve_when_announced(console):
            nonlocal received, fetch_error
            if SERVING.search(console) and received is None and fetch_error is None:
                try:
                    received = fetch_from_guest(fwd_port)
                except OSError as e:
                    fetch_error = e

        try:
            text, code = linux_boot_test.run_vm(command, on_console=serve_when_announced, exit_timeout=60)
        finally:
            server.shutdown()

        match = SERVING.search(text.encode())
        announced = match.group(1).decode() if match else None
        forwarded = (received is not None and announced is not None and
                     received.startswith(b"MIMIC-NET-HELLO\n") and hashlib.md5(received).hexdigest() == announced)
        passed = "MIMIC-GUEST: PASS" in text
        ok = passed and forwarded and code == 0
        if fetch_error:
            print("connecting to the forwarded port: %s" % fetch_error)
        print("%s: guest %s, hostfwd transfer %s (%s bytes), emulator exit status %s" % (
            "PASS" if ok else "FAIL", "reported PASS" if passed else "did not report PASS",
            "matches" if forwarded else "does not match", len(received) if received is not None else "no",
            code))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
