// The i8254 PIT through the real binary: counts computed from the virtual
// clock (qtest clock_step), latch and read-back commands, and OUT0 on IRQ0
// seen by intercepting the PIC's inputs. Port 61h shows gate 2 and OUT2.
#include <gtest/gtest.h>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

constexpr int64_t kHz = 1193182;

// Virtual ns at which `ticks` PIT clocks have passed since `start`.
int64_t at_tick(int64_t start, int64_t ticks) {
    return start + (ticks * 1'000'000'000 + kHz - 1) / kHz;
}

struct Pit {
    QtestClient vm{{}};
    int64_t now = 0;

    Pit() {
        vm.irq_intercept_in("pic");
        now = vm.clock_step(0);
    }
    // Programs channel `ch` (lo/hi access) and returns the load time.
    int64_t program(int ch, int mode, uint16_t count, bool bcd = false) {
        vm.outb(0x43, static_cast<uint8_t>(ch << 6 | 0x30 | mode << 1 | (bcd ? 1 : 0)));
        vm.outb(static_cast<uint16_t>(0x40 + ch), count & 0xff);
        vm.outb(static_cast<uint16_t>(0x40 + ch), count >> 8);
        return now;
    }
    void step_to(int64_t t) { now = vm.clock_set(t); }
    uint16_t latch(int ch) {
        vm.outb(0x43, static_cast<uint8_t>(ch << 6));
        uint16_t low = vm.inb(static_cast<uint16_t>(0x40 + ch));
        return static_cast<uint16_t>(low | vm.inb(static_cast<uint16_t>(0x40 + ch)) << 8);
    }
    bool irq0() { return vm.irq_level(0); }
};

}  // namespace

TEST(I8254, Mode0InterruptOnTerminalCount) {
    Pit pit;
    int64_t t0 = pit.program(0, 0, 1000);
    EXPECT_FALSE(pit.irq0());
    pit.step_to(at_tick(t0, 400));
    EXPECT_EQ(pit.latch(0), 600);
    pit.step_to(at_tick(t0, 999));
    EXPECT_FALSE(pit.irq0());
    pit.step_to(at_tick(t0, 1000));
    EXPECT_TRUE(pit.irq0());
    pit.step_to(at_tick(t0, 1010));
    EXPECT_EQ(pit.latch(0), 0xffff - 9);  // keeps counting, wrapped
    EXPECT_TRUE(pit.irq0());
}

TEST(I8254, Mode1OneShotRestartsOnGateOnChannel2) {
    Pit pit;
    pit.vm.outb(0x61, 0x00);  // gate 2 low
    int64_t t0 = pit.program(2, 1, 500);
    pit.step_to(at_tick(t0, 600));
    EXPECT_EQ(pit.vm.inb(0x61) & 0x20, 0x20);  // OUT2 high, waiting for a trigger
    pit.vm.outb(0x61, 0x01);                    // rising gate: trigger
    int64_t t1 = pit.now;
    EXPECT_EQ(pit.vm.inb(0x61) & 0x21, 0x01);   // gate high, OUT2 low
    pit.step_to(at_tick(t1, 200));
    EXPECT_EQ(pit.latch(2), 300);
    pit.step_to(at_tick(t1, 500));
    EXPECT_EQ(pit.vm.inb(0x61) & 0x20, 0x20);
}

TEST(I8254, Mode2RateGeneratorPulsesEveryPeriod) {
    Pit pit;
    int64_t t0 = pit.program(0, 2, 100);
    EXPECT_TRUE(pit.irq0());
    pit.step_to(at_tick(t0, 30));
    EXPECT_EQ(pit.latch(0), 70);
    pit.step_to(at_tick(t0, 99));
    EXPECT_FALSE(pit.irq0());  // the one-clock low pulse
    pit.step_to(at_tick(t0, 100));
    EXPECT_TRUE(pit.irq0());   // reload: rising edge for IRQ0
    EXPECT_EQ(pit.latch(0), 100);
    pit.step_to(at_tick(t0, 199));
    EXPECT_FALSE(pit.irq0());
    pit.step_to(at_tick(t0, 250));
    EXPECT_EQ(pit.latch(0), 50);
}

