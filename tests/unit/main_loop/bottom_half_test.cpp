#include "mimic/main_loop/bottom_half.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/main_loop.h"

using namespace mimic;

namespace {

class BottomHalfTest : public ::testing::Test {
protected:
    BqlGuard bql_;
};

TEST_F(BottomHalfTest, ScheduleCoalesces) {
    int runs = 0;
    BottomHalf bh([&] { runs++; });
    bh.schedule();
    bh.schedule();
    EXPECT_TRUE(bh.scheduled());
    EXPECT_TRUE(run_bottom_halves());
    EXPECT_EQ(runs, 1);
    EXPECT_FALSE(run_bottom_halves());
}

TEST_F(BottomHalfTest, CancelAndDestroy) {
    int runs = 0;
    BottomHalf bh([&] { runs++; });
    bh.schedule();
    bh.cancel();
    {
        BottomHalf gone([&] { runs++; });
        gone.schedule();
    }
    run_bottom_halves();
    EXPECT_EQ(runs, 0);
}

TEST_F(BottomHalfTest, RescheduleFromCallbackRunsNextIteration) {
    int runs = 0;
    BottomHalf bh([&] {
        if (++runs < 3) bh.schedule();
    });
    bh.schedule();
    run_bottom_halves();
    EXPECT_EQ(runs, 1);
    run_bottom_halves();
    run_bottom_halves();
    EXPECT_EQ(runs, 3);
}

TEST_F(BottomHalfTest, CallbackMayDestroyItself) {
    std::unique_ptr<BottomHalf> bh;
    int runs = 0;
    bh = std::make_unique<BottomHalf>([&] { runs++; bh.reset(); });
    bh->schedule();
    run_bottom_halves();
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(bh, nullptr);
}

TEST_F(BottomHalfTest, ScheduleFromOtherThreadWakesLoop) {
    std::atomic<bool> ran{false};
    std::thread::id ran_on;
    BottomHalf bh([&] {
        ran_on = std::this_thread::get_id();
        EXPECT_TRUE(bql_locked());
        ran = true;
    });
    int64_t start = clock_get_ns(Clock::kRealtime);
    std::thread producer([&] {
        timespec ts{0, 20 * 1000000L};
        nanosleep(&ts, nullptr);
        bh.schedule();
    });
    // Sleeps "forever" (10 s) unless the schedule wakes the poll.
    while (!ran && clock_get_ns(Clock::kRealtime) - start < 10 * kNsPerSec) main_loop_wait(10 * kNsPerSec);
    producer.join();
    EXPECT_TRUE(ran);
    EXPECT_EQ(ran_on, std::this_thread::get_id());
    EXPECT_LT(clock_get_ns(Clock::kRealtime) - start, 5 * kNsPerSec);
}

TEST_F(BottomHalfTest, Oneshot) {
    int runs = 0;
    std::thread t([&] { schedule_oneshot([&] { runs++; }); });
    t.join();
    main_loop_wait(0);
    EXPECT_EQ(runs, 1);
}

}  // namespace
