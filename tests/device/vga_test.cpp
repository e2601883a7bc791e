// The PCI "VGA" device through the real binary: register read-back, the
// 0xA0000 window in text mode, Bochs VBE with the linear framebuffer in
// BAR0, the vgabios option ROM in the ROM BAR, the EDID in BAR2, and
// -vga std|none.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "qemu_edid_blobs.h"
#include "qtest_client.h"

using mimic::test::QtestClient;
using mimic::test::QtestError;

namespace {

constexpr int kVgaDevfn = 0x10;  // 02.0
constexpr uint32_t kLfb = 0xe0000000;

void pci_write(QtestClient& vm, int devfn, uint8_t offset, uint32_t value) {
    vm.outl(0xcf8, 0x80000000u | (devfn << 8) | offset);
    vm.outl(0xcfc, value);
}
uint32_t pci_read(QtestClient& vm, int devfn, uint8_t offset) {
    vm.outl(0xcf8, 0x80000000u | (devfn << 8) | offset);
    return vm.inl(0xcfc);
}

void vbe_write(QtestClient& vm, uint16_t index, uint16_t value) {
    vm.outw(0x1ce, index);
    vm.outw(0x1cf, value);
}
uint16_t vbe_read(QtestClient& vm, uint16_t index) {
    vm.outw(0x1ce, index);
    return vm.inw(0x1cf);
}

}  // namespace

TEST(Vga, PciIdentityAndBars) {
    QtestClient vm({});
    EXPECT_EQ(pci_read(vm, kVgaDevfn, 0x00), 0x11111234u);
    EXPECT_EQ(pci_read(vm, kVgaDevfn, 0x08) >> 8, 0x030000u);
    // BAR0: 16 MiB prefetchable memory.
    pci_write(vm, kVgaDevfn, 0x10, 0xffffffff);
    EXPECT_EQ(pci_read(vm, kVgaDevfn, 0x10), 0xff000008u);
    // The expansion ROM holds vgabios-stdvga.bin (55 AA signature).
    pci_write(vm, kVgaDevfn, 0x30, 0xfffff800);
    uint32_t rom_mask = pci_read(vm, kVgaDevfn, 0x30);
    EXPECT_EQ(rom_mask & 0xfffff800, 0xffff0000u);  // 64 KiB
    pci_write(vm, kVgaDevfn, 0x30, 0xfeb00001);
    pci_write(vm, kVgaDevfn, 0x04, 0x0003);
    EXPECT_EQ(vm.readw(0xfeb00000), 0xaa55);
}

TEST(Vga, NoneRemovesTheDeviceAndOtherTypesAreRefused) {
    {
        // Without -nic none the default e1000 would take the free slot 2,
        // as in QEMU.
        QtestClient vm({"-vga", "none", "-nic", "none"});
        EXPECT_EQ(pci_read(vm, kVgaDevfn, 0x00), 0xffffffffu);
        EXPECT_EQ(vm.inb(0x3cc), 0xff);
    }
    try {
        QtestClient vm({"-vga", "cirrus"});
        FAIL() << "started";
    } catch (const QtestError& e) {
        EXPECT_NE(std::string(e.what()).find("-vga cirrus: the 'cirrus' VGA is not supported yet"),
                  std::string::npos)
            << e.what();
    }
}

TEST(Vga, RegistersReadBack) {
    QtestClient vm({});
    vm.outb(0x3c2, 0x67);  // colour: CRTC at 0x3D4
    EXPECT_EQ(vm.inb(0x3cc), 0x67);
    vm.outw(0x3c4, 0x0f02);  // sequencer map mask, index and data in one word
    vm.outb(0x3c4, 0x02);
    EXPECT_EQ(vm.inb(0x3c5), 0x0f);
    vm.outb(0x3ce, 0x05);
    vm.outb(0x3cf, 0x10);
    EXPECT_EQ(vm.inb(0x3cf), 0x10);
    vm.outb(0x3d4, 0x0e);
    vm.outb(0x3d5, 0x12);
    EXPECT_EQ(vm.inb(0x3d5), 0x12);
    EXPECT_EQ(vm.inb(0x3b5), 0xff);  // monochrome ports are off
    // DAC: three components per entry, auto-increment.
    vm.outb(0x3c8, 5);
    vm.outb(0x3c9, 1);
    vm.outb(0x3c9, 2);
    vm.outb(0x3c9, 3);
    vm.outb(0x3c7, 5);
    EXPECT_EQ(vm.inb(0x3c9), 1);
    EXPECT_EQ(vm.inb(0x3c9), 2);
    EXPECT_EQ(vm.inb(0x3c9), 3);
    // Attribute controller: the flip-flop resets on an input status read.
    vm.inb(0x3da);
    vm.outb(0x3c0, 0x01);
    vm.outb(0x3c0, 0x3f);
    vm.outb(0x3c0, 0x21);
    EXPECT_EQ(vm.inb(0x3c1), 0x3f);
    // The retrace bit toggles so polling loops end.
    uint8_t a = vm.inb(0x3da), b = vm.inb(0x3da);
    EXPECT_NE(a & 0x08, b & 0x08);
}