TEST(I8254, Mode3SquareWave) {
    Pit pit;
    int64_t t0 = pit.program(0, 3, 1000);
    EXPECT_TRUE(pit.irq0());
    pit.step_to(at_tick(t0, 100));
    EXPECT_EQ(pit.latch(0), 800);  // counts down by two
    pit.step_to(at_tick(t0, 499));
    EXPECT_TRUE(pit.irq0());
    pit.step_to(at_tick(t0, 500));
    EXPECT_FALSE(pit.irq0());
    pit.step_to(at_tick(t0, 1000));
    EXPECT_TRUE(pit.irq0());
    pit.step_to(at_tick(t0, 1700));
    EXPECT_FALSE(pit.irq0());
}

TEST(I8254, Mode4SoftwareStrobe) {
    Pit pit;
    int64_t t0 = pit.program(0, 4, 300);
    EXPECT_TRUE(pit.irq0());
    pit.step_to(at_tick(t0, 300));
    EXPECT_FALSE(pit.irq0());
    pit.step_to(at_tick(t0, 301));
    EXPECT_TRUE(pit.irq0());
}

TEST(I8254, Mode5HardwareStrobeOnGate2) {
    Pit pit;
    pit.vm.outb(0x61, 0x00);
    pit.program(2, 5, 200);
    pit.vm.outb(0x61, 0x01);
    int64_t t1 = pit.now;
    pit.step_to(at_tick(t1, 100));
    EXPECT_EQ(pit.vm.inb(0x61) & 0x20, 0x20);
    EXPECT_EQ(pit.latch(2), 100);
    pit.step_to(at_tick(t1, 200));
    EXPECT_EQ(pit.vm.inb(0x61) & 0x20, 0x00);
    pit.step_to(at_tick(t1, 201));
    EXPECT_EQ(pit.vm.inb(0x61) & 0x20, 0x20);
}

TEST(I8254, ReadBackLatchesStatusThenCount) {
    Pit pit;
    int64_t t0 = pit.program(0, 2, 0x1234);
    pit.step_to(at_tick(t0, 0x34));
    pit.vm.outb(0x43, 0xc2);  // read-back: count and status of channel 0
    EXPECT_EQ(pit.vm.inb(0x40), 0x80 | 0x30 | 2 << 1);  // OUT high, lo/hi, mode 2
    EXPECT_EQ(pit.vm.inb(0x40), 0x00);
    EXPECT_EQ(pit.vm.inb(0x40), 0x12);
    // A latched count survives further counting until read.
    pit.vm.outb(0x43, 0x00);
    pit.step_to(at_tick(t0, 0x100));
    pit.vm.outb(0x43, 0x00);  // a second latch is ignored while one is held
    EXPECT_EQ(pit.vm.inb(0x40), 0x00);
    EXPECT_EQ(pit.vm.inb(0x40), 0x12);
}

TEST(I8254, BcdAndSingleByteAccess) {
    Pit pit;
    int64_t t0 = pit.program(0, 0, 0x1000, true);  // 1000 decimal
    pit.step_to(at_tick(t0, 100));
    EXPECT_EQ(pit.latch(0), 0x0900);
    // Low byte only: the high byte of the count is zero.
    pit.vm.outb(0x43, 0x10 | 2 << 1);
    pit.vm.outb(0x40, 50);
    int64_t t1 = pit.now;
    pit.step_to(at_tick(t1, 20));
    EXPECT_EQ(pit.vm.inb(0x40), 30);
    EXPECT_EQ(pit.vm.inb(0x40), 30);  // no byte toggle in lobyte mode
}

TEST(I8254, RefreshBitToggles) {
    Pit pit;
    uint8_t first = pit.vm.inb(0x61) & 0x10;
    pit.step_to(pit.now + 15085);
    EXPECT_NE(pit.vm.inb(0x61) & 0x10, first);
}

// -machine pit=off: no PIT (and no speaker port), as QEMU leaves them out.
TEST(I8254, MachinePitOffLeavesItOut) {
    QtestClient with_pit{{}};
    with_pit.outb(0x43, 0x30);   // channel 0, lo/hi, mode 0
    with_pit.outb(0x40, 0x34);
    with_pit.outb(0x40, 0x12);
    with_pit.outb(0x43, 0x00);   // latch
    EXPECT_NE(with_pit.inb(0x40) | with_pit.inb(0x40) << 8, 0xffff);
    QtestClient without({"-machine", "pit=off"});
    without.outb(0x43, 0x30);
    without.outb(0x40, 0x34);
    without.outb(0x40, 0x12);
    without.outb(0x43, 0x00);
    EXPECT_EQ(without.inb(0x40), 0xffu);
    EXPECT_EQ(without.inb(0x61), 0xffu);
}
