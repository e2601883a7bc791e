#!/usr/bin/env python3
"""What Mimic says when /dev/kvm is missing, unreadable or not KVM, next to
what QEMU 7.2 says in the same situation (program names aside): the same
lines, the same exit status, and the same fallback to tcg for
-machine accel=kvm:tcg and -accel kvm -accel tcg; then the command-line
errors and warnings around -accel, -machine accel= and -cpu host.

The situations are made in a private mount namespace (unshare -m: a /dev
without kvm, a regular file mounted over /dev/kvm) and as user nobody (a
/dev/kvm only root may open), so this needs root and unshare; it skips
(77) otherwise. QEMU must be installed: it is the reference.
"""
import os
import shutil
import subprocess
import sys
import tempfile

QEMU = "/usr/bin/qemu-system-x86_64"


def shell_quote(words):
    return " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)


def reachable_by_nobody(binary):
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "test", "-x", binary],
                          stdin=subprocess.DEVNULL).returncode == 0


def copy_for_nobody(binary, workdir):
    """A copy of the binary (and the firmware it finds beside itself) that
    user nobody can run: a checkout in a private directory is out of reach."""
    if reachable_by_nobody(binary):
        return binary
    directory = os.path.join(workdir, "bin")
    os.makedirs(directory)
    copy = os.path.join(directory, os.path.basename(binary))
    shutil.copy2(binary, copy)
    firmware = os.path.join(os.path.dirname(os.path.abspath(binary)), "pc-bios")
    if os.path.isdir(firmware):
        shutil.copytree(firmware, os.path.join(directory, "pc-bios"))
    for path in (directory, copy):
        os.chmod(path, 0o755)
    return copy


def run(binary, situation, accel_args, workdir):
    """(exit status, stderr lines with the program name replaced)."""
    # The VM that falls back to tcg must end by itself: -S and a short timeout.
    command = ["timeout", "-s", "INT", "3", binary] + accel_args + ["-display", "none", "-S", "-nodefaults"]
    if situation == "missing":
        setup = ("mount -t tmpfs none %s && for n in null zero urandom random tty; do touch %s/$n; "
                 "mount --bind /dev/$n %s/$n; done && mount --move %s /dev" % ((workdir + "/dev",) * 4))
        os.makedirs(workdir + "/dev", exist_ok=True)
        argv = ["unshare", "-m", "sh", "-c", setup + " && exec " + shell_quote(command)]
    elif situation == "not-kvm":
        fake = os.path.join(workdir, "notkvm")
        open(fake, "w").close()
        argv = ["unshare", "-m", "sh", "-c", "mount --bind %s /dev/kvm && exec %s" % (fake, shell_quote(command))]
    elif situation == "unreadable":   # /dev/kvm is root's only
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
    else:   # the host's /dev/kvm as it is
        argv = command
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines = result.stderr.decode(errors="replace").splitlines()
    name = os.path.basename(binary) + ":"
    lines = [line.replace(name, "PROGRAM:") for line in lines
             if "terminating on signal" not in line and "host doesn't support requested feature" not in line]
    status = 0 if result.returncode in (124, -2, 130) else result.returncode   # still running: it fell back
    return status, lines


def main():
    mimic = sys.argv[1]
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        print("SKIP: needs root, unshare and setpriv")
        return 77
    if not os.path.exists(QEMU):
        print("SKIP: QEMU 7.2 is the reference and is not installed")
        return 77
    if not os.path.exists("/dev/kvm") or (os.stat("/dev/kvm").st_mode & 0o006):
        print("SKIP: needs a /dev/kvm that only root may open")
        return 77
    failures = 0
    # What Mimic refuses where QEMU would go on: said, never ignored.
    for args, text in ((["-accel", "kvm,dirty-ring-size=4096"], "dirty-ring-size' is not supported yet"),
                       (["-accel", "kvm", "-machine", "kernel-irqchip=split"], "is not supported yet")):
        with tempfile.TemporaryDirectory() as workdir:
            status, lines = run(mimic, "as-is", args, workdir)
        if status == 1 and any(text in line for line in lines):
            print("PASS: %s refused: %s" % (" ".join(args), lines))
        else:
            print("FAIL: %s: %s %s" % (" ".join(args), status, lines))
            failures += 1
    cases = [(situation, accel) for situation in ("missing", "unreadable", "not-kvm")
             for accel in (["-accel", "kvm"], ["-enable-kvm"], ["-machine", "accel=kvm:tcg"],
                           ["-accel", "kvm", "-accel", "tcg"])]
    # Command-line errors and warnings around the accelerator, with a working /dev/kvm.
    cases += [("as-is", args) for args in (
        ["-accel", "kvm,foo=1"], ["-accel", "kvm,kernel-irqchip=bogus"], ["-cpu", "host"],
        ["-machine", "accel=foo:tcg"], ["-machine", "accel=foo"], ["-accel", "kvm", "-machine", "accel=tcg"],
        ["-accel", "kvm", "-smp", "3"], ["-accel", "kvm", "-cpu", "qemu64,foo=on"],
        ["-accel", "kvm", "-machine", "kernel-irqchip=off"], ["-overcommit", "foo=on"],
        ["-overcommit", "mem-lock=bogus"], ["-accel", "kvm", "-overcommit", "cpu-pm=on,mem-lock=off"],
        # Interrupt remapping cannot reach KVM's in-kernel APICs.
        ["-accel", "kvm", "-M", "q35", "-device", "intel-iommu,intremap=on"],
        ["-accel", "kvm", "-M", "q35", "-device", "intel-iommu,eim=on"])]
    with tempfile.TemporaryDirectory() as workdir:
        os.chmod(workdir, 0o755)
        mimic_for_nobody = copy_for_nobody(mimic, workdir)
        for situation, accel in cases:
            expected = run(QEMU, situation, accel, workdir)
            got = run(mimic_for_nobody if situation == "unreadable" else mimic, situation, accel, workdir)
            label = "%s %s" % (situation, " ".join(accel))
            if got == expected:
                print("PASS: %s: %s" % (label, expected))
            else:
                print("FAIL: %s:\n  QEMU  %s\n  Mimic %s" % (label, expected, got))
                failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
