// The local APIC through the real binary: qtest MMIO at 0xfee00000 reaches
// CPU 0's APIC. Reset values, TPR/PPR, the timer in one-shot and periodic
// mode on the virtual clock (qtest clock_step), self-IPIs into IRR, ESR,
// and the IOAPIC's messages arriving in IRR with remote IRR and EOI.
#include <gtest/gtest.h>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

constexpr uint64_t kApic = 0xfee00000;
constexpr uint64_t kIoapic = 0xfec00000;

enum Reg : uint32_t {
    kId = 0x20, kVersion = 0x30, kTpr = 0x80, kApr = 0x90, kPpr = 0xa0, kEoi = 0xb0, kLdr = 0xd0, kDfr = 0xe0,
    kSvr = 0xf0, kIsr = 0x100, kTmr = 0x180, kIrr = 0x200, kEsr = 0x280, kIcrLo = 0x300, kIcrHi = 0x310,
    kLvtTimer = 0x320, kLvtThermal = 0x330, kLvtPerf = 0x340, kLvtLint0 = 0x350, kLvtLint1 = 0x360,
    kLvtError = 0x370, kInitialCount = 0x380, kCurrentCount = 0x390, kDivide = 0x3e0,
};

struct Apic {
    QtestClient vm;
    explicit Apic(std::vector<std::string> args = {}) : vm(args) { vm.clock_step(0); }

    uint32_t read(uint32_t reg) { return vm.readl(kApic + reg); }
    void write(uint32_t reg, uint32_t value) { vm.writel(kApic + reg, value); }
    bool irr(int vector) { return read(kIrr + (vector / 32) * 0x10) >> (vector % 32) & 1; }
    bool isr(int vector) { return read(kIsr + (vector / 32) * 0x10) >> (vector % 32) & 1; }
    bool tmr(int vector) { return read(kTmr + (vector / 32) * 0x10) >> (vector % 32) & 1; }
    void enable() { write(kSvr, 0x1ff); }
    int64_t now() { return vm.clock_step(0); }

    uint32_t ioapic_read(uint32_t index) {
        vm.writel(kIoapic, index);
        return vm.readl(kIoapic + 0x10);
    }
    void ioapic_write(uint32_t index, uint32_t value) {
        vm.writel(kIoapic, index);
        vm.writel(kIoapic + 0x10, value);
    }
    void redirect(int pin, uint64_t entry) {
        ioapic_write(0x10 + 2 * pin + 1, static_cast<uint32_t>(entry >> 32));
        ioapic_write(0x10 + 2 * pin, static_cast<uint32_t>(entry));
    }
};

}  // namespace

TEST(Apic, ResetValues) {
    Apic apic;
    EXPECT_EQ(apic.read(kId), 0u);
    EXPECT_EQ(apic.read(kVersion), 0x00050014u);
    EXPECT_EQ(apic.read(kSvr), 0xffu);
    EXPECT_EQ(apic.read(kDfr), 0xffffffffu);
    EXPECT_EQ(apic.read(kTpr), 0u);
    EXPECT_EQ(apic.read(kLvtTimer), 0x10000u);
    EXPECT_EQ(apic.read(kLvtError), 0x10000u);
    // The BSP starts in virtual wire mode: LINT0 unmasked ExtINT.
    EXPECT_EQ(apic.read(kLvtLint0), 0x700u);
    EXPECT_EQ(apic.read(kLvtLint1), 0x10000u);
}

TEST(Apic, SoftwareDisabledKeepsLvtsMasked) {
    Apic apic;
    apic.write(kLvtTimer, 0x30);
    EXPECT_EQ(apic.read(kLvtTimer), 0x10030u);
    apic.enable();
    apic.write(kLvtTimer, 0x30);
    EXPECT_EQ(apic.read(kLvtTimer), 0x30u);
    // Clearing the enable bit masks every LVT again.
    apic.write(kSvr, 0xff);
    EXPECT_EQ(apic.read(kLvtTimer), 0x10030u);
    EXPECT_EQ(apic.read(kLvtLint0), 0x10700u);
}

TEST(Apic, LogicalDestinationAndFormat) {
    Apic apic;
    apic.write(kLdr, 0x0312abcd);
    EXPECT_EQ(apic.read(kLdr), 0x03000000u);
    apic.write(kDfr, 0x0);
    EXPECT_EQ(apic.read(kDfr), 0x0fffffffu);
    apic.write(kId, 0x05000000);
    EXPECT_EQ(apic.read(kId), 0x05000000u);
}

