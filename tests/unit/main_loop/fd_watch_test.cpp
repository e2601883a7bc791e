#include "mimic/main_loop/fd_watch.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/main_loop.h"
#include "mimic/main_loop/timer.h"

using namespace mimic;

namespace {

class FdWatchTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(pipe2(fds_, O_NONBLOCK | O_CLOEXEC), 0); }
    void TearDown() override {
        for (int fd : fds_) if (fd >= 0) close(fd);
    }
    // Iterates the loop until `done` or a bounded time passes.
    template <typename Pred>
    bool spin(Pred done) {
        int64_t start = clock_get_ns(Clock::kRealtime);
        while (!done()) {
            if (clock_get_ns(Clock::kRealtime) - start > 5 * kNsPerSec) return false;
            main_loop_wait(100 * kNsPerMs);
        }
        return true;
    }
    BqlGuard bql_;
    int fds_[2] = {-1, -1};
};

TEST_F(FdWatchTest, ReadableFires) {
    std::string got;
    FdWatch w(fds_[0], {.readable = [&] {
        char buf[16];
        ssize_t n = read(fds_[0], buf, sizeof buf);
        if (n > 0) got.append(buf, n);
    }});
    ASSERT_EQ(write(fds_[1], "hi", 2), 2);
    EXPECT_TRUE(spin([&] { return got == "hi"; }));
}

// An idle watch must let the loop sleep until its next deadline: re-arming
// an unchanged poll record wakes glib's context, which made every wait
// return at once (a main loop spinning on a core the vCPU needs).
TEST_F(FdWatchTest, IdleWatchLetsTheLoopSleep) {
    FdWatch w(fds_[0], {.readable = [] {}});
    bool fired = false;
    Timer t(Clock::kRealtime, [&] { fired = true; });
    t.mod_ns(clock_get_ns(Clock::kRealtime) + 50 * kNsPerMs);
    int iterations = 0;
    while (!fired && iterations < 1000) {
        main_loop_wait();
        ++iterations;
    }
    EXPECT_TRUE(fired);
    EXPECT_LE(iterations, 3);
}

TEST_F(FdWatchTest, WritableOnlyWithInterest) {
    int writable = 0;
    FdWatch w(fds_[1], {.writable = [&] { writable++; }});
    main_loop_wait(0);
    EXPECT_EQ(writable, 0);
    w.set_write_interest(true);
    EXPECT_TRUE(spin([&] { return writable > 0; }));
    w.set_write_interest(false);
    int seen = writable;
    main_loop_wait(0);
    EXPECT_EQ(writable, seen);
}

TEST_F(FdWatchTest, HangupAfterDataStillDeliversData) {
    std::string got;
    bool hung_up = false;
    FdWatch w(fds_[0], {.readable = [&] {
                            char buf[16];
                            ssize_t n = read(fds_[0], buf, sizeof buf);
                            if (n > 0) got.append(buf, n);
                        },
                        .hangup = [&] { hung_up = true; }});
    ASSERT_EQ(write(fds_[1], "bye", 3), 3);
    close(fds_[1]);
    fds_[1] = -1;
    EXPECT_TRUE(spin([&] { return hung_up; }));
    EXPECT_EQ(got, "bye");
}

TEST_F(FdWatchTest, ReadGateHoldsInput) {
    bool open = false;
    int reads = 0;
    FdWatch w(fds_[0], {.readable = [&] {
                            char c;
                            if (read(fds_[0], &c, 1) == 1) reads++;
                        },
                        .read_gate = [&] { return open; }});
    ASSERT_EQ(write(fds_[1], "x", 1), 1);
    main_loop_wait(20 * kNsPerMs);
    EXPECT_EQ(reads, 0);
    open = true;
    EXPECT_TRUE(spin([&] { return reads == 1; }));
}

TEST_F(FdWatchTest, RemoveFromOwnCallback) {
    auto w = std::make_unique<FdWatch>();
    int calls = 0;
    *w = FdWatch(fds_[0], {.readable = [&] {
        calls++;
        w.reset();  // destroys the watch whose callback is running
    }});
    ASSERT_EQ(write(fds_[1], "z", 1), 1);
    EXPECT_TRUE(spin([&] { return calls == 1; }));
    main_loop_wait(10 * kNsPerMs);  // data still unread: no more calls
    EXPECT_EQ(calls, 1);
}

TEST_F(FdWatchTest, AddFromCallback) {
    FdWatch second;
    int second_calls = 0;
    FdWatch first(fds_[0], {.readable = [&] {
        char c;
        (void)!read(fds_[0], &c, 1);
        if (!second.active()) {
            second = FdWatch(fds_[1], {.writable = [&] { second_calls++; }});
            second.set_write_interest(true);
        }
    }});
    ASSERT_EQ(write(fds_[1], "a", 1), 1);
    EXPECT_TRUE(spin([&] { return second_calls > 0; }));
}

}  // namespace
