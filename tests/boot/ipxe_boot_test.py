#!/usr/bin/env python3
"""iPXE network-boots over the e1000 card: SeaBIOS runs the card's option
ROM (efi-e1000.rom from Debian's ipxe-qemu), `-boot n` hands it the boot,
and iPXE's own 82540EM driver gets a DHCP lease from user networking,
fetches the boot file slirp names over TFTP (an iPXE script), and the
script chains a second one over HTTP from a server this test runs on the
host's loopback, which prints a marker with the lease's address.

    ipxe_boot_test.py EMULATOR

Works unchanged with Debian's qemu-system-x86_64. Exits 77 (skip) without
SeaBIOS or the ROM.
"""
import functools
import http.server
import os
import sys
import tempfile
import threading

import boot_vm

BINARY = sys.argv[1]
ROM = "/usr/lib/ipxe/qemu/efi-e1000.rom"
DEADLINE_S = 150
MARKER = b"MIMIC-IPXE-HTTP-OK 10.0.2.15"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    if not os.path.exists(boot_vm.SEABIOS) or not os.path.exists(ROM):
        print("SKIP: seabios or ipxe-qemu is not installed")
        return 77
    with tempfile.TemporaryDirectory() as root:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=root))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        with open(os.path.join(root, "boot.ipxe"), "w") as f:
            f.write("#!ipxe\necho MIMIC-IPXE-TFTP-OK\nchain http://10.0.2.2:%d/second.ipxe\n" % port)
        with open(os.path.join(root, "second.ipxe"), "w") as f:
            f.write("#!ipxe\necho MIMIC-IPXE-HTTP-OK ${net0/ip}\nshell\n")
        args = ["-nographic", "-m", "128", "-boot", "n", "-nic", "none",
                "-netdev", "user,id=n0,tftp=%s,bootfile=boot.ipxe" % root, "-device", "e1000,netdev=n0"]
        if "qemu" in os.path.basename(BINARY):
            args += ["-accel", "tcg"]
        try:
            with boot_vm.Vm(BINARY, args) as vm:
                if not vm.wait_serial(MARKER, DEADLINE_S):
                    print("FAIL:", vm.why_not(MARKER, DEADLINE_S))
                    return 1
                if b"MIMIC-IPXE-TFTP-OK" not in vm.output:
                    print("FAIL: the TFTP script did not run:\n" + vm.output.decode(errors="replace"))
                    return 1
                print("PASS: iPXE booted over DHCP, TFTP and HTTP in %.1f s" % vm.elapsed())
                return 0
        finally:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
