#include "mimic/main_loop/timer.h"

#include <gtest/gtest.h>

#include <vector>

#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/main_loop.h"

using namespace mimic;

namespace {

class TimerTest : public ::testing::Test {
protected:
    BqlGuard bql_;
};

TEST_F(TimerTest, PendingAndDel) {
    Timer t(Clock::kRealtime, [] {});
    EXPECT_FALSE(t.pending());
    EXPECT_EQ(t.expire_time_ns(), -1);
    t.mod_ns(clock_get_ns(Clock::kRealtime) + kNsPerSec);
    EXPECT_TRUE(t.pending());
    t.del();
    EXPECT_FALSE(t.pending());
    t.del();  // idempotent
}

TEST_F(TimerTest, ScaleConvertsUnits) {
    Timer t(Clock::kRealtime, [] {}, kNsPerMs);
    t.mod(5);
    EXPECT_EQ(t.expire_time(), 5);
    EXPECT_EQ(t.expire_time_ns(), 5 * kNsPerMs);
}

TEST_F(TimerTest, FireInExpiryOrderAndFifoForTies) {
    std::vector<int> order;
    int64_t now = clock_get_ns(Clock::kRealtime);
    Timer a(Clock::kRealtime, [&] { order.push_back(1); });
    Timer b(Clock::kRealtime, [&] { order.push_back(2); });
    Timer c(Clock::kRealtime, [&] { order.push_back(3); });
    Timer d(Clock::kRealtime, [&] { order.push_back(4); });
    c.mod_ns(now - 30);
    a.mod_ns(now - 10);
    d.mod_ns(now - 10);  // same expiry as a, armed later
    b.mod_ns(now - 20);
    EXPECT_TRUE(run_expired_timers(Clock::kRealtime));
    EXPECT_EQ(order, (std::vector<int>{3, 2, 1, 4}));
    EXPECT_FALSE(run_expired_timers(Clock::kRealtime));
}

TEST_F(TimerTest, ReModMovesTimer) {
    int fired = 0;
    Timer t(Clock::kRealtime, [&] { fired++; });
    int64_t now = clock_get_ns(Clock::kRealtime);
    t.mod_ns(now - 1);
    t.mod_ns(now + 10 * kNsPerSec);
    run_expired_timers(Clock::kRealtime);
    EXPECT_EQ(fired, 0);
    EXPECT_TRUE(t.pending());
}

TEST_F(TimerTest, CallbackMayRearmAndDeleteOthers) {
    int64_t now = clock_get_ns(Clock::kRealtime);
    int first = 0, second = 0;
    Timer t2(Clock::kRealtime, [&] { second++; });
    Timer t1(Clock::kRealtime, [&] {
        first++;
        t2.del();
        // Periodic re-arm into the future: must not run again now.
        t1.mod_ns(now + 10 * kNsPerSec);
    });
    t1.mod_ns(now - 2);
    t2.mod_ns(now - 1);
    run_expired_timers(Clock::kRealtime);
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 0);
    EXPECT_TRUE(t1.pending());
}

TEST_F(TimerTest, DestroyedTimerNeverFires) {
    int fired = 0;
    {
        Timer t(Clock::kRealtime, [&] { fired++; });
        t.mod_ns(0);
    }
    run_expired_timers(Clock::kRealtime);
    EXPECT_EQ(fired, 0);
}

TEST_F(TimerTest, DeadlineMath) {
    EXPECT_EQ(clock_deadline_ns(Clock::kRealtime), -1);
    Timer far(Clock::kRealtime, [] {});
    Timer near(Clock::kHost, [] {});
    int64_t now = clock_get_ns(Clock::kRealtime);
    far.mod_ns(now + 10 * kNsPerSec);
    int64_t d = clock_deadline_ns(Clock::kRealtime);
    EXPECT_GT(d, 9 * kNsPerSec);
    EXPECT_LE(d, 10 * kNsPerSec);
    near.mod_ns(clock_get_ns(Clock::kHost) + kNsPerSec);
    int64_t all = timers_deadline_ns();
    EXPECT_GT(all, kNsPerSec / 2);
    EXPECT_LE(all, kNsPerSec);
    near.mod_ns(0);  // already expired
    EXPECT_EQ(timers_deadline_ns(), 0);
}

TEST_F(TimerTest, LoopSleepsUntilTimer) {
    // The loop must wake for the timer on its own, without polling early
    // and without oversleeping by more than scheduling noise.
    bool fired = false;
    Timer t(Clock::kRealtime, [&] { fired = true; });
    int64_t start = clock_get_ns(Clock::kRealtime);
    t.mod_ns(start + 20 * kNsPerMs);
    while (!fired && clock_get_ns(Clock::kRealtime) - start < 5 * kNsPerSec) main_loop_wait(5 * kNsPerSec);
    EXPECT_TRUE(fired);
    int64_t elapsed = clock_get_ns(Clock::kRealtime) - start;
    EXPECT_GE(elapsed, 20 * kNsPerMs);
    EXPECT_LT(elapsed, 2 * kNsPerSec);
}

}  // namespace
