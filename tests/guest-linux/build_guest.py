#!/usr/bin/env python3
"""Builds the Linux test guest from Debian packages: Debian's stock kernel
(linux-image-amd64) and an initramfs with busybox-static, an /init that
runs the checks below and a static C program (checks.c) compiled here with
the host's gcc -static.

    tests/guest-linux/build_guest.py            # prints the cache directory

Nothing needs root: the packages come with `apt-get download`, are unpacked
with `dpkg-deb -x`, and the initramfs (cpio newc, gzip) is written here.
The result is cached outside the build tree, in
${XDG_CACHE_HOME:-~/.cache}/mimic/linux-guest/ (MIMIC_LINUX_GUEST_DIR
overrides), and rebuilt only when the package versions or these sources
change:
    vmlinuz      the kernel
    initrd.img   the initramfs

/init mounts proc, sys and devtmpfs, then checks, with expectations from
the kernel command line:
    CPU count      processors in /proc/cpuinfo == mimic.cpus (default 1)
    memory         MemTotal within 80-100% of mimic.mem_mb (when given)
    CPU work       the static program's output == its output on the host
    disk           with mimic.disk=<md5>: loads ata_piix and ahci (and what they
                   need) from the kernel package, waits for /dev/sda and
                   compares the md5 of its first 64 KiB; with also
                   mimic.write=<word>, writes "MIMIC-GUEST-WROTE:<word>\n" at
                   byte 65536 of /dev/sda (for the host to find in the image)
    network        with mimic.net=<address>: loads e1000 (and what it
                   needs), brings eth0 up and asks DHCP (busybox udhcpc)
                   for a lease, which must give <address>; then
                   with mimic.wget=<url> and mimic.wget_md5=<md5>: fetches
                   the URL with busybox wget and compares its md5;
                   with mimic.serve=<port>: prints "MIMIC-GUEST: serving
                   <md5> on port <port>" and serves "MIMIC-NET-HELLO\n"
                   plus 256 KiB of random data to one TCP client with
                   busybox nc (large enough for the guest to use TSO)
and prints "MIMIC-GUEST: PASS" (or FAIL, after the failed checks) on the
console, then `reboot -f`, so that an emulator run with -no-reboot exits 0
(with mimic.end=poweroff: `poweroff -f`, an ACPI S5 power-off; with
mimic.end=shell: a busybox shell first, then the power-off).

Other guests (bench/guest_cpu) call build() with extra files for the
initramfs and extra shell lines that /init runs after the checks, before
its verdict; they go to a cache directory of their own, and without them
the test guest is the same as before.

Run by hand under Mimic (tests/guest-linux/linux_boot_test.py does this):
    build/mimic-system-x86_64 -m 512 -nographic -no-reboot \\
        -kernel ~/.cache/mimic/linux-guest/vmlinuz \\
        -initrd ~/.cache/mimic/linux-guest/initrd.img -append console=ttyS0
or under QEMU, as a check of the guest itself:
    qemu-system-x86_64 -m 512 -nographic -no-reboot -accel tcg -kernel ... -initrd ... -append console=ttyS0
"""
import fcntl
import glob
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL_META_PACKAGE = "linux-image-amd64"
# The modules the disk and network checks load, dependencies found from
# .modinfo (built-in ones are skipped).
DISK_MODULES = ["ata_piix", "ahci", "sd_mod"]
VIRTIO_MODULES = ["virtio_pci", "virtio_blk", "virtio_rng"]
NET_MODULES = ["e1000", "af_packet"]
FORMAT_VERSION = 3  # bump when the layout of the initramfs changes

# The start of every test guest's kernel command line. no_timer_check skips
# the kernel's boot-time check that a few timer interrupts arrive within a
# TSC-timed delay: on an oversubscribed host (2 cores, several emulators and
# compilers) the vCPU thread is descheduled for longer than a timer period,
# ticks pending in the interrupt controller coalesce, and the kernel panics
# with "IO-APIC + timer doesn't work" although the timer works. That measures
# the host's scheduler, not the emulator; Linux skips the same check itself
# as a KVM guest.
BASE_APPEND = "console=ttyS0 no_timer_check"

