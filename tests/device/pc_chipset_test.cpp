// The pc machine's chipset through the real binary: PCI configuration
// mechanism #1, the i440FX (PAM, SMRAM), PIIX3 (PIRQ routing, 0xCF9 reset)
// and PIIX4_PM (PM timer, S5 power-off).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include "qtest_client.h"

using mimic::test::QtestClient;
using mimic::test::QtestError;

namespace {

uint32_t config_address(int devfn, int reg) {
    return 0x80000000u | static_cast<uint32_t>(devfn) << 8 | static_cast<uint32_t>(reg & 0xfc);
}

uint32_t cfg_readl(QtestClient& vm, int devfn, int reg) {
    vm.outl(0xcf8, config_address(devfn, reg));
    return vm.inl(0xcfc);
}

uint16_t cfg_readw(QtestClient& vm, int devfn, int reg) {
    vm.outl(0xcf8, config_address(devfn, reg));
    return vm.inw(static_cast<uint16_t>(0xcfc + (reg & 2)));
}

uint8_t cfg_readb(QtestClient& vm, int devfn, int reg) {
    vm.outl(0xcf8, config_address(devfn, reg));
    return vm.inb(static_cast<uint16_t>(0xcfc + (reg & 3)));
}

void cfg_writel(QtestClient& vm, int devfn, int reg, uint32_t value) {
    vm.outl(0xcf8, config_address(devfn, reg));
    vm.outl(0xcfc, value);
}

void cfg_writeb(QtestClient& vm, int devfn, int reg, uint8_t value) {
    vm.outl(0xcf8, config_address(devfn, reg));
    vm.outb(static_cast<uint16_t>(0xcfc + (reg & 3)), value);
}

constexpr int kI440fx = 0x00;
constexpr int kPiix3 = 0x08;
constexpr int kPiix4Pm = 0x0b;

// Exit status of an emulator that ended on its own.
int wait_for_exit(QtestClient& vm) {
    int status = 0;
    EXPECT_EQ(waitpid(vm.pid(), &status, 0), vm.pid());
    return status;
}

}  // namespace

TEST(PcChipset, ConfigAddressLatchesOnlyDwordWrites) {
    QtestClient vm({});
    vm.outl(0xcf8, 0x80001234);
    EXPECT_EQ(vm.inl(0xcf8), 0x80001234u);
    vm.outl(0xcf8, 0x00000000);
    EXPECT_EQ(vm.inl(0xcfc), 0xffffffffu);  // enable bit clear: no cycle
}

TEST(PcChipset, ConfigAddressLowBitsSelectBytes) {
    // As QEMU: kvm-unit-tests reads the device ID with CONFIG_ADDRESS
    // ending in 2 and a word read of CONFIG_DATA.
    QtestClient vm({});
    vm.outl(0xcf8, 0x80000000u | kPiix3 << 8 | 2);
    EXPECT_EQ(vm.inw(0xcfc), 0x7000);
}

TEST(PcChipset, HostBridgeIdentity) {
    QtestClient vm({});
    EXPECT_EQ(cfg_readl(vm, kI440fx, 0x00), 0x12378086u);
    EXPECT_EQ(cfg_readb(vm, kI440fx, 0x08), 0x02);       // revision
    EXPECT_EQ(cfg_readl(vm, kI440fx, 0x08) >> 8, 0x060000u);  // host bridge
    EXPECT_EQ(cfg_readb(vm, kI440fx, 0x0e), 0x00);       // single function
    EXPECT_EQ(cfg_readw(vm, kI440fx, 0x2c), 0x1af4);     // QEMU's subsystem
    EXPECT_EQ(cfg_readw(vm, kI440fx, 0x2e), 0x1100);
    EXPECT_EQ(cfg_readb(vm, kI440fx, 0x3d), 0x00);       // no interrupt pin
    EXPECT_EQ(cfg_readb(vm, kI440fx, 0x72), 0x02);       // SMRAM at 0xA0000
}

TEST(PcChipset, Piix3Identity) {
    QtestClient vm({});
    EXPECT_EQ(cfg_readl(vm, kPiix3, 0x00), 0x70008086u);
    EXPECT_EQ(cfg_readl(vm, kPiix3, 0x08) >> 8, 0x060100u);  // ISA bridge
    EXPECT_EQ(cfg_readb(vm, kPiix3, 0x0e), 0x80);            // multifunction
    for (int reg = 0x60; reg < 0x64; ++reg) EXPECT_EQ(cfg_readb(vm, kPiix3, reg), 0x80) << reg;
}

TEST(PcChipset, Piix4PmIdentity) {
    QtestClient vm({});
    EXPECT_EQ(cfg_readl(vm, kPiix4Pm, 0x00), 0x71138086u);
    EXPECT_EQ(cfg_readb(vm, kPiix4Pm, 0x08), 0x03);
    EXPECT_EQ(cfg_readl(vm, kPiix4Pm, 0x08) >> 8, 0x068000u);  // other bridge
    EXPECT_EQ(cfg_readb(vm, kPiix4Pm, 0x3d), 0x01);            // INTA
    EXPECT_EQ(cfg_readl(vm, kPiix4Pm, 0x40), 0x00000001u);     // PMBA, I/O
}

