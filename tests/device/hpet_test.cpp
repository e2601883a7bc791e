// The HPET through the real binary: capabilities, the 100 MHz main counter
// on the virtual clock, comparators (one-shot, periodic, level status) seen
// on the IOAPIC's intercepted inputs, legacy replacement taking IRQ0/IRQ8
// from the PIT and RTC, and -machine hpet=off.
#include <gtest/gtest.h>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

constexpr uint64_t kHpet = 0xfed00000;
constexpr uint64_t kCap = 0x000, kConfig = 0x010, kStatus = 0x020, kCounter = 0x0f0;
constexpr uint64_t timer_config(int n) { return 0x100 + 0x20 * static_cast<uint64_t>(n); }
constexpr uint64_t timer_cmp(int n) { return 0x108 + 0x20 * static_cast<uint64_t>(n); }
constexpr uint64_t kEnable = 1, kLegacy = 2;
constexpr uint64_t kTnLevel = 2, kTnEnable = 4, kTnPeriodic = 8, kTnSetVal = 0x40, kTn32 = 0x100;

struct Hpet {
    QtestClient vm;
    explicit Hpet(std::vector<std::string> args = {}) : vm(args) {
        vm.irq_intercept_in("ioapic");
        vm.clock_step(0);
    }
    uint64_t read(uint64_t reg) { return vm.readq(kHpet + reg); }
    void write(uint64_t reg, uint64_t value) { vm.writeq(kHpet + reg, value); }
    int64_t now() { return vm.clock_step(0); }
};

}  // namespace

TEST(Hpet, Capabilities) {
    Hpet hpet;
    uint64_t cap = hpet.read(kCap);
    EXPECT_EQ(cap >> 32, 10'000'000u);       // 10 ns in fs: 100 MHz
    EXPECT_EQ((cap >> 16) & 0xffff, 0x8086u);
    EXPECT_TRUE(cap & (1u << 15));           // legacy replacement capable
    EXPECT_TRUE(cap & (1u << 13));           // 64-bit counter
    EXPECT_EQ((cap >> 8) & 0x1f, 2u);        // three timers
    EXPECT_EQ(cap & 0xff, 1u);
    // Timers: periodic and 64-bit capable, IRQ2 their only route.
    uint64_t t0 = hpet.read(timer_config(0));
    EXPECT_EQ(t0 >> 32, 0x4u);
    EXPECT_EQ(t0 & 0x30, 0x30u);
    EXPECT_EQ(hpet.vm.readl(kHpet + kCap + 4), 10'000'000u);   // 32-bit halves too
}