TEST(Apic, SelfIpiAndPriorities) {
    Apic apic;
    apic.enable();
    // Fixed, shorthand self, vector 0x45.
    apic.write(kIcrLo, 0x40000 | 0x45);
    EXPECT_TRUE(apic.irr(0x45));
    EXPECT_FALSE(apic.tmr(0x45));
    EXPECT_EQ(apic.read(kIcrLo) & (1u << 12), 0u);   // delivery status idle
    apic.write(kTpr, 0x3c);
    EXPECT_EQ(apic.read(kTpr), 0x3cu);
    EXPECT_EQ(apic.read(kPpr), 0x3cu);
    // APR: the IRR's class outranks the TPR.
    EXPECT_EQ(apic.read(kApr), 0x40u);
    // EOI with nothing in service changes nothing.
    apic.write(kEoi, 0);
    EXPECT_TRUE(apic.irr(0x45));
}

TEST(Apic, IllegalVectorSetsEsr) {
    Apic apic;
    apic.enable();
    apic.write(kIcrLo, 0x40000 | 0x05);   // self IPI, vector 5
    EXPECT_FALSE(apic.irr(0x05));
    EXPECT_EQ(apic.read(kEsr), 0u);   // latched by the next write
    apic.write(kEsr, 0);
    EXPECT_EQ(apic.read(kEsr), 0x20u);   // send illegal vector
    apic.write(kEsr, 0);
    EXPECT_EQ(apic.read(kEsr), 0u);
}

TEST(Apic, OneShotTimerCountsDownAndInterrupts) {
    Apic apic;
    apic.enable();
    apic.write(kLvtTimer, 0x40);   // one-shot, vector 0x40
    apic.write(kDivide, 0x3);      // divide by 16
    int64_t t0 = apic.now();
    apic.write(kInitialCount, 1000);
    EXPECT_EQ(apic.read(kCurrentCount), 1000u);
    apic.vm.clock_set(t0 + 16 * 400);
    EXPECT_EQ(apic.read(kCurrentCount), 600u);
    EXPECT_FALSE(apic.irr(0x40));
    apic.vm.clock_set(t0 + 16 * 1000 - 1);
    EXPECT_FALSE(apic.irr(0x40));
    apic.vm.clock_set(t0 + 16 * 1000);
    EXPECT_TRUE(apic.irr(0x40));
    EXPECT_EQ(apic.read(kCurrentCount), 0u);
    // It does not fire again.
    apic.write(kIrr, 0);   // read-only: ignored
    apic.vm.clock_set(t0 + 16 * 5000);
    EXPECT_EQ(apic.read(kCurrentCount), 0u);
}

TEST(Apic, PeriodicTimerReloads) {
    Apic apic;
    apic.enable();
    apic.write(kLvtTimer, 0x20000 | 0x41);   // periodic
    apic.write(kDivide, 0xb);                // divide by 1
    int64_t t0 = apic.now();
    apic.write(kInitialCount, 500);
    apic.vm.clock_set(t0 + 500);
    EXPECT_TRUE(apic.irr(0x41));
    apic.vm.clock_set(t0 + 500 + 120);
    EXPECT_EQ(apic.read(kCurrentCount), 380u);
    apic.vm.clock_set(t0 + 1700);
    EXPECT_EQ(apic.read(kCurrentCount), 300u);
    // Writing 0 stops it.
    apic.write(kInitialCount, 0);
    EXPECT_EQ(apic.read(kCurrentCount), 0u);
}

