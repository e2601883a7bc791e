#!/usr/bin/env python3
"""SeaBIOS from Debian boots under Mimic's translator with no media.

With -nographic, SeaBIOS mirrors its screen to the serial port (fw_cfg
etc/sercon-port), so its banner and "No bootable device" must appear on
stdout, as they do under QEMU. Exits 77 (skip) without SeaBIOS.
"""
import os
import select
import subprocess
import sys
import time

BINARY = sys.argv[1]
BIOS = "/usr/share/seabios/bios.bin"
DEADLINE_S = 150


def main():
    if not os.path.exists(BIOS):
        print("SKIP: seabios is not installed")
        return 77
    vm = subprocess.Popen([BINARY, "-nographic", "-m", "128"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output = b""
    start = time.monotonic()
    try:
        while b"No bootable device" not in output:
            if time.monotonic() - start > DEADLINE_S:
                print("FAIL: no 'No bootable device' within %d s; output:\n%s"
                      % (DEADLINE_S, output.decode(errors="replace")))
                return 1
            ready, _, _ = select.select([vm.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(vm.stdout.fileno(), 4096)
                if not chunk:
                    print("FAIL: emulator exited:", vm.stderr.read().decode(errors="replace"))
                    return 1
                output += chunk
        if b"SeaBIOS (version" not in output:
            print("FAIL: no SeaBIOS banner:\n" + output.decode(errors="replace"))
            return 1
        print("PASS: SeaBIOS reached 'No bootable device' in %.1f s" % (time.monotonic() - start))
        return 0
    finally:
        vm.terminate()
        try:
            vm.wait(timeout=10)
        except subprocess.TimeoutExpired:
            vm.kill()


if __name__ == "__main__":
    sys.exit(main())
