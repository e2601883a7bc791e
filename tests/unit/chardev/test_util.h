// Helpers shared by the chardev tests: a recording front end, a bounded
// main-loop spin, a temp directory.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "mimic/chardev/chardev.h"
#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/main_loop.h"

namespace mimic::chardev::testing {

class RecordingFrontend : public CharFrontend {
public:
    size_t can_receive() override { return capacity - std::min(capacity, received.size() - consumed); }
    void receive(std::span<const uint8_t> data) override { received.append(data.begin(), data.end()); }
    void event(ChardevEvent e) override { events.push_back(e); }

    size_t count(ChardevEvent e) const { return std::count(events.begin(), events.end(), e); }

    // Bytes the "device" has taken out of its FIFO; can_receive() grows.
    size_t consumed = 0;
    size_t capacity = 1 << 20;
    std::string received;
    std::vector<ChardevEvent> events;
};

// Iterates the main loop until `done` or 5 s pass; false on timeout.
template <typename Pred>
bool spin_until(Pred done, int64_t limit_ns = 5 * kNsPerSec) {
    int64_t start = clock_get_ns(Clock::kRealtime);
    while (!done()) {
        if (clock_get_ns(Clock::kRealtime) - start > limit_ns) return false;
        main_loop_wait(50 * kNsPerMs);
    }
    return true;
}

inline void spin_for(int64_t ns) {
    int64_t start = clock_get_ns(Clock::kRealtime);
    while (clock_get_ns(Clock::kRealtime) - start < ns) main_loop_wait(10 * kNsPerMs);
}

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/mimic-chardev-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Every test runs as main-loop code does: with the BQL.
class ChardevTest : public ::testing::Test {
protected:
    BqlGuard bql_;
};

}  // namespace mimic::chardev::testing