// Changing between periodic and one-shot mode carries the count on; a
// one-shot count that has run out stays at zero in periodic mode.
TEST(Apic, TimerModeChangeKeepsTheCount) {
    Apic apic;
    apic.enable();
    apic.write(kLvtTimer, 0x20000 | 0x41);   // periodic
    apic.write(kDivide, 0xb);                // divide by 1
    int64_t t0 = apic.now();
    apic.write(kInitialCount, 1000);
    apic.vm.clock_set(t0 + 2700);
    EXPECT_EQ(apic.read(kCurrentCount), 300u);
    apic.write(kLvtTimer, 0x41);             // one-shot, from 300
    EXPECT_EQ(apic.read(kCurrentCount), 300u);
    apic.vm.clock_set(t0 + 2900);
    EXPECT_EQ(apic.read(kCurrentCount), 100u);
    apic.write(kEoi, 0);
    apic.vm.clock_set(t0 + 3000);
    EXPECT_EQ(apic.read(kCurrentCount), 0u);
    EXPECT_TRUE(apic.irr(0x41) || apic.isr(0x41));
    apic.write(kLvtTimer, 0x20000 | 0x41);   // periodic again: still zero, no reload
    EXPECT_EQ(apic.read(kCurrentCount), 0u);
    apic.vm.clock_set(t0 + 5000);
    EXPECT_EQ(apic.read(kCurrentCount), 0u);
    // A new initial count starts it again.
    apic.write(kInitialCount, 400);
    apic.vm.clock_set(t0 + 5100);
    EXPECT_EQ(apic.read(kCurrentCount), 300u);
}

TEST(Apic, MaskedTimerCountsWithoutInterrupting) {
    Apic apic;
    apic.enable();
    apic.write(kLvtTimer, 0x10000 | 0x42);
    apic.write(kDivide, 0xb);
    int64_t t0 = apic.now();
    apic.write(kInitialCount, 100);
    apic.vm.clock_set(t0 + 200);
    EXPECT_FALSE(apic.irr(0x42));
    EXPECT_EQ(apic.read(kCurrentCount), 0u);
}

TEST(Apic, SoftwareDisabledTimerDoesNotInterrupt) {
    // Timer interrupts need the software enable in SVR.
    Apic apic;
    apic.write(kLvtTimer, 0x43);   // forced masked while disabled
    apic.write(kDivide, 0xb);
    int64_t t0 = apic.now();
    apic.write(kInitialCount, 10);
    apic.vm.clock_set(t0 + 100);
    EXPECT_FALSE(apic.irr(0x43));
}

TEST(Ioapic, VersionIdAndRedirectionEntries) {
    Apic apic;
    EXPECT_EQ(apic.ioapic_read(0x01), 0x00170020u);   // 24 pins, version 0x20
    EXPECT_EQ(apic.ioapic_read(0x00), 1u << 24);        // ID 1: after the single CPU's
    EXPECT_EQ(apic.ioapic_read(0x10), 0x10000u);        // masked
    apic.ioapic_write(0x10 + 2 * 5, 0xffffffff);
    apic.ioapic_write(0x10 + 2 * 5 + 1, 0xffffffff);
    // Delivery status and remote IRR are read-only; bits 17..47 reserved
    // (55:48 carry the interrupt index of VT-d's remappable format).
    EXPECT_EQ(apic.ioapic_read(0x10 + 2 * 5), 0x1afffu);
    EXPECT_EQ(apic.ioapic_read(0x10 + 2 * 5 + 1), 0xffff0000u);
}

TEST(Ioapic, EdgeInterruptReachesApic) {
    Apic apic;
    apic.enable();
    apic.redirect(4, 0x51);   // pin 4: fixed, physical dest 0, edge, vector 0x51
    apic.vm.command("set_irq_in ioapic unnamed-gpio-in 4 1");
    EXPECT_TRUE(apic.irr(0x51));
    EXPECT_FALSE(apic.tmr(0x51));
}

// An edge on a masked pin is lost: unmasking delivers nothing, the next edge
// is delivered once.
TEST(Ioapic, MaskedEdgeIsLost) {
    Apic apic;
    apic.enable();
    apic.redirect(6, 0x10000 | 0x52);
    apic.vm.command("set_irq_in ioapic unnamed-gpio-in 6 1");
    apic.vm.command("set_irq_in ioapic unnamed-gpio-in 6 0");
    EXPECT_FALSE(apic.irr(0x52));
    apic.redirect(6, 0x52);
    EXPECT_FALSE(apic.irr(0x52));
    apic.vm.command("set_irq_in ioapic unnamed-gpio-in 6 1");
    EXPECT_TRUE(apic.irr(0x52));
}

// The arbitration register reads the ID and ignores writes.
TEST(Ioapic, ArbitrationRegisterFollowsTheId) {
    Apic apic;
    apic.ioapic_write(0x00, 0x0f000000);
    EXPECT_EQ(apic.ioapic_read(0x02), 0x0f000000u);
    apic.ioapic_write(0x02, 0);
    EXPECT_EQ(apic.ioapic_read(0x02), 0x0f000000u);
}

