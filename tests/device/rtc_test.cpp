// The MC146818 RTC through the real binary with -rtc clock=vm, so the time
// only moves with qtest clock_step: registers in BCD and binary, 12/24 hour,
// setting the time, the update cycle, periodic and alarm interrupts on IRQ8,
// and the CMOS fields the board fills.
#include <gtest/gtest.h>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

constexpr int64_t kSec = 1'000'000'000;

uint8_t cmos(QtestClient& vm, uint8_t index) {
    vm.outb(0x70, index);
    return vm.inb(0x71);
}

void set_cmos(QtestClient& vm, uint8_t index, uint8_t value) {
    vm.outb(0x70, index);
    vm.outb(0x71, value);
}

std::vector<std::string> rtc_at(const std::string& date) {
    return {"-rtc", "base=" + date + ",clock=vm"};
}

}  // namespace

TEST(Rtc, StartsAtTheBaseDateInBcd) {
    QtestClient vm(rtc_at("2021-03-04T05:06:07"));
    EXPECT_EQ(cmos(vm, 0x00), 0x07);
    EXPECT_EQ(cmos(vm, 0x02), 0x06);
    EXPECT_EQ(cmos(vm, 0x04), 0x05);
    EXPECT_EQ(cmos(vm, 0x06), 0x05);  // Thursday (Sunday = 1)
    EXPECT_EQ(cmos(vm, 0x07), 0x04);
    EXPECT_EQ(cmos(vm, 0x08), 0x03);
    EXPECT_EQ(cmos(vm, 0x09), 0x21);
    EXPECT_EQ(cmos(vm, 0x32), 0x20);
    EXPECT_EQ(cmos(vm, 0x0a), 0x26);
    EXPECT_EQ(cmos(vm, 0x0d), 0x80);
    vm.clock_step(61 * kSec);
    EXPECT_EQ(cmos(vm, 0x00), 0x08);
    EXPECT_EQ(cmos(vm, 0x02), 0x07);
}

TEST(Rtc, BinaryAnd12HourFormats) {
    QtestClient vm(rtc_at("2021-03-04T15:46:59"));
    set_cmos(vm, 0x0b, 0x06);  // binary, 24 h
    EXPECT_EQ(cmos(vm, 0x00), 59);
    EXPECT_EQ(cmos(vm, 0x02), 46);
    EXPECT_EQ(cmos(vm, 0x04), 15);
    set_cmos(vm, 0x0b, 0x00);  // BCD, 12 h
    EXPECT_EQ(cmos(vm, 0x04), 0x83);  // 3 PM
}

TEST(Rtc, SettingTheTimeWithTheSetBit) {
    QtestClient vm(rtc_at("2021-03-04T05:06:07"));
    set_cmos(vm, 0x0b, 0x82);
    set_cmos(vm, 0x00, 0x30);
    set_cmos(vm, 0x02, 0x59);
    set_cmos(vm, 0x04, 0x23);
    set_cmos(vm, 0x07, 0x31);
    set_cmos(vm, 0x08, 0x12);
    set_cmos(vm, 0x09, 0x99);
    set_cmos(vm, 0x32, 0x19);
    vm.clock_step(5 * kSec);  // frozen while SET is on
    EXPECT_EQ(cmos(vm, 0x00), 0x30);
    set_cmos(vm, 0x0b, 0x02);
    vm.clock_step(31 * kSec);
    EXPECT_EQ(cmos(vm, 0x00), 0x01);
    EXPECT_EQ(cmos(vm, 0x02), 0x00);
    EXPECT_EQ(cmos(vm, 0x04), 0x00);
    EXPECT_EQ(cmos(vm, 0x07), 0x01);
    EXPECT_EQ(cmos(vm, 0x08), 0x01);
    EXPECT_EQ(cmos(vm, 0x09), 0x00);
    EXPECT_EQ(cmos(vm, 0x32), 0x20);
}