TEST(Hpet, CounterRunsOnlyWhileEnabled) {
    Hpet hpet;
    int64_t t0 = hpet.now();
    hpet.vm.clock_set(t0 + 1000);
    EXPECT_EQ(hpet.read(kCounter), 0u);
    hpet.write(kCounter, 5000);
    hpet.write(kConfig, kEnable);
    int64_t t1 = hpet.now();
    hpet.vm.clock_set(t1 + 10'000);
    EXPECT_EQ(hpet.read(kCounter), 6000u);
    hpet.write(kCounter, 0);   // ignored while running
    EXPECT_EQ(hpet.read(kCounter), 6000u);
    hpet.write(kConfig, 0);
    hpet.vm.clock_set(t1 + 50'000);
    EXPECT_EQ(hpet.read(kCounter), 6000u);
    EXPECT_EQ(hpet.vm.readl(kHpet + kCounter), 6000u);
}

TEST(Hpet, LevelComparatorSetsStatusUntilCleared) {
    Hpet hpet;
    hpet.write(timer_config(0), kTnLevel | kTnEnable | (2u << 9));   // route IRQ2
    hpet.write(timer_cmp(0), 1000);
    hpet.write(kConfig, kEnable);
    int64_t t0 = hpet.now();
    hpet.vm.clock_set(t0 + 999 * 10);
    EXPECT_FALSE(hpet.vm.irq_level(2));
    hpet.vm.clock_set(t0 + 1000 * 10);
    EXPECT_TRUE(hpet.vm.irq_level(2));
    EXPECT_EQ(hpet.read(kStatus), 1u);
    hpet.write(kStatus, 1);
    EXPECT_EQ(hpet.read(kStatus), 0u);
    EXPECT_FALSE(hpet.vm.irq_level(2));
}

TEST(Hpet, PeriodicComparatorAdvances) {
    Hpet hpet;
    hpet.write(timer_config(0), kTnLevel | kTnEnable | kTnPeriodic | kTnSetVal | (2u << 9));
    hpet.write(timer_cmp(0), 100);   // first expiry
    hpet.write(timer_cmp(0), 250);   // then the period
    hpet.write(kConfig, kEnable);
    int64_t t0 = hpet.now();
    hpet.vm.clock_set(t0 + 100 * 10);
    EXPECT_EQ(hpet.read(kStatus), 1u);
    EXPECT_EQ(hpet.read(timer_cmp(0)), 350u);
    hpet.write(kStatus, 1);
    hpet.vm.clock_set(t0 + 349 * 10);
    EXPECT_EQ(hpet.read(kStatus), 0u);
    hpet.vm.clock_set(t0 + 350 * 10);
    EXPECT_EQ(hpet.read(kStatus), 1u);
    EXPECT_EQ(hpet.read(timer_cmp(0)), 600u);
}

TEST(Hpet, ThirtyTwoBitComparator) {
    Hpet hpet;
    hpet.write(timer_config(2), kTn32 | kTnLevel | kTnEnable | (2u << 9));
    hpet.write(timer_cmp(2), 0x1234567800000200ull);
    EXPECT_EQ(hpet.read(timer_cmp(2)), 0x200u);
    hpet.write(kConfig, kEnable);
    int64_t t0 = hpet.now();
    hpet.vm.clock_set(t0 + 0x200 * 10);
    EXPECT_EQ(hpet.read(kStatus), 4u);
}

TEST(Hpet, LegacyReplacementOwnsIrq0AndIrq8) {
    Hpet hpet;
    // The PIT's IRQ0 reaches IOAPIC input 2 before legacy mode...
    hpet.vm.outb(0x43, 0x30);   // channel 0, mode 0, count 10
    hpet.vm.outb(0x40, 10);
    hpet.vm.outb(0x40, 0);
    hpet.vm.clock_step(1'000'000);
    EXPECT_TRUE(hpet.vm.irq_level(2));
    // ...and loses it in legacy mode: timer 0 drives it instead.
    hpet.write(timer_config(0), kTnLevel | kTnEnable);
    hpet.write(timer_config(1), kTnLevel | kTnEnable);
    hpet.write(timer_cmp(0), 100);
    hpet.write(timer_cmp(1), 200);
    hpet.write(kConfig, kLegacy);
    EXPECT_FALSE(hpet.vm.irq_level(2));
    hpet.write(kConfig, kLegacy | kEnable);
    int64_t t0 = hpet.now();
    hpet.vm.clock_set(t0 + 100 * 10);
    EXPECT_TRUE(hpet.vm.irq_level(2));
    EXPECT_FALSE(hpet.vm.irq_level(8));
    hpet.vm.clock_set(t0 + 200 * 10);
    EXPECT_TRUE(hpet.vm.irq_level(8));
    // Leaving legacy mode hands IRQ0 back to the PIT (its OUT is still high).
    hpet.write(kStatus, 3);
    hpet.write(kConfig, kEnable);
    EXPECT_TRUE(hpet.vm.irq_level(2));
    EXPECT_FALSE(hpet.vm.irq_level(8));
}

TEST(Hpet, MachineOptionOff) {
    Hpet hpet({"-machine", "pc,hpet=off"});
    EXPECT_EQ(hpet.vm.readl(kHpet + kCap), 0xffffffffu);
}

// A periodic comparator far behind the counter (a guest set the counter
// ahead while disabled) skips the missed periods in one step: counting them
// one at a time took 2^62 iterations here.
TEST(Hpet, PeriodicComparatorFarBehindCatchesUpAtOnce) {
    for (bool is32 : {false, true}) {
        Hpet hpet;
        uint64_t start = is32 ? 0x80000000u : 0x4000000000000000ull;
        hpet.write(kCounter, start);
        hpet.write(timer_config(0), kTnEnable | kTnPeriodic | kTnSetVal | (is32 ? kTn32 : 0) | (2u << 9));
        hpet.write(timer_cmp(0), 0);  // the comparator (VAL_SET) and the period
        hpet.write(timer_cmp(0), 1);  // the period alone: one tick
        hpet.write(kConfig, kEnable);
        int64_t t0 = hpet.now();
        hpet.vm.clock_set(t0 + 10);
        // Fired at counter start + 1; the next comparison is one period on.
        EXPECT_EQ(hpet.read(timer_cmp(0)), start + 2) << (is32 ? "32-bit" : "64-bit");
        EXPECT_EQ(hpet.read(kCounter), start + 1);
    }
}

// -no-hpet is QEMU's shorthand for -machine hpet=off: nothing at the HPET's address.
TEST(Hpet, NoHpetOptionLeavesItOut) {
    QtestClient with({});
    EXPECT_NE(with.readl(kHpet + 4), 0xffffffffu);   // the capabilities' high half: the period
    QtestClient without({"-no-hpet"});
    EXPECT_EQ(without.readl(kHpet + 4), 0xffffffffu);
    EXPECT_EQ(without.readl(kHpet), 0xffffffffu);
}