TEST(Ioapic, LevelInterruptRemoteIrrAndEoi) {
    Apic apic;
    apic.enable();
    apic.redirect(10, 0x8000 | 0x61);   // level-triggered, vector 0x61
    apic.vm.command("set_irq_in ioapic unnamed-gpio-in 10 1");
    EXPECT_TRUE(apic.irr(0x61));
    EXPECT_TRUE(apic.tmr(0x61));
    EXPECT_TRUE(apic.ioapic_read(0x10 + 2 * 10) & (1u << 14));   // remote IRR
    // A second assertion is held back by remote IRR... (the LAPIC's EOI
    // needs a CPU to take the vector; the IOAPIC's EOI register ends it too)
    apic.vm.writel(kIoapic + 0x40, 0x61);
    // ...and the line being still high sends it again at the EOI.
    EXPECT_TRUE(apic.ioapic_read(0x10 + 2 * 10) & (1u << 14));
    apic.vm.command("set_irq_in ioapic unnamed-gpio-in 10 0");
    apic.vm.writel(kIoapic + 0x40, 0x61);
    EXPECT_FALSE(apic.ioapic_read(0x10 + 2 * 10) & (1u << 14));
    // An EOI for another vector changes nothing.
    apic.vm.command("set_irq_in ioapic unnamed-gpio-in 10 1");
    apic.vm.writel(kIoapic + 0x40, 0x62);
    EXPECT_TRUE(apic.ioapic_read(0x10 + 2 * 10) & (1u << 14));
}

TEST(Ioapic, PitIrq0ArrivesOnPin2) {
    Apic apic({"-machine", "pc,hpet=off"});
    apic.enable();
    apic.redirect(2, 0x30);
    apic.redirect(0, 0x31);
    // PIT channel 0, mode 2, count 100.
    apic.vm.outb(0x43, 0x34);
    apic.vm.outb(0x40, 100);
    apic.vm.outb(0x40, 0);
    apic.vm.clock_step(1'000'000);
    EXPECT_TRUE(apic.irr(0x30));
    EXPECT_FALSE(apic.irr(0x31));
}

TEST(Apic, MsiWriteDelivers) {
    Apic apic({"-smp", "2"});
    apic.enable();
    apic.write(kLdr, 0x01000000);   // flat model, logical ID bit 0
    // Physical destination 1 is the other CPU's APIC.
    apic.vm.writel(0xfee01000, 0x66);
    EXPECT_FALSE(apic.irr(0x66));
    // Logical destination 0x01 (address bit 2), fixed, vector 0x66.
    apic.vm.writel(0xfee01004, 0x66);
    EXPECT_TRUE(apic.irr(0x66));
}

TEST(Apic, IpiDestinations) {
    Apic apic({"-smp", "2"});
    apic.enable();
    // Physical destination 1: not us.
    apic.write(kIcrHi, 0x01000000);
    apic.write(kIcrLo, 0x70);
    EXPECT_FALSE(apic.irr(0x70));
    // All excluding self: not us either.
    apic.write(kIcrLo, 0xc0000 | 0x71);
    EXPECT_FALSE(apic.irr(0x71));
    // All including self.
    apic.write(kIcrLo, 0x80000 | 0x72);
    EXPECT_TRUE(apic.irr(0x72));
    // Physical 0 and broadcast 0xff.
    apic.write(kIcrHi, 0);
    apic.write(kIcrLo, 0x73);
    EXPECT_TRUE(apic.irr(0x73));
    apic.write(kIcrHi, 0xff000000);
    apic.write(kIcrLo, 0x74);
    EXPECT_TRUE(apic.irr(0x74));
    // Logical, cluster model: cluster 1 member bit 2.
    apic.write(kDfr, 0x0fffffff);
    apic.write(kLdr, 0x14000000);
    apic.write(kIcrHi, 0x24000000);
    apic.write(kIcrLo, 0x800 | 0x75);
    EXPECT_FALSE(apic.irr(0x75));
    apic.write(kIcrHi, 0x14000000);
    apic.write(kIcrLo, 0x800 | 0x75);
    EXPECT_TRUE(apic.irr(0x75));
}