# busybox udhcpc runs this with the lease in its environment.
UDHCPC_SCRIPT = r"""#!/bin/sh
case "$1" in
deconfig) ifconfig "$interface" 0.0.0.0 ;;
bound|renew)
    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
    for r in $router; do route add default gw "$r" dev "$interface"; break; done
    echo "MIMIC-CHECK info: DHCP lease $ip router $router dns $dns"
    ;;
esac
"""

INIT_SCRIPT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
result=PASS
ok() { echo "MIMIC-CHECK ok: $*"; }
fail() { echo "MIMIC-CHECK FAIL: $*"; result=FAIL; }
param() {
    for word in $(cat /proc/cmdline); do
        case "$word" in "$1"=*) echo "${word#*=}" ;; esac
    done
}
echo "MIMIC-GUEST: init started"

want=$(param mimic.cpus)
want=${want:-1}
cpus=$(grep -c '^processor' /proc/cpuinfo)
if [ "$cpus" = "$want" ]; then ok "$cpus CPUs"; else fail "$cpus CPUs in /proc/cpuinfo, expected $want"; fi
online=$(cat /sys/devices/system/cpu/online)
echo "MIMIC-CHECK info: CPUs online: $online"

mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
want_mb=$(param mimic.mem_mb)
if [ -n "$want_mb" ]; then
    if [ "$mem_kb" -le $((want_mb * 1024)) ] && [ "$mem_kb" -ge $((want_mb * 1024 * 80 / 100)) ]; then
        ok "MemTotal $mem_kb kB for $want_mb MiB"
    else
        fail "MemTotal $mem_kb kB for $want_mb MiB"
    fi
else
    echo "MIMIC-CHECK info: MemTotal $mem_kb kB"
fi

if /bin/mimic-checks > /tmp/checks.out && cmp -s /tmp/checks.out /etc/mimic-checks.expected; then
    ok "integer and floating-point checksums"
else
    fail "checksums differ from the host's:"
    diff /etc/mimic-checks.expected /tmp/checks.out
fi

