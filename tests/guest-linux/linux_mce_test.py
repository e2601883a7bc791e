#!/usr/bin/env python3
"""A machine check injected with HMP `mce` reaches Linux's handler: the test
guest (build_guest.py) boots to its shell, then the monitor injects an
uncorrected, processor-context-corrupt error in bank 9 of CPU 0 with MCIP
set (`mce 0 9 0xb200000000000000 0x5 0x0 0x0`); Linux must report it and
take the fatal-machine-check panic, after which panic=-1 reboots and
-no-reboot ends the emulator, as under QEMU 7.2 (linux_mce_qemu).

    linux_mce_test.py EMULATOR
"""
import os
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The guest idles in its shell unless the injection works: give up sooner.
os.environ.setdefault("MIMIC_LINUX_BOOT_TIMEOUT", "300")
import build_guest  # noqa: E402
import linux_boot_test  # noqa: E402

INJECT = "mce 0 9 0xb200000000000000 0x5 0x0 0x0"
EXPECTED = ("mce: [Hardware Error]: CPU 0: Machine Check Exception: 5 Bank 9: b200000000000000",
            "mce: [Hardware Error]: Machine check: Processor Context Corrupt",
            "Kernel panic - not syncing: Fatal local machine check")


def hmp(path, line):
    """Sends one HMP command; returns what the monitor printed up to its next prompt."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(path)

        def until_prompt():
            text = b""
            while b"(qemu)" not in text:
                chunk = s.recv(4096)
                if not chunk:
                    raise SystemExit("FAIL: the monitor closed")
                text += chunk
            return text

        until_prompt()  # the banner
        s.sendall(line.encode() + b"\n")
        return until_prompt().decode(errors="replace")


def main():
    emulator = sys.argv[1]
    guest = build_guest.build(build_guest.cache_dir())
    with tempfile.TemporaryDirectory() as workdir:
        monitor = os.path.join(workdir, "hmp.sock")
        command = [emulator, "-m", "512", "-nographic", "-no-reboot",
                   "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
                   "-append", build_guest.BASE_APPEND + " mimic.cpus=1 mimic.mem_mb=512 mimic.end=shell panic=-1",
                   "-monitor", "unix:%s,server=on,wait=off" % monitor]
        if "qemu" in os.path.basename(emulator):
            command += ["-accel", "tcg"]
        injected = []

        def on_console(console):
            if not injected and b"busybox shell on the console" in console:
                time.sleep(1)  # let the shell settle into its idle loop
                answer = hmp(monitor, INJECT)
                injected.append(answer)
                print("HMP %s: %s" % (INJECT, "answered" if answer.rstrip().endswith("(qemu)") else answer),
                      flush=True)

        # The panic is what the test waits for: no early stop on it; the
        # reboot that follows (panic=-1, -no-reboot) ends the emulator.
        text, code = linux_boot_test.run_vm(command, on_console=on_console, fatal=(b"MIMIC-GUEST: FAIL",))
        missing = [line for line in EXPECTED if line not in text]
        ok = injected and not missing and code == 0
        print("%s: %s" % ("PASS" if ok else "FAIL",
                          "Linux took the machine check" if ok else
                          "not injected" if not injected else
                          "missing %s (exit status %s)" % (missing, code)))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
