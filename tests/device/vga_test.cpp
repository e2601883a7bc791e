// The PCI "VGA" device through the real binary: register read-back, the
// 0xA0000 window in text mode, Bochs VBE with the linear framebuffer in
// BAR0, the vgabios option ROM in the ROM BAR, and -vga std|none.
#include <gtest/gtest.h>

#include <string>
#include <vector>

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