disk_md5=$(param mimic.disk)
if [ -n "$disk_md5" ]; then
    for module in $(cat /etc/modules.load); do insmod "/lib/modules/$module" 2>/dev/null; done
    tries=0
    while [ ! -b /dev/sda ] && [ $tries -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
    if [ -b /dev/sda ]; then
        got=$(dd if=/dev/sda bs=4096 count=16 2>/dev/null | md5sum | cut -d' ' -f1)
        if [ "$got" = "$disk_md5" ]; then ok "disk /dev/sda reads back"; else fail "disk md5 $got, expected $disk_md5"; fi
        word=$(param mimic.write)
        if [ -n "$word" ]; then
            if echo "MIMIC-GUEST-WROTE:$word" | dd of=/dev/sda bs=65536 seek=1 conv=notrunc,fsync 2>/dev/null; then
                ok "wrote to /dev/sda"
            else
                fail "writing to /dev/sda"
            fi
        fi
    else
        fail "no /dev/sda"
    fi
fi

vdisk_md5=$(param mimic.vdisk)
if [ -n "$vdisk_md5" ]; then
    # virtio_pci.force_legacy=1 makes Linux drive a transitional device
    # through its legacy interface.
    for module in $(cat /etc/modules-virtio.load); do
        if [ "$module" = virtio_pci.ko ] && [ "$(param mimic.virtio_mode)" = legacy ]; then
            insmod "/lib/modules/$module" force_legacy=1
        else
            insmod "/lib/modules/$module" 2>/dev/null
        fi
    done
    tries=0
    while [ ! -b /dev/vda ] && [ $tries -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
    if [ -b /dev/vda ]; then
        got=$(dd if=/dev/vda bs=4096 count=16 2>/dev/null | md5sum | cut -d' ' -f1)
        if [ "$got" = "$vdisk_md5" ]; then ok "disk /dev/vda reads back"; else fail "vda md5 $got, expected $vdisk_md5"; fi
        want=$(param mimic.vsectors)
        got=$(cat /sys/block/vda/size)
        if [ -z "$want" ] || [ "$got" = "$want" ]; then ok "vda has $got sectors"; else fail "vda has $got sectors, expected $want"; fi
        want=$(param mimic.vserial)
        got=$(cat /sys/block/vda/serial 2>/dev/null)
        if [ -z "$want" ] || [ "$got" = "$want" ]; then ok "vda serial '$got'"; else fail "vda serial '$got', expected '$want'"; fi
        features=$(cat /sys/bus/virtio/devices/virtio0/features)
        echo "MIMIC-CHECK info: virtio0 features $features"
        # Bit 32 is VIRTIO_F_VERSION_1: a modern driver accepted it.
        version1=$(echo "$features" | cut -c33)
        case "$(param mimic.virtio_mode)" in
        legacy) if [ "$version1" = 0 ]; then ok "virtio0 driven as legacy"; else fail "virtio0 has VERSION_1"; fi ;;
        modern) if [ "$version1" = 1 ]; then ok "virtio0 driven as modern"; else fail "virtio0 lacks VERSION_1"; fi ;;
        esac
        grep virtio /proc/interrupts
        case "$(param mimic.virtio_irq)" in
        msix) if grep -q 'virtio0-req.0' /proc/interrupts; then ok "virtio0 interrupts by MSI-X"; else fail "no MSI-X vector for virtio0"; fi ;;
        intx) if grep -q 'virtio0$' /proc/interrupts && ! grep -q 'virtio0-' /proc/interrupts; then ok "virtio0 interrupts by INTx"; else fail "virtio0 not on INTx"; fi ;;
        esac
        word=$(param mimic.vwrite)
        if [ -n "$word" ]; then
            if echo "MIMIC-GUEST-WROTE:$word" | dd of=/dev/vda bs=65536 seek=1 conv=notrunc,fsync 2>/dev/null; then
                ok "wrote to /dev/vda"
            else
                fail "writing to /dev/vda"
            fi
            # A megabyte of random data at 1 MiB: many segments per request.
            dd if=/dev/urandom of=/tmp/random bs=65536 count=16 2>/dev/null
            written=$(md5sum < /tmp/random | cut -d' ' -f1)
            if dd if=/tmp/random of=/dev/vda bs=65536 seek=16 conv=notrunc,fsync 2>/dev/null; then
                echo 3 > /proc/sys/vm/drop_caches
                got=$(dd if=/dev/vda bs=65536 skip=16 count=16 2>/dev/null | md5sum | cut -d' ' -f1)
                if [ "$got" = "$written" ]; then ok "vda reads back 1 MiB written"; else fail "vda read back $got, wrote $written"; fi
                echo "MIMIC-GUEST: vda random $written"
            else
                fail "writing 1 MiB to /dev/vda"
            fi
        fi
    else
        fail "no /dev/vda"
    fi
fi

if [ "$(param mimic.hwrng)" = 1 ]; then
    # virtio_rng becomes the hw_random source, /dev/hwrng reads from it.
    for module in $(cat /etc/modules-virtio.load); do insmod "/lib/modules/$module" 2>/dev/null; done
    tries=0
    while ! grep -q virtio_rng /sys/class/misc/hw_random/rng_current 2>/dev/null && [ $tries -lt 100 ]; do
        sleep 0.1; tries=$((tries + 1))
    done
    current=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
    if echo "$current" | grep -q virtio_rng; then ok "hw_random source $current"; else fail "hw_random source '$current'"; fi
    got=$(dd if=/dev/hwrng bs=4096 count=1 2>/dev/null | md5sum | cut -d' ' -f1)
    echo "MIMIC-GUEST: hwrng md5 $got"
    if [ "$(dd if=/dev/hwrng bs=4096 count=1 2>/dev/null | wc -c)" = 4096 ]; then ok "read 4096 bytes from /dev/hwrng"; else fail "short read from /dev/hwrng"; fi