TEST(Vga, TextModeWindowAtB8000) {
    QtestClient vm({});
    vm.outb(0x3c2, 0x67);
    vm.outw(0x3c4, 0x0302);  // planes 0 and 1
    vm.outw(0x3c4, 0x0204);  // odd/even
    vm.outw(0x3ce, 0x1005);  // odd/even reads
    vm.outw(0x3ce, 0x0e06);  // text, B8000 32 KiB
    const std::string text = "Hello";
    for (size_t i = 0; i < text.size(); ++i) {
        vm.writeb(0xb8000 + 2 * i, static_cast<uint8_t>(text[i]));
        vm.writeb(0xb8000 + 2 * i + 1, 0x1f);
    }
    EXPECT_EQ(vm.readb(0xb8000), 'H');
    EXPECT_EQ(vm.readb(0xb8001), 0x1f);
    EXPECT_EQ(vm.readw(0xb8008), 0x1f6f);  // 'o' with its attribute
    // Outside the selected window: nothing.
    EXPECT_EQ(vm.readb(0xa0000), 0xff);
}

TEST(Vga, VbeModeAndLinearFramebuffer) {
    QtestClient vm({});
    EXPECT_EQ(vbe_read(vm, 0), 0xb0c5);
    EXPECT_EQ(vbe_read(vm, 0x0a), 256);  // 16 MiB in 64 KiB units
    vbe_write(vm, 4, 0x02);                // GETCAPS
    EXPECT_EQ(vbe_read(vm, 1), 16000);
    vbe_write(vm, 4, 0);
    vbe_write(vm, 1, 640);
    vbe_write(vm, 2, 480);
    vbe_write(vm, 3, 32);
    vbe_write(vm, 4, 0x41);  // enabled, LFB
    EXPECT_EQ(vbe_read(vm, 1), 640);
    EXPECT_EQ(vbe_read(vm, 6), 640);
    EXPECT_EQ(vbe_read(vm, 7), (16 << 20) / (640 * 4));
    // Mode registers are locked while enabled.
    vbe_write(vm, 1, 800);
    EXPECT_EQ(vbe_read(vm, 1), 640);

    pci_write(vm, kVgaDevfn, 0x10, kLfb);
    pci_write(vm, kVgaDevfn, 0x04, 0x0003);
    vm.writel(kLfb, 0x00ff0000);
    vm.writel(kLfb + 640 * 4 * 479 + 639 * 4, 0x000000ff);
    EXPECT_EQ(vm.readl(kLfb), 0x00ff0000u);
    // The banked window shows the same memory.
    EXPECT_EQ(vm.readl(0xa0000), 0x00ff0000u);
    vbe_write(vm, 5, 1);
    vm.writeb(0xa0000, 0x42);
    EXPECT_EQ(vm.readb(kLfb + 0x10000), 0x42);
}