TEST(Rtc, UpdateCycleSetsUipThenUpdateEndedInterrupt) {
    QtestClient vm(rtc_at("2021-03-04T05:06:07"));
    vm.irq_intercept_in("pic");
    cmos(vm, 0x0c);
    set_cmos(vm, 0x0b, 0x12);  // UIE, 24 h
    vm.clock_step(kSec - 100'000);
    EXPECT_EQ(cmos(vm, 0x0a) & 0x80, 0x80);
    EXPECT_FALSE(vm.irq_level(8));
    vm.clock_step(200'000);
    EXPECT_EQ(cmos(vm, 0x0a) & 0x80, 0x00);
    EXPECT_TRUE(vm.irq_level(8));
    EXPECT_EQ(cmos(vm, 0x00), 0x08);
    EXPECT_EQ(cmos(vm, 0x0c), 0x90);
    EXPECT_FALSE(vm.irq_level(8));
    EXPECT_EQ(cmos(vm, 0x0c), 0x00);  // read clears
}

TEST(Rtc, PeriodicInterruptAtTheRateOfRegisterA) {
    QtestClient vm(rtc_at("2021-03-04T05:06:07"));
    vm.irq_intercept_in("pic");
    set_cmos(vm, 0x0a, 0x2f);  // rate 15: 500 ms
    cmos(vm, 0x0c);
    set_cmos(vm, 0x0b, 0x42);
    vm.clock_step(400'000'000);
    EXPECT_FALSE(vm.irq_level(8));
    vm.clock_step(100'000'000);
    EXPECT_TRUE(vm.irq_level(8));
    EXPECT_EQ(cmos(vm, 0x0c) & 0xc0, 0xc0);
    EXPECT_FALSE(vm.irq_level(8));
    vm.clock_step(500'000'000);
    EXPECT_TRUE(vm.irq_level(8));
}

TEST(Rtc, AlarmInterrupt) {
    QtestClient vm(rtc_at("2021-03-04T05:06:07"));
    vm.irq_intercept_in("pic");
    set_cmos(vm, 0x01, 0x10);  // 10 seconds
    set_cmos(vm, 0x03, 0xc0);  // any minute
    set_cmos(vm, 0x05, 0xff);  // any hour
    cmos(vm, 0x0c);
    set_cmos(vm, 0x0b, 0x22);
    vm.clock_step(2 * kSec);
    EXPECT_FALSE(vm.irq_level(8));
    vm.clock_step(1 * kSec);
    EXPECT_TRUE(vm.irq_level(8));
    EXPECT_EQ(cmos(vm, 0x0c) & 0xa0, 0xa0);
}

TEST(Rtc, NmiMaskBitDoesNotSelectARegister) {
    QtestClient vm(rtc_at("2021-03-04T05:06:07"));
    EXPECT_EQ(cmos(vm, 0x80 | 0x0a), 0x26);
    set_cmos(vm, 0x80 | 0x40, 0x5a);
    EXPECT_EQ(cmos(vm, 0x40), 0x5a);
}

TEST(Rtc, CmosMemoryFieldsFollowTheConfiguration) {
    QtestClient vm({"-m", "128M", "-boot", "order=dc", "-smp", "2"});
    EXPECT_EQ(cmos(vm, 0x15), 0x80);  // 640 KiB
    EXPECT_EQ(cmos(vm, 0x16), 0x02);
    EXPECT_EQ(cmos(vm, 0x17), 0xff);  // capped at 65535 KiB
    EXPECT_EQ(cmos(vm, 0x18), 0xff);
    EXPECT_EQ(cmos(vm, 0x30), 0xff);
    EXPECT_EQ(cmos(vm, 0x34), 0x00);  // (128 - 16) MiB / 64 KiB = 0x0700
    EXPECT_EQ(cmos(vm, 0x35), 0x07);
    EXPECT_EQ(cmos(vm, 0x5b), 0x00);
    EXPECT_EQ(cmos(vm, 0x14), 0x06);
    EXPECT_EQ(cmos(vm, 0x5f), 0x01);
    EXPECT_EQ(cmos(vm, 0x3d), 0x23);  // CD-ROM, then disk
    EXPECT_EQ(cmos(vm, 0x38), 0x00);
}

TEST(Rtc, CmosCountsMemoryAbove4G) {
    QtestClient vm({"-m", "5G"});
    EXPECT_EQ(cmos(vm, 0x34), 0x00);  // 3 GiB below the hole: (3G - 16M) / 64K = 0xbf00
    EXPECT_EQ(cmos(vm, 0x35), 0xbf);
    EXPECT_EQ(cmos(vm, 0x5b), 0x00);  // 2 GiB above: 0x8000 units
    EXPECT_EQ(cmos(vm, 0x5c), 0x80);
    EXPECT_EQ(cmos(vm, 0x5d), 0x00);
    EXPECT_EQ(cmos(vm, 0x3d), 0x12);  // default "cad": disk, floppy, then CD-ROM
    EXPECT_EQ(cmos(vm, 0x38), 0x30);
}

// Its registers hold dates up to 9999, its count of nanoseconds since 1970
// only about 292 years: later dates, from the guest or -rtc base, are held
// at the end of 2199 rather than overflow.
TEST(Rtc, DatesPast2199AreHeldAtItsEnd) {
    QtestClient vm(rtc_at("2021-03-04T05:06:07"));
    set_cmos(vm, 0x0b, 0x82);
    set_cmos(vm, 0x09, 0x99);
    set_cmos(vm, 0x32, 0x29);  // 2999
    set_cmos(vm, 0x0b, 0x02);
    EXPECT_EQ(cmos(vm, 0x32), 0x21);
    EXPECT_EQ(cmos(vm, 0x09), 0x99);
    EXPECT_EQ(cmos(vm, 0x08), 0x12);
    EXPECT_EQ(cmos(vm, 0x07), 0x31);
    EXPECT_EQ(cmos(vm, 0x00), 0x59);

    QtestClient late(rtc_at("9999-01-01"));
    EXPECT_EQ(cmos(late, 0x32), 0x21);
    EXPECT_EQ(cmos(late, 0x09), 0x99);
}

TEST(Rtc, RejectsABadBaseDate) {
    EXPECT_THROW(QtestClient({"-rtc", "base=yesterday"}), mimic::test::QtestError);
}

TEST(Rtc, LocaltimeBaseAndHostClockAreAccepted) {
    for (const char* spec : {"base=localtime,clock=host", "base=utc,clock=rt,driftfix=slew"}) {
        QtestClient vm({"-rtc", spec});
        uint8_t seconds = cmos(vm, 0x00);
        EXPECT_LE(seconds & 0x0f, 9) << spec;   // valid BCD
        EXPECT_LE(seconds >> 4, 5) << spec;
        EXPECT_EQ(cmos(vm, 0x0d), 0x80) << spec;
    }
    EXPECT_THROW(QtestClient({"-rtc", "clock=sideways"}), mimic::test::QtestError);
}