fi

want_ip=$(param mimic.net)
if [ -n "$want_ip" ]; then
    for module in $(cat /etc/modules-net.load); do insmod "/lib/modules/$module" 2>/dev/null; done
    tries=0
    while [ ! -e /sys/class/net/eth0 ] && [ $tries -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
    ifconfig lo 127.0.0.1 up
    if ifconfig eth0 up && udhcpc -i eth0 -n -q -t 10 -T 2 -s /etc/udhcpc.script > /tmp/udhcpc.out 2>&1; then
        cat /tmp/udhcpc.out
        got_ip=$(ifconfig eth0 | sed -n 's/.*inet addr:\([0-9.]*\).*/\1/p')
        if [ "$got_ip" = "$want_ip" ]; then ok "eth0 has $got_ip by DHCP"; else fail "eth0 has '$got_ip', expected $want_ip"; fi
    else
        cat /tmp/udhcpc.out
        fail "no DHCP lease on eth0"
    fi
    url=$(param mimic.wget)
    if [ -n "$url" ]; then
        if wget -q -O /tmp/download "$url"; then
            got=$(md5sum < /tmp/download | cut -d' ' -f1)
            if [ "$got" = "$(param mimic.wget_md5)" ]; then ok "wget $url: md5 $got"; else fail "wget $url: md5 $got"; fi
        else
            fail "wget $url"
        fi
    fi
    port=$(param mimic.serve)
    if [ -n "$port" ]; then
        { echo "MIMIC-NET-HELLO"; dd if=/dev/urandom bs=1024 count=256 2>/dev/null; } > /tmp/served
        timeout 300 nc -l -p "$port" -e cat /tmp/served &
        server=$!
        # Announce only once nc listens, or the host's connection is refused.
        listening=":$(printf '%04X' "$port") 00000000:0000 0A"
        tries=0
        while ! grep -q "$listening" /proc/net/tcp && [ $tries -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
        echo "MIMIC-GUEST: serving $(md5sum < /tmp/served | cut -d' ' -f1) on port $port"
        if wait $server; then ok "served port $port"; else fail "nc -l -p $port"; fi
    fi
fi

echo "MIMIC-GUEST: $result"
sync
case "$(param mimic.end)" in
poweroff) poweroff -f ;;
shell)
    echo "MIMIC-GUEST: busybox shell on the console; 'exit' powers the VM off"
    setsid cttyhack sh
    poweroff -f ;;
