// The q35 machine's chipset through the real binary: the MCH (identity,
// PCIEXBAR and the MMCONFIG window, PAM, SMRAM), the ICH9 LPC bridge (PIRQ
// routing to GSIs 16-23 and ISA IRQs, the root complex register block, the
// PM block at PMBASE, the SCI, APM, reset control), the ICH9 SMBus and the
// RAM split. Register values are QEMU 7.2's pc-q35-7.2 (read from it with
// HMP "xp" through MMCONFIG after SeaBIOS).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdint>
#include <string>
#include <vector>

#include "qtest_client.h"

using mimic::test::QtestClient;
using mimic::test::QtestError;

namespace {

constexpr int kMch = 0x00;
constexpr int kLpc = 0xf8;
constexpr int kSmbus = 0xfb;
constexpr uint64_t kMmconfig = 0xb0000000;

uint32_t config_address(int devfn, int reg) {
    return 0x80000000u | static_cast<uint32_t>(devfn) << 8 | static_cast<uint32_t>(reg & 0xfc);
}
uint32_t cfg_readl(QtestClient& vm, int devfn, int reg) {
    vm.outl(0xcf8, config_address(devfn, reg));
    return vm.inl(0xcfc);
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

std::vector<std::string> q35(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"-M", "q35", "-nodefaults"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// SeaBIOS's programming: MMCONFIG at 0xB0000000, the PM block at 0x600.
void enable_mmconfig(QtestClient& vm) { cfg_writel(vm, kMch, 0x60, static_cast<uint32_t>(kMmconfig) | 1); }
void enable_pm(QtestClient& vm) {
    cfg_writel(vm, kLpc, 0x40, 0x601);
    cfg_writeb(vm, kLpc, 0x44, 0x80);
}

// QEMU's edu device at `slot`: INTA through its raise register.
struct Edu {
    static constexpr uint64_t kBar = 0xfea00000;
    QtestClient& vm;
    int slot;
    void enable() {
        cfg_writel(vm, slot << 3, 0x10, static_cast<uint32_t>(kBar));
        cfg_writel(vm, slot << 3, 0x04, 0x0006);
    }
    void raise() { vm.writel(kBar + 0x60, 1); }
    void lower() { vm.writel(kBar + 0x64, 1); }
};

int wait_for_exit(QtestClient& vm) {
    int status = 0;
    EXPECT_EQ(waitpid(vm.pid(), &status, 0), vm.pid());
    return status;
}

}  // namespace

TEST(Q35Chipset, FunctionsWhereQemuHasThem) {
    QtestClient vm(q35());
    EXPECT_EQ(cfg_readl(vm, kMch, 0x00), 0x29c08086u);
    EXPECT_EQ(cfg_readl(vm, kMch, 0x08), 0x06000000u);  // host bridge, revision 0
    EXPECT_EQ(cfg_readl(vm, kLpc, 0x00), 0x29188086u);
    EXPECT_EQ(cfg_readl(vm, kLpc, 0x08), 0x06010002u);  // ISA bridge, revision 2
    EXPECT_EQ(cfg_readb(vm, kLpc, 0x0e), 0x80);         // multifunction
    EXPECT_EQ(cfg_readl(vm, kSmbus, 0x00), 0x29308086u);
    EXPECT_EQ(cfg_readl(vm, kSmbus, 0x08), 0x0c050002u);
    EXPECT_EQ(cfg_readb(vm, kSmbus, 0x3d), 1);  // INTA
    // No PIIX functions, no IDE at 01.1.
    EXPECT_EQ(cfg_readl(vm, 0x08, 0x00), 0xffffffffu);
    EXPECT_EQ(cfg_readl(vm, 0x09, 0x00), 0xffffffffu);
}

TEST(Q35Chipset, MchRegistersAtReset) {
    QtestClient vm(q35());
    EXPECT_EQ(cfg_readl(vm, kMch, 0x50), 0x10u);          // QEMU's 16 MiB extended TSEG
    EXPECT_EQ(cfg_readl(vm, kMch, 0x60), 0xb0000000u);    // PCIEXBAR: there, not enabled
    EXPECT_EQ(cfg_readl(vm, kMch, 0x64), 0u);
    EXPECT_EQ(cfg_readl(vm, kMch, 0x90), 0u);             // PAM: all PCI
    EXPECT_EQ(cfg_readl(vm, kMch, 0x9c), 0x00380200u);    // SMRAM 0x02, ESMRAMC 0x38
}

TEST(Q35Chipset, ConfigAddressLowBitsSelectBytes) {
    // kvm-unit-tests reads the device ID with CONFIG_ADDRESS ending in 2.
    QtestClient vm(q35());
    vm.outl(0xcf8, 0x80000000u | kLpc << 8 | 2);
    EXPECT_EQ(vm.inw(0xcfc), 0x2918);
}

TEST(Q35Chipset, MmconfigFollowsPciexbar) {
    QtestClient vm(q35());
    EXPECT_EQ(vm.readl(kMmconfig), 0xffffffffu) << "decoded before firmware enabled it";
    enable_mmconfig(vm);
    EXPECT_EQ(vm.readl(kMmconfig), 0x29c08086u);
    EXPECT_EQ(vm.readl(kMmconfig + (kLpc << 12)), 0x29188086u);
    EXPECT_EQ(vm.readw(kMmconfig + (kLpc << 12) + 2), 0x2918);
    EXPECT_EQ(vm.readl(kMmconfig + (0x08 << 12)), 0xffffffffu);        // no function at 01.0
    EXPECT_EQ(vm.readl(kMmconfig + (kLpc << 12) + 0x100), 0u);         // extended space: no capabilities
    EXPECT_EQ(vm.readl(kMmconfig + (1 << 20)), 0xffffffffu);           // bus 1: nothing there
    // Writes reach the function as configuration cycles do.
    vm.writeb(kMmconfig + (kLpc << 12) + 0x60, 0x0b);
    EXPECT_EQ(cfg_readb(vm, kLpc, 0x60), 0x0b);

    // 128 MiB at 0xe0000000 (length 1): the old window goes away.
    cfg_writel(vm, kMch, 0x60, 0xe0000000u | 2 | 1);
    EXPECT_EQ(vm.readl(kMmconfig), 0xffffffffu);
    EXPECT_EQ(vm.readl(0xe0000000), 0x29c08086u);
    // A qword write through MMCONFIG to PCIEXBAR moves MMCONFIG under the
    // write itself; the second half lands in the high dword.
    vm.writeq(0xe0000000 + 0x60, 0x00000000b0000001);
    EXPECT_EQ(vm.readl(kMmconfig), 0x29c08086u);
    EXPECT_EQ(vm.readl(0xe0000000), 0xffffffffu);
    cfg_writel(vm, kMch, 0x60, 0xe0000000u | 2 | 1);
    // The reserved length decodes nothing (QEMU aborts on it).
    cfg_writel(vm, kMch, 0x60, 0xe0000000u | 6 | 1);
    EXPECT_EQ(vm.readl(0xe0000000), 0xffffffffu);
    cfg_writel(vm, kMch, 0x60, 0xe0000000u);
    EXPECT_EQ(vm.readl(0xe0000000), 0xffffffffu);
}

TEST(Q35Chipset, PamAndSmramSteerTheLegacyWindows) {
    QtestClient vm(q35({"-vga", "std"}));
    auto bios = vm.readl(0xffff0);
    EXPECT_EQ(vm.readl(0xfffffff0), bios);  // the F segment shows the BIOS
    cfg_writeb(vm, kMch, 0x90, 0x30);        // F segment: RAM
    vm.writel(0xffff0, 0x12345678);
    EXPECT_EQ(vm.readl(0xffff0), 0x12345678u);
    cfg_writeb(vm, kMch, 0x90, 0x00);
    EXPECT_EQ(vm.readl(0xffff0), bios);
    cfg_writeb(vm, kMch, 0x90, 0x10);        // read-only RAM: the copy is back
    EXPECT_EQ(vm.readl(0xffff0), 0x12345678u);

    // SMRAM: D_OPEN shows the RAM under the VGA window; D_LCK closes it for good.
    cfg_writeb(vm, kMch, 0x9d, 0x4a);
    vm.writel(0xa0000, 0xcafe);
    EXPECT_EQ(vm.readl(0xa0000), 0xcafeu);
    cfg_writeb(vm, kMch, 0x9d, 0x0a);
    EXPECT_NE(vm.readl(0xa0000), 0xcafeu) << "the VGA window does not show";
    cfg_writeb(vm, kMch, 0x9d, 0x4a);
    EXPECT_EQ(vm.readl(0xa0000), 0xcafeu);
    cfg_writeb(vm, kMch, 0x9d, 0x1a);
    EXPECT_NE(vm.readl(0xa0000), 0xcafeu);
    cfg_writeb(vm, kMch, 0x9d, 0x4a);
    EXPECT_EQ(cfg_readb(vm, kMch, 0x9d) & 0x40, 0) << "D_OPEN set after D_LCK";
    EXPECT_NE(vm.readl(0xa0000), 0xcafeu);
}

TEST(Q35Chipset, LpcRegistersAtReset) {
    QtestClient vm(q35());
    EXPECT_EQ(cfg_readl(vm, kLpc, 0x40), 1u);  // PMBASE: an I/O BAR, not placed
    EXPECT_EQ(cfg_readb(vm, kLpc, 0x44), 0);
    EXPECT_EQ(cfg_readl(vm, kLpc, 0x60), 0x80808080u);
    EXPECT_EQ(cfg_readl(vm, kLpc, 0x68), 0x80808080u);
    EXPECT_EQ(cfg_readl(vm, kLpc, 0xf0), 0u);
}

// PIRQA-H drive IOAPIC inputs 16-23; a routed PIRQ also drives its ISA
// IRQ. A device in slot 2 has INTA on PIRQG (the rotation over E-H).
TEST(Q35Chipset, PirqsReachGsisAndRoutedIsaIrqs) {
    QtestClient vm(q35({"-device", "edu,addr=2"}));
    Edu edu{vm, 2};
    edu.enable();
    vm.irq_intercept_in("ioapic");
    edu.raise();
    EXPECT_TRUE(vm.irq_level(22));
    EXPECT_FALSE(vm.irq_level(11));
    cfg_writeb(vm, kLpc, 0x6a, 0x0b);  // PIRQG -> IRQ 11
    EXPECT_TRUE(vm.irq_level(11));
    EXPECT_TRUE(vm.irq_level(22));
    edu.lower();
    EXPECT_FALSE(vm.irq_level(22));
    EXPECT_FALSE(vm.irq_level(11));
    edu.raise();
    cfg_writeb(vm, kLpc, 0x6a, 0x8b);  // routing off again
    EXPECT_FALSE(vm.irq_level(11));
    EXPECT_TRUE(vm.irq_level(22));
    // Reserved ISA IRQs are not driven.
    cfg_writeb(vm, kLpc, 0x6a, 0x02);
    EXPECT_FALSE(vm.irq_level(2));
}

// Slots 25-31 take their PIRQs from the DnnIR registers of the root
// complex register block (D25IR at 0x3150: INTA-D -> PIRQA-D by default).
TEST(Q35Chipset, RootComplexRoutesSlots25To31) {
    QtestClient vm(q35({"-device", "edu,addr=19"}));  // slot 0x19 = 25
    Edu edu{vm, 25};
    edu.enable();
    vm.irq_intercept_in("ioapic");
    edu.raise();
    EXPECT_TRUE(vm.irq_level(16));
    cfg_writel(vm, kLpc, 0xf0, 0xfed1c001);
    EXPECT_EQ(vm.readw(0xfed1c000 + 0x3150), 0x3210);
    EXPECT_EQ(vm.readl(0xfed1c000 + 0x3410), 0x20u);  // GCS: no reboot
    EXPECT_EQ(vm.readw(0xfed1c000 + 0x3142), 0);       // D30IR: read-only zero
    vm.writew(0xfed1c000 + 0x3142, 0x1111);
    EXPECT_EQ(vm.readw(0xfed1c000 + 0x3142), 0);
    // INTA -> PIRQD: the asserted pin moves with the route.
    vm.writew(0xfed1c000 + 0x3150, 0x3213);
    EXPECT_FALSE(vm.irq_level(16));
    EXPECT_TRUE(vm.irq_level(19));
    edu.lower();
    EXPECT_FALSE(vm.irq_level(19));
    // RCBA disabled: the block is gone.
    cfg_writel(vm, kLpc, 0xf0, 0xfed1c000);
    EXPECT_EQ(vm.readl(0xfed1c000 + 0x3410), 0xffffffffu);
}

TEST(Q35Chipset, PmBlockAtPmbaseWhileAcpiIsEnabled) {
    QtestClient vm(q35());
    cfg_writel(vm, kLpc, 0x40, 0x601);
    EXPECT_EQ(vm.inl(0x608), 0xffffffffu) << "decoded without ACPI_EN";
    cfg_writeb(vm, kLpc, 0x44, 0x80);
    uint32_t before = vm.inl(0x608) & 0xffffff;
    vm.clock_step(1'000'000);  // 1 ms: 3579.545 ticks
    uint32_t after = vm.inl(0x608) & 0xffffff;
    EXPECT_NEAR(static_cast<double>((after - before) & 0xffffff), 3579.5, 1.0);
    // SMI_EN holds what firmware writes; SMI_STS clears by writing ones.
    vm.outl(0x630, 0x21);
    EXPECT_EQ(vm.inl(0x630), 0x21u);
    EXPECT_EQ(vm.inl(0x634), 0u);
    // GPE0: 8 status bytes at 0x620, 8 enable bytes at 0x628.
    vm.outb(0x628, 0x06);
    EXPECT_EQ(vm.inb(0x628), 0x06);
    EXPECT_EQ(vm.inb(0x620), 0x00);
    // Moved with PMBASE.
    cfg_writel(vm, kLpc, 0x40, 0xb001);
    EXPECT_EQ(vm.inl(0x630), 0xffffffffu);
    EXPECT_EQ(vm.inl(0xb030), 0x21u);
}

// The ICH9's APM commands (0x02/0x03, as its FADT says) switch SCI_EN, and
// the PM timer's overflow raises the SCI on GSI 9, or where ACPI_CNTL moves it.
TEST(Q35Chipset, ApmCommandsAndTheSci) {
    QtestClient vm(q35());
    enable_pm(vm);
    vm.outb(0xb2, 0x02);
    EXPECT_EQ(vm.inw(0x604) & 1, 1);
    EXPECT_EQ(vm.inb(0xb2), 0x02);
    vm.outb(0xb2, 0x03);
    EXPECT_EQ(vm.inw(0x604) & 1, 0);

    vm.irq_intercept_in("ioapic");
    vm.outw(0x602, 0x0001);  // timer overflow enable
    EXPECT_FALSE(vm.irq_level(9));
    vm.clock_step(int64_t{3} * 1'000'000'000);  // past the next flip of bit 23 (2.34 s)
    EXPECT_TRUE(vm.irq_level(9));
    cfg_writeb(vm, kLpc, 0x44, 0x84);  // SCI on GSI 20
    EXPECT_FALSE(vm.irq_level(9));
    EXPECT_TRUE(vm.irq_level(20));
    vm.outw(0x600, 0x0001);  // acknowledge
    EXPECT_FALSE(vm.irq_level(20));
}

TEST(Q35Chipset, SleepTypeZeroPowersOff) {
    QtestClient vm(q35());
    enable_pm(vm);
    vm.outw(0x604, 0x2000);  // SLP_EN, SLP_TYP 0: S5
    EXPECT_THROW(for (int i = 0; i < 100; ++i) vm.inb(0x80), QtestError);
    int status = wait_for_exit(vm);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Q35Chipset, ResetControlResetsTheChipset) {
    QtestClient vm(q35());
    cfg_writeb(vm, kMch, 0x91, 0x33);
    enable_pm(vm);
    vm.outb(0xcf9, 0x02);
    EXPECT_EQ(vm.inb(0xcf9), 0x02);  // hard-reset select, no reset yet
    EXPECT_EQ(cfg_readb(vm, kMch, 0x91), 0x33);
    vm.outb(0xcf9, 0x06);
    EXPECT_EQ(cfg_readb(vm, kMch, 0x91), 0x00);
    EXPECT_EQ(cfg_readl(vm, kLpc, 0x40), 1u);
    EXPECT_EQ(vm.inb(0xcf9), 0x00);
}

// The PIIX4-compatible SMBus registers are BAR 4, answering only while
// HOSTC has HST_EN; QEMU's eight empty SPD EEPROMs sit at 0x50-0x57.
TEST(Q35Chipset, SmbusAtBar4WhenHostEnabled) {
    QtestClient vm(q35());
    cfg_writel(vm, kSmbus, 0x20, 0x0701);
    cfg_writel(vm, kSmbus, 0x04, 0x0001);
    EXPECT_EQ(vm.inb(0x700), 0xff) << "decoded without HST_EN";
    cfg_writeb(vm, kSmbus, 0x40, 0x01);
    EXPECT_EQ(vm.inb(0x700), 0x00);
    auto quick = [&](uint8_t address) {
        vm.outb(0x700, 0xff);
        vm.outb(0x704, static_cast<uint8_t>(address << 1));
        vm.outb(0x702, 0x40);  // start, quick command
        vm.inb(0x700);
        return vm.inb(0x700);
    };
    EXPECT_EQ(quick(0x50) & 0x04, 0);      // an EEPROM answers
    EXPECT_EQ(quick(0x57) & 0x04, 0);
    EXPECT_EQ(quick(0x48) & 0x04, 0x04);   // nobody: device error
    cfg_writeb(vm, kSmbus, 0x40, 0x05);    // I2C_EN: not the SMBus block
    EXPECT_EQ(vm.inb(0x700), 0xff);
}

// All RAM below 4 GiB up to 2.75 GiB; beyond, 2 GiB below and the rest
// above, as QEMU's q35.
TEST(Q35Chipset, RamSplitAsQemu) {
    {
        QtestClient vm(q35({"-m", "2815M"}));
        vm.writel(0xafe00000, 0x5a5a5a5a);
        EXPECT_EQ(vm.readl(0xafe00000), 0x5a5a5a5au);
        EXPECT_EQ(vm.readl(0x100000000), 0xffffffffu);
    }
    {
        QtestClient vm(q35({"-m", "2816M"}));
        vm.writel(0x7ff00000, 0x5a5a5a5a);
        EXPECT_EQ(vm.readl(0x7ff00000), 0x5a5a5a5au);
        vm.writel(0x80000000, 0x5a5a5a5a);
        EXPECT_EQ(vm.readl(0x80000000), 0xffffffffu);  // the hole
        vm.writel(0x100000000 + 0x2fff0000, 0xa5a5a5a5);
        EXPECT_EQ(vm.readl(0x100000000 + 0x2fff0000), 0xa5a5a5a5u);
    }
}