// BAR2 starts with the monitor's EDID (384 bytes; the rest of the first
// KiB is empty bus). The expected bytes are QEMU 7.2's, recorded with
//   qemu-system-x86_64 -qtest stdio -display none -nodefaults -device VGA<opts>
// after programming BAR2 to 0xfe000000 with memory decoding on, with
// "read 0xfe000000 0x180"; EdidMatchesLiveQemu repeats that when QEMU is
// installed.
namespace {

constexpr uint32_t kMmio = 0xfebf0000;
constexpr size_t kEdidWindow = 0x400;

std::string hex(const std::vector<uint8_t>& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (uint8_t b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

// The 384-byte blob, then all ones up to 1 KiB.
std::string edid_window(const std::string& blob) {
    return blob + std::string(2 * (kEdidWindow - blob.size() / 2), 'f');
}

std::string read_edid_window(QtestClient& vm) {
    pci_write(vm, kVgaDevfn, 0x18, kMmio);
    pci_write(vm, kVgaDevfn, 0x04, 0x0002);
    return hex(vm.memread(kMmio, kEdidWindow));
}

// The same window read from QEMU over "-qtest stdio" ("" without QEMU or
// when it does not answer in time). QEMU stays up after its qtest input
// ends, so it is ended once the answer is in.
std::string qemu_edid_window(const std::string& device) {
    const char* qemu = "/usr/bin/qemu-system-x86_64";
    if (access(qemu, X_OK) != 0) return {};
    int in[2], out[2];
    // A socket for its input, so that a QEMU that exited early costs an
    // error instead of SIGPIPE.
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, in) != 0) return {};
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return {};
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 2);
        for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
        execl(qemu, qemu, "-qtest", "stdio", "-display", "none", "-nodefaults", "-device",
              device.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    std::string answer;
    if (pid > 0) {
        char script[256];
        int n = std::snprintf(
            script, sizeof script,
            "outl 0xcf8 0x%x\noutl 0xcfc 0x%x\noutl 0xcf8 0x%x\noutl 0xcfc 0x2\nread 0x%x 0x%zx\n",
            0x80000000u | (kVgaDevfn << 8) | 0x18, kMmio, 0x80000000u | (kVgaDevfn << 8) | 0x04,
            kMmio, kEdidWindow);
        if (send(in[1], script, static_cast<size_t>(n), MSG_NOSIGNAL) == n) {
            std::string text;
            char buf[4096];
            pollfd pfd{out[0], POLLIN, 0};
            while (poll(&pfd, 1, 20000) > 0) {
                ssize_t got = read(out[0], buf, sizeof buf);
                if (got <= 0) break;
                text.append(buf, static_cast<size_t>(got));
                size_t at = text.find("OK 0x");
                size_t end = at == std::string::npos ? at : text.find('\n', at);
                if (end != std::string::npos) {
                    answer = text.substr(at + 5, end - at - 5);
                    break;
                }
            }
        }
        kill(pid, SIGTERM);
        waitpid(pid, nullptr, 0);
    }
    close(in[1]);
    close(out[0]);
    return answer;
}

}  // namespace

TEST(Vga, EdidAsQemu) {
    {
        QtestClient vm({});  // -vga std
        EXPECT_EQ(read_edid_window(vm), edid_window(mimic::test::kQemuEdidDefault));
        // Read-only, and readable in dwords (little-endian).
        vm.writel(kMmio, 0x12345678);
        EXPECT_EQ(vm.readl(kMmio), 0xffffff00u);
        EXPECT_EQ(vm.readl(kMmio + 0x17c), 0u);
        EXPECT_EQ(vm.readl(kMmio + 0x180), 0xffffffffu);
    }
    {
        QtestClient vm({"-nodefaults", "-device", "VGA,xres=1024,yres=768"});
        EXPECT_EQ(read_edid_window(vm), edid_window(mimic::test::kQemuEdid1024x768));
    }
    {
        QtestClient vm({"-nodefaults", "-device", "VGA,edid=off"});
        EXPECT_EQ(read_edid_window(vm), std::string(2 * kEdidWindow, 'f'));
    }
}

TEST(Vga, EdidMatchesLiveQemu) {
    for (const char* device :
         {"VGA", "VGA,edid=off", "VGA,xres=1024,yres=768", "VGA,xres=4096,yres=2160",
          "VGA,xmax=1024,ymax=768,refresh_rate=60000"}) {
        std::string qemu = qemu_edid_window(device);
        if (qemu.empty()) GTEST_SKIP() << "no /usr/bin/qemu-system-x86_64 to compare with";
        QtestClient vm({"-nodefaults", "-device", device});
        EXPECT_EQ(read_edid_window(vm), qemu) << device;
    }
}