*) reboot -f ;;
esac
"""


def cache_dir():
    if os.environ.get("MIMIC_LINUX_GUEST_DIR"):
        return os.environ["MIMIC_LINUX_GUEST_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mimic", "linux-guest")


def run(*args, **kwargs):
    return subprocess.run(args, check=True, **kwargs)


def output(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def kernel_package():
    """The versioned package linux-image-amd64 depends on."""
    for line in output("apt-cache", "depends", KERNEL_META_PACKAGE).splitlines():
        line = line.strip()
        if line.startswith("Depends:") and "linux-image-" in line:
            return line.split(":", 1)[1].strip()
    sys.exit("build_guest: cannot resolve %s with apt-cache" % KERNEL_META_PACKAGE)


def candidate_version(package):
    for line in output("apt-cache", "policy", package).splitlines():
        line = line.strip()
        if line.startswith("Candidate:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def download(package, workdir):
    run("apt-get", "download", "-q", package, cwd=workdir, stdout=subprocess.DEVNULL)
    debs = glob.glob(os.path.join(workdir, package + "_*.deb"))
    if len(debs) != 1:
        sys.exit("build_guest: apt-get download %s gave %s" % (package, debs))
    return debs[0]


def modinfo(data):
    """The .modinfo key=value strings of a kernel module (ELF64)."""
    import struct
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    sections = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = sections[shstrndx]
    def name(sec):
        start = names[4] + sec[0]
        return data[start:data.index(b"\0", start)].decode()
    for sec in sections:
        if name(sec) == ".modinfo":
            raw = data[sec[4]:sec[4] + sec[5]]
            return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)
    return {}


def module_load_order(root, release, wanted):
    """Module files (relative to lib/modules/<release>) to insmod, dependencies first."""
    moddir = os.path.join(root, "lib", "modules", release)
    files = {}
    for path in glob.glob(os.path.join(moddir, "kernel", "**", "*.ko*"), recursive=True):
        base = os.path.basename(path).split(".ko")[0]
        files[base.replace("-", "_")] = path
    builtin = set()
    builtin_list = os.path.join(moddir, "modules.builtin")
    if os.path.exists(builtin_list):
        for line in open(builtin_list):
            builtin.add(os.path.basename(line.strip()).split(".ko")[0].replace("-", "_"))
    order, seen = [], set()

    def visit(name):
        name = name.replace("-", "_")
        if name in seen or name in builtin or not name:
            return
        seen.add(name)
        if name not in files:
            sys.exit("build_guest: module %s not in the kernel package" % name)
        data = read_module(files[name])
        for dep in modinfo(data).get("depends", "").split(","):
            visit(dep)
        order.append((name, data))

    for name in wanted:
        visit(name)
    return order


def read_module(path):
    data = open(path, "rb").read()
    if path.endswith(".xz"):
        data = lzma.decompress(data)
    elif path.endswith(".gz"):
        data = gzip.decompress(data)
    return data


class Cpio:
    """A cpio "newc" archive, written without root (owners and device
    nodes are just numbers in the headers)."""

    def __init__(self):
        self.out = io.BytesIO()
        self.inode = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        header = "070701" + "".join("%08X" % v for v in (
            self.inode, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0))
        self.inode += 1
        self.out.write(header.encode() + name.encode() + b"\0")
        self.out.write(b"\0" * (-self.out.tell() % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-self.out.tell() % 4))

    def directory(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o644):
        self._entry(name, stat.S_IFREG | mode, data)

    def char_device(self, name, major, minor):
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return self.out.getvalue()


def add_modules(archive, root, release, names, load_file):
    """The modules `names` need into lib/modules, listed in load order in
    `load_file` for /init to insmod."""
    load = []
    for name, data in module_load_order(root, release, names):
        archive.file("lib/modules/%s.ko" % name, data)
        load.append(name + ".ko")
    archive.file(load_file, ("\n".join(load) + "\n").encode())


# Where extra init lines go: after the checks, before the verdict.
EXTRA_INIT_BEFORE = 'echo "MIMIC-GUEST: $result"\n'


def build(target, extra_files=None, extra_init="", extra_modules=()):
    """The guest in `target`, built unless up to date. extra_files maps
    paths in the initramfs to (bytes, mode); extra_init is shell text for
    /init; extra_modules names kernel modules to add, listed (dependencies
    first) in /etc/modules-extra.load for extra_init to insmod. Give a
    guest with extras a `target` of its own."""
    kernel_pkg = kernel_package()
    inputs = {
        "format": FORMAT_VERSION,
        "kernel": [kernel_pkg, candidate_version(kernel_pkg)],
        "busybox": candidate_version("busybox-static"),
        # The module lists too: a module added to one must reach the cache.
        "sources": hashlib.sha256(open(os.path.join(HERE, "checks.c"), "rb").read() +
                                  INIT_SCRIPT.encode() + UDHCPC_SCRIPT.encode() +
                                  " ".join(DISK_MODULES + VIRTIO_MODULES + NET_MODULES).encode()).hexdigest(),
    }
    extra_files = extra_files or {}
    if extra_files or extra_init or extra_modules:
        # Only then, so that the test guest's stamp stays as it was.
        extra = hashlib.sha256(extra_init.encode() + " ".join(extra_modules).encode())
        for path in sorted(extra_files):
            data, mode = extra_files[path]
            extra.update(("%s %o %d\0" % (path, mode, len(data))).encode() + data)
        inputs["extra"] = extra.hexdigest()
    # Tests run in parallel (ctest -j) and each asks for the guest: one
    # builds it while the others wait on the lock, then find it built.
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_built(target, inputs):
            build_locked(target, inputs, kernel_pkg, extra_files, extra_init, extra_modules)
    return target


def is_built(target, inputs):
    stamp = os.path.join(target, "inputs.json")
    return (os.path.exists(stamp) and json.load(open(stamp)) == inputs and
            os.path.exists(os.path.join(target, "vmlinuz")) and os.path.exists(os.path.join(target, "initrd.img")))


def build_locked(target, inputs, kernel_pkg, extra_files, extra_init, extra_modules=()):
    stamp = os.path.join(target, "inputs.json")
    with tempfile.TemporaryDirectory() as work:
        root = os.path.join(work, "root")
        run("dpkg-deb", "-x", download(kernel_pkg, work), root)
        run("dpkg-deb", "-x", download("busybox-static", work), root)
        vmlinuz = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))
        if len(vmlinuz) != 1:
            sys.exit("build_guest: no single vmlinuz in %s" % kernel_pkg)
        release = os.path.basename(vmlinuz[0])[len("vmlinuz-"):]

        checks = os.path.join(work, "mimic-checks")
        run("gcc", "-static", "-O2", "-o", checks, os.path.join(HERE, "checks.c"), "-lm")
        expected = output(checks)

        archive = Cpio()
        for d in ("bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "tmp", "sbin", "usr", "usr/bin",
                  "usr/sbin"):
            archive.directory(d)
        archive.char_device("dev/console", 5, 1)
        archive.char_device("dev/null", 1, 3)
        archive.file("bin/busybox", open(os.path.join(root, "bin", "busybox"), "rb").read(), 0o755)
        init = INIT_SCRIPT
        if extra_init:
            assert init.count(EXTRA_INIT_BEFORE) == 1
            init = init.replace(EXTRA_INIT_BEFORE, extra_init.rstrip("\n") + "\n" + EXTRA_INIT_BEFORE)
        archive.file("init", init.encode(), 0o755)
        archive.file("bin/mimic-checks", open(checks, "rb").read(), 0o755)
        archive.file("etc/mimic-checks.expected", expected.encode())
        for modules, load_file in ((DISK_MODULES, "modules.load"), (NET_MODULES, "modules-net.load"),
                                   (VIRTIO_MODULES, "modules-virtio.load"), (extra_modules, "modules-extra.load")):
            if modules:
                add_modules(archive, root, release, modules, "etc/" + load_file)
        archive.file("etc/udhcpc.script", UDHCPC_SCRIPT.encode(), 0o755)
        for path in sorted(extra_files):
            data, mode = extra_files[path]
            archive.file(path, data, mode)

        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, "initrd.img.tmp"), "wb") as f:
            f.write(gzip.compress(archive.finish(), compresslevel=6))
        shutil.copyfile(vmlinuz[0], os.path.join(target, "vmlinuz.tmp"))
        os.replace(os.path.join(target, "initrd.img.tmp"), os.path.join(target, "initrd.img"))
        os.replace(os.path.join(target, "vmlinuz.tmp"), os.path.join(target, "vmlinuz"))
        with open(stamp, "w") as f:
            json.dump(inputs, f)


def main():
    print(build(cache_dir()))


if __name__ == "__main__":
    main()
