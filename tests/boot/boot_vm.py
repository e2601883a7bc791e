"""Shared by the boot tests and bench/boot: build boot media at run time and
watch a VM boot them, through its serial console (SeaBIOS mirrors its screen
there under -nographic) or its VGA text buffer (read over QMP with pmemsave,
which works the same on Mimic and QEMU).

Standard library only; the QMP client is tests/monitor/qmp_client.py.
"""
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "monitor"))
from qmp_client import QmpClient  # noqa: E402

SEABIOS = "/usr/share/seabios/bios.bin"
TEXT_BUFFER = 0xB8000
TEXT_COLUMNS, TEXT_ROWS = 80, 25


def assemble(source, workdir, name):
    """A flat 16-bit binary linked at 0x7C00 from a GNU as source (which may
    .include the helpers beside it, such as bios_print16.inc)."""
    obj, elf, out = (os.path.join(workdir, name + ext) for ext in (".o", ".elf", ".bin"))
    subprocess.run(["as", "--32", "-I", HERE, "-o", obj, source], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-Ttext=0x7c00", "-e", "_start", "-o", elf, obj], check=True)
    subprocess.run(["objcopy", "-O", "binary", elf, out], check=True)
    return out


def boot_disk(source, workdir, name):
    """A boot sector program (tests/boot/SOURCE) as a 1 MiB raw disk."""
    disk = assemble(os.path.join(HERE, source), workdir, name)
    with open(disk, "r+b") as f:
        f.truncate(1 << 20)
    return disk


def bootsector_disk(workdir):
    """tests/boot/bootsector.S as a 1 MiB raw disk."""
    return boot_disk("bootsector.S", workdir, "bootsector")


def cdboot_iso(workdir):
    """tests/boot/cdboot.S as the no-emulation boot image of an El Torito ISO."""
    root = os.path.join(workdir, "cdroot")
    os.makedirs(root, exist_ok=True)
    shutil.copy(assemble(os.path.join(HERE, "cdboot.S"), workdir, "cdboot"), os.path.join(root, "cdboot.bin"))
    iso = os.path.join(workdir, "cdboot.iso")
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-b", "cdboot.bin", "-no-emul-boot",
                    "-boot-load-size", "4", "-boot-info-table", root], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return iso


GRUB_MENU_ENTRY = "MIMIC GRUB MENU ENTRY"


def grub_iso(workdir):
    """grub-mkrescue's BIOS ISO with one menu entry and no timeout."""
    root = os.path.join(workdir, "grubroot")
    os.makedirs(os.path.join(root, "boot", "grub"), exist_ok=True)
    with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w") as f:
        f.write('set timeout=-1\nmenuentry "%s" {\n  halt\n}\n' % GRUB_MENU_ENTRY)
    iso = os.path.join(workdir, "grub.iso")
    subprocess.run(["grub-mkrescue", "-o", iso, root], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return iso


ISOLINUX_BANNER = "MIMIC-ISOLINUX-CONFIG-READ"


def isolinux_iso(workdir):
    """ISOLINUX waiting at its boot: prompt; the SAY line proves it read its config."""
    root = os.path.join(workdir, "isolinuxroot")
    os.makedirs(os.path.join(root, "isolinux"), exist_ok=True)
    for path in ("/usr/lib/ISOLINUX/isolinux.bin", "/usr/lib/syslinux/modules/bios/ldlinux.c32"):
        shutil.copy(path, os.path.join(root, "isolinux"))
    with open(os.path.join(root, "isolinux", "isolinux.cfg"), "w") as f:
        f.write("PROMPT 1\nTIMEOUT 0\nSAY %s\nDEFAULT none\nLABEL none\n  KERNEL /none\n" % ISOLINUX_BANNER)
    iso = os.path.join(workdir, "isolinux.iso")
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-b", "isolinux/isolinux.bin",
                    "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
                    root], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return iso


def missing_tools(tools):
    return [t for t in tools if not shutil.which(t)]


class Vm:
    """One emulator process; with qmp=True it also gets a QMP socket."""

    def __init__(self, binary, args, qmp=False):
        self.workdir = tempfile.mkdtemp(prefix="mimic-boot-")
        self.qmp = None
        command = [binary] + list(args)
        if qmp:
            sock = os.path.join(self.workdir, "qmp.sock")
            command += ["-qmp", "unix:%s,server=on,wait=off" % sock]
        self.start = time.monotonic()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.output = b""
        self.exited = False   # stdout closed: the emulator is gone
        if qmp:
            self.qmp = QmpClient(sock)
            self.qmp.negotiate()

    def elapsed(self):
        return time.monotonic() - self.start

    def wait_serial(self, text, timeout, count=1):
        """Reads stdout until `text` (bytes) has appeared `count` times; False
        on timeout or exit (then `exited` is set)."""
        return self._read_until(lambda: self.output.count(text) >= count, timeout)

    def why_not(self, text, timeout):
        """Why wait_serial(text, timeout) returned False, for a FAIL line."""
        if self.exited:
            return "emulator exited: " + self.close().decode(errors="replace")
        return "no %r within %d s; output:\n%s" % (text.decode(), timeout, self.output.decode(errors="replace"))

    def wait_exit(self, timeout):
        """Reads stdout until the emulator exits; its exit status, or None if
        it still runs after `timeout` seconds."""
        self._read_until(lambda: False, timeout)
        return self.process.wait(timeout=10) if self.exited else None

    def _read_until(self, done, timeout):
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.process.stdout], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    self.exited = True
                    return False
                self.output += chunk
        return True

    def screen(self):
        """The 80x25 text screen as 25 lines (characters only, code page 437)."""
        dump = os.path.join(self.workdir, "screen.bin")
        self.qmp.command("pmemsave", val=TEXT_BUFFER, size=TEXT_COLUMNS * TEXT_ROWS * 2, filename=dump)
        with open(dump, "rb") as f:
            cells = f.read()
        text = bytes(cells[0::2]).decode("cp437")
        return [text[r * TEXT_COLUMNS:(r + 1) * TEXT_COLUMNS].rstrip() for r in range(TEXT_ROWS)]

    def wait_screen(self, text, timeout, poll=0.2):
        """Polls the text buffer until a line contains `text`; the last screen."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen()
            if any(text in line for line in lines) or time.monotonic() > deadline:
                return any(text in line for line in lines), lines
            if self.process.poll() is not None:
                return False, lines
            time.sleep(poll)

    def close(self):
        if self.qmp:
            self.qmp.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output += self.process.stdout.read()
        stderr = self.process.stderr.read()
        shutil.rmtree(self.workdir, ignore_errors=True)
        return stderr

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
