#include "mimic/main_loop/clock.h"

#include <gtest/gtest.h>

#include <time.h>

#include <thread>
#include <vector>

#include "mimic/main_loop/main_loop.h"

#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/timer.h"

using namespace mimic;

namespace {

void sleep_ms(int ms) {
    timespec ts{0, ms * 1000000L};
    nanosleep(&ts, nullptr);
}

class VirtualClockTest : public ::testing::Test {
protected:
    void SetUp() override {
        vm_stop();
        set_virtual_clock_mode(VirtualClockMode::kHostTime);
    }
    void TearDown() override {
        vm_stop();
        set_virtual_clock_mode(VirtualClockMode::kHostTime);
    }
    BqlGuard bql_;
};

TEST(ClockTest, Names) {
    EXPECT_STREQ(clock_name(Clock::kRealtime), "rt");
    EXPECT_STREQ(clock_name(Clock::kHost), "host");
    EXPECT_STREQ(clock_name(Clock::kVirtual), "vm");
}

TEST(ClockTest, HostClockIsWallClock) {
    int64_t wall = int64_t{time(nullptr)} * kNsPerSec;
    EXPECT_NEAR(static_cast<double>(clock_get_ns(Clock::kHost)), static_cast<double>(wall), 2.0 * kNsPerSec);
}

TEST_F(VirtualClockTest, FrozenWhileStopped) {
    int64_t before = clock_get_ns(Clock::kVirtual);
    sleep_ms(10);
    EXPECT_EQ(clock_get_ns(Clock::kVirtual), before);
    EXPECT_FALSE(vm_running());
}

TEST_F(VirtualClockTest, AdvancesWhileRunningAndResumesWhereItStopped) {
    int64_t v0 = clock_get_ns(Clock::kVirtual);
    vm_start();
    EXPECT_TRUE(vm_running());
    sleep_ms(10);
    vm_stop();
    int64_t v1 = clock_get_ns(Clock::kVirtual);
    EXPECT_GE(v1 - v0, 10 * kNsPerMs);
    sleep_ms(20);
    vm_start();
    int64_t v2 = clock_get_ns(Clock::kVirtual);
    // The 20 ms spent stopped must not show up in guest time.
    EXPECT_GE(v2, v1);
    EXPECT_LT(v2 - v1, 15 * kNsPerMs);
}

TEST_F(VirtualClockTest, TimersDoNotFireWhileStopped) {
    int fired = 0;
    Timer t(Clock::kVirtual, [&] { fired++; });
    t.mod_ns(clock_get_ns(Clock::kVirtual));
    EXPECT_EQ(clock_deadline_ns(Clock::kVirtual), -1);
    EXPECT_FALSE(run_expired_timers(Clock::kVirtual));
    EXPECT_EQ(fired, 0);
    vm_start();
    EXPECT_EQ(clock_deadline_ns(Clock::kVirtual), 0);
    EXPECT_TRUE(run_expired_timers(Clock::kVirtual));
    EXPECT_EQ(fired, 1);
}

TEST_F(VirtualClockTest, VmStartFromOtherThreadWakesLoopForVirtualTimer) {
    bool fired = false;
    Timer t(Clock::kVirtual, [&] { fired = true; });
    t.mod_ns(clock_get_ns(Clock::kVirtual) + 10 * kNsPerMs);
    // The loop sleeps with no deadline (virtual time is frozen) until a
    // "vCPU thread" starts the VM.
    std::thread starter([] {
        sleep_ms(20);
        vm_start();
    });
    int64_t start = clock_get_ns(Clock::kRealtime);
    while (!fired && clock_get_ns(Clock::kRealtime) - start < 10 * kNsPerSec) main_loop_wait(10 * kNsPerSec);
    starter.join();
    EXPECT_TRUE(fired);
    EXPECT_LT(clock_get_ns(Clock::kRealtime) - start, 5 * kNsPerSec);
}

TEST_F(VirtualClockTest, StepIgnoredOutsideManualMode) {
    int64_t v = clock_get_ns(Clock::kVirtual);
    EXPECT_EQ(clock_step(kNsPerSec), v);
}

TEST_F(VirtualClockTest, ManualModeStepsThroughDeadlines) {
    set_virtual_clock_mode(VirtualClockMode::kManual);
    vm_start();  // running or not, manual time moves only by step
    int64_t base = clock_get_ns(Clock::kVirtual);
    sleep_ms(5);
    EXPECT_EQ(clock_get_ns(Clock::kVirtual), base);

    std::vector<int64_t> seen;
    Timer a(Clock::kVirtual, [&] { seen.push_back(clock_get_ns(Clock::kVirtual) - base); });
    Timer b(Clock::kVirtual, [&] {
        seen.push_back(clock_get_ns(Clock::kVirtual) - base);
        if (seen.size() < 4) b.mod_ns(clock_get_ns(Clock::kVirtual) + 300);  // periodic
    });
    a.mod_ns(base + 1000);
    b.mod_ns(base + 100);
    EXPECT_EQ(clock_step_next_deadline(), 100);
    // The loop must not wait for manual time.
    EXPECT_EQ(clock_deadline_ns(Clock::kVirtual), -1);

    EXPECT_EQ(clock_step(1000), base + 1000);
    // Each callback saw the clock exactly at its own deadline.
    EXPECT_EQ(seen, (std::vector<int64_t>{100, 400, 700, 1000, 1000}));
    EXPECT_EQ(clock_step_next_deadline(), -1);

    EXPECT_EQ(clock_set(base + 500), base + 1000);  // never backwards
    EXPECT_EQ(clock_step(-5), base + 1000);
}

TEST_F(VirtualClockTest, ModeSwitchKeepsValue) {
    vm_start();
    sleep_ms(2);
    int64_t v = clock_get_ns(Clock::kVirtual);
    set_virtual_clock_mode(VirtualClockMode::kManual);
    int64_t m = clock_get_ns(Clock::kVirtual);
    EXPECT_GE(m, v);
    EXPECT_LT(m - v, 50 * kNsPerMs);
}

}  // namespace
