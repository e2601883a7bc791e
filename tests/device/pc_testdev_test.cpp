// pc-testdev through the real binary, as kvm-unit-tests uses it: the data
// register by byte lanes on both windows, the I/O memory window, and ISA IRQ
// lines driven by port writes (seen in the 8259's IRR).
#include <gtest/gtest.h>

#include "qtest_client.h"

using mimic::test::QtestClient;

TEST(PcTestdev, DataRegisterKeepsEachByteLane) {
    QtestClient vm({"-device", "pc-testdev"});
    vm.outl(0xe0, 0x12345678);
    EXPECT_EQ(vm.inl(0xe0), 0x12345678u);
    EXPECT_EQ(vm.inb(0xe1), 0x56u);
    EXPECT_EQ(vm.inw(0xe2), 0x1234u);
    vm.outb(0xe2, 0xab);
    EXPECT_EQ(vm.inl(0xe0), 0x12ab5678u);
    // The byte-wide window is the same register.
    EXPECT_EQ(vm.inl(0xe8), 0x12ab5678u);
    vm.outw(0xe8, 0xcdef);
    EXPECT_EQ(vm.inl(0xe0), 0x12abcdefu);
}

TEST(PcTestdev, IomemReadsBackWhatWasWritten) {
    QtestClient vm({"-device", "pc-testdev"});
    vm.writel(0xff000000, 0xdeadbeef);
    vm.writeb(0xff00fffe, 0x5a);
    EXPECT_EQ(vm.readl(0xff000000), 0xdeadbeefu);
    EXPECT_EQ(vm.readw(0xff000002), 0xdeadu);
    EXPECT_EQ(vm.readb(0xff00fffe), 0x5au);
    // Without the device nothing decodes there.
    QtestClient bare({});
    EXPECT_EQ(bare.readl(0xff000000), 0xffffffffu);
}

TEST(PcTestdev, IrqPortsDriveIsaLines) {
    QtestClient vm({"-device", "pc-testdev"});
    vm.outb(0x20, 0x11);  // the master 8259: edge, cascade, ICW4
    vm.outb(0x21, 0x08);
    vm.outb(0x21, 0x04);
    vm.outb(0x21, 0x01);
    vm.outb(0x4d0, 0x20);  // ELCR: IRQ5 level-triggered, so IRR follows the line
    vm.outb(0x2000 + 5, 1);
    vm.outb(0x20, 0x0a);  // read IRR
    EXPECT_EQ(vm.inb(0x20) & 0x20, 0x20u);
    vm.outb(0x2000 + 5, 0);
    vm.outb(0x20, 0x0a);
    EXPECT_EQ(vm.inb(0x20) & 0x20, 0x00u);
}