TEST(PcChipset, AbsentFunctionsReadAllOnes) {
    QtestClient vm({});
    EXPECT_EQ(cfg_readl(vm, 0x10 << 3, 0x00), 0xffffffffu);
    vm.outl(0xcf8, 0x80010000);                     // bus 1: no such bus
    EXPECT_EQ(vm.inl(0xcfc), 0xffffffffu);
}

TEST(PcChipset, ReadOnlyRegistersIgnoreWrites) {
    QtestClient vm({});
    cfg_writel(vm, kI440fx, 0x00, 0);
    EXPECT_EQ(cfg_readl(vm, kI440fx, 0x00), 0x12378086u);
    cfg_writeb(vm, kPiix3, 0x3c, 0x0b);  // interrupt line is writable
    EXPECT_EQ(cfg_readb(vm, kPiix3, 0x3c), 0x0b);
}

TEST(PcChipset, PamSwitchesTheBiosAreaBetweenRomAndRam) {
    QtestClient vm({"-m", "64M"});
    auto bios = vm.memread(0xe0000, 16);
    // Shadow RAM writable and readable: the copy firmware makes of itself.
    cfg_writeb(vm, kI440fx, 0x5e, 0x33);  // 0xE0000-0xE7FFF
    vm.memwrite(0xe0000, {1, 2, 3, 4});
    EXPECT_EQ(vm.memread(0xe0000, 4), (std::vector<uint8_t>{1, 2, 3, 4}));
    // Read-only: reads still see RAM, writes are lost.
    cfg_writeb(vm, kI440fx, 0x5e, 0x11);
    vm.memwrite(0xe0000, {9, 9, 9, 9});
    EXPECT_EQ(vm.memread(0xe0000, 4), (std::vector<uint8_t>{1, 2, 3, 4}));
    // Back to the PCI side: the BIOS image again, the RAM copy kept below.
    cfg_writeb(vm, kI440fx, 0x5e, 0x00);
    EXPECT_EQ(vm.memread(0xe0000, 16), bios);
    cfg_writeb(vm, kI440fx, 0x5e, 0x11);
    EXPECT_EQ(vm.memread(0xe0000, 4), (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST(PcChipset, PamFSegmentUsesTheHighNibbleOfPam0) {
    QtestClient vm({"-m", "64M"});
    auto reset_vector = vm.memread(0xffff0, 16);
    cfg_writeb(vm, kI440fx, 0x59, 0x30);
    vm.writel(0xffff0, 0x12345678);
    EXPECT_EQ(vm.readl(0xffff0), 0x12345678u);
    EXPECT_EQ(cfg_readb(vm, kI440fx, 0x59), 0x30);
    cfg_writeb(vm, kI440fx, 0x59, 0x00);
    EXPECT_EQ(vm.memread(0xffff0, 16), reset_vector);
    // The top-of-4G copy is not affected by PAM.
    EXPECT_EQ(vm.memread(0xfffffff0, 16), reset_vector);
}

TEST(PcChipset, SmramOpenShowsRamAtA0000) {
    QtestClient vm({"-m", "64M"});  // with the VGA window at 0xA0000
    cfg_writeb(vm, kI440fx, 0x72, 0x4a);  // D_OPEN | G_SMRAME
    vm.writel(0xa0000, 0xcafef00d);
    EXPECT_EQ(vm.readl(0xa0000), 0xcafef00du);
    cfg_writeb(vm, kI440fx, 0x72, 0x0a);  // closed: the VGA window again
    EXPECT_NE(vm.readl(0xa0000), 0xcafef00du);
    cfg_writeb(vm, kI440fx, 0x72, 0x4a);
    EXPECT_EQ(vm.readl(0xa0000), 0xcafef00du);
    // D_LCK: D_OPEN is cleared and can no longer be set.
    cfg_writeb(vm, kI440fx, 0x72, 0x1a);
    cfg_writeb(vm, kI440fx, 0x72, 0x5a);
    EXPECT_EQ(cfg_readb(vm, kI440fx, 0x72) & 0x40, 0);
    EXPECT_NE(vm.readl(0xa0000), 0xcafef00du);
}

TEST(PcChipset, PirqRoutingRegistersKeepRouteAndDisableBits) {
    QtestClient vm({});
    cfg_writel(vm, kPiix3, 0x60, 0x0b0a0b0a);
    EXPECT_EQ(cfg_readl(vm, kPiix3, 0x60), 0x0b0a0b0au);
    cfg_writeb(vm, kPiix3, 0x62, 0xff);  // reserved bits 4-6 stay clear
    EXPECT_EQ(cfg_readb(vm, kPiix3, 0x62), 0x8f);
}

TEST(PcChipset, PmTimerRunsAt3579545HzOnTheVirtualClock) {
    QtestClient vm({});
    cfg_writel(vm, kPiix4Pm, 0x40, 0x601);
    cfg_writeb(vm, kPiix4Pm, 0x80, 0x01);
    EXPECT_EQ(cfg_readl(vm, kPiix4Pm, 0x40), 0x601u);
    uint32_t before = vm.inl(0x608);
    vm.clock_step(1'000'000'000 / 100);  // 10 ms
    uint32_t after = vm.inl(0x608);
    uint32_t ticks = (after - before) & 0xffffff;
    EXPECT_NEAR(static_cast<double>(ticks), 35795.45, 2.0);
    vm.clock_step(1'000'000'000 / 100);
    EXPECT_NEAR(static_cast<double>((vm.inl(0x608) - after) & 0xffffff), 35795.45, 2.0);
}

TEST(PcChipset, PmIoIsDecodedOnlyWhenEnabled) {
    QtestClient vm({});
    cfg_writel(vm, kPiix4Pm, 0x40, 0x601);
    EXPECT_EQ(vm.inw(0x604), 0xffff);  // PMREGMISC clear: not decoded
    cfg_writeb(vm, kPiix4Pm, 0x80, 0x01);
    EXPECT_EQ(vm.inw(0x604), 0x0000);
    vm.outb(0xb2, 0xf1);  // ACPI enable through the APM control port
    EXPECT_EQ(vm.inw(0x604) & 1, 1);
}

TEST(PcChipset, PmTimerOverflowSetsStatusAndSci) {
    QtestClient vm({});
    cfg_writel(vm, kPiix4Pm, 0x40, 0x601);
    cfg_writeb(vm, kPiix4Pm, 0x80, 0x01);
    vm.outw(0x602, 0x0001);                          // TMR_EN
    vm.clock_step(int64_t{5} * 1'000'000'000);        // bit 23 flips every 2.34 s
    EXPECT_EQ(vm.inw(0x600) & 1, 1);
    vm.outw(0x600, 0x0001);                          // write 1 to clear
    EXPECT_EQ(vm.inw(0x600) & 1, 0);
}

TEST(PcChipset, S5SoftOffEndsTheVm) {
    QtestClient vm({});
    cfg_writel(vm, kPiix4Pm, 0x40, 0x601);
    cfg_writeb(vm, kPiix4Pm, 0x80, 0x01);
    vm.outw(0x604, 0x2000);  // SLP_TYP 0 (\_S5) with SLP_EN
    EXPECT_THROW(for (int i = 0; i < 100; ++i) vm.inb(0x80), QtestError);
    int status = wait_for_exit(vm);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(PcChipset, ResetControlRegisterResetsTheChipset) {
    QtestClient vm({});
    cfg_writeb(vm, kI440fx, 0x5a, 0x33);
    vm.outb(0xcf9, 0x02);
    EXPECT_EQ(vm.inb(0xcf9), 0x02);  // hard-reset select, no reset yet
    EXPECT_EQ(cfg_readb(vm, kI440fx, 0x5a), 0x33);
    vm.outb(0xcf9, 0x06);
    EXPECT_EQ(cfg_readb(vm, kI440fx, 0x5a), 0x00);
    EXPECT_EQ(vm.inb(0xcf9), 0x00);
}

TEST(PcChipset, ResetControlWithNoRebootExits) {
    QtestClient vm({"-no-reboot"});
    vm.outb(0xcf9, 0x06);
    EXPECT_THROW(for (int i = 0; i < 100; ++i) vm.inb(0x80), QtestError);
    int status = wait_for_exit(vm);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

// BAR sizing and decode through the functions the board adds: the PIIX IDE
// bus-master block (BAR4, 16 I/O ports) and the VGA framebuffer (BAR0).
TEST(PcChipset, BarSizingAndIoDecodeFollowCommand) {
    QtestClient vm({});
    constexpr int kIde = 0x09;
    cfg_writel(vm, kIde, 0x20, 0xffffffff);
    EXPECT_EQ(cfg_readl(vm, kIde, 0x20), 0xfffffff1u);  // 16 ports, I/O
    cfg_writel(vm, kIde, 0x20, 0xc040);
    EXPECT_EQ(cfg_readl(vm, kIde, 0x20), 0xc041u);
    EXPECT_EQ(vm.inb(0xc042), 0xff);                      // I/O decode off
    cfg_writeb(vm, kIde, 0x04, 0x01);                     // COMMAND.IO
    EXPECT_NE(vm.inb(0xc042), 0xff);                      // BMDMA status
    cfg_writeb(vm, kIde, 0x04, 0x00);
    EXPECT_EQ(vm.inb(0xc042), 0xff);

    constexpr int kVga = 0x10;
    uint32_t original = cfg_readl(vm, kVga, 0x10);
    EXPECT_EQ(original & 0xf, 0x8u);                      // 32-bit prefetchable
    cfg_writel(vm, kVga, 0x10, 0xffffffff);
    uint32_t mask = cfg_readl(vm, kVga, 0x10);
    EXPECT_EQ(mask & 0xf, 0x8u);
    uint32_t size = ~(mask & ~0xfu) + 1;
    EXPECT_GE(size, 4u << 20);
    EXPECT_EQ(size & (size - 1), 0u);                     // a power of two
}
