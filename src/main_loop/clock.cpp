#include "mimic/main_loop/clock.h"

#include <time.h>

#include <algorithm>
#include <mutex>

#include "mimic/main_loop/main_loop.h"
#include "mimic/main_loop/timer.h"

namespace mimic {

namespace {

int64_t host_ns(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return int64_t{ts.tv_sec} * kNsPerSec + ts.tv_nsec;
}

// The virtual clock is "realtime minus the time spent stopped": while
// running it reads realtime - offset; stopping freezes the current value and
// starting recomputes the offset so the value continues from there.
struct VirtualClock {
    std::mutex mutex;
    VirtualClockMode mode = VirtualClockMode::kHostTime;
    bool running = false;
    int64_t offset = 0;   // running, host mode: value = realtime - offset
    int64_t frozen = 0;   // stopped (host mode) or manual mode: the value
};

VirtualClock g_vclock;

int64_t virtual_now_locked() {
    if (g_vclock.mode == VirtualClockMode::kHostTime && g_vclock.running) {
        return host_ns(CLOCK_MONOTONIC) - g_vclock.offset;
    }
    return g_vclock.frozen;
}

}  // namespace

const char* clock_name(Clock clock) {
    switch (clock) {
    case Clock::kRealtime: return "rt";
    case Clock::kHost: return "host";
    case Clock::kVirtual: return "vm";
    }
    return "?";
}

int64_t clock_get_ns(Clock clock) {
    switch (clock) {
    case Clock::kRealtime: return host_ns(CLOCK_MONOTONIC);
    case Clock::kHost: return host_ns(CLOCK_REALTIME);
    case Clock::kVirtual: {
        std::lock_guard lock(g_vclock.mutex);
        return virtual_now_locked();
    }
    }
    return 0;
}

void vm_start() {
    {
        std::lock_guard lock(g_vclock.mutex);
        if (g_vclock.running) return;
        g_vclock.offset = host_ns(CLOCK_MONOTONIC) - g_vclock.frozen;
        g_vclock.running = true;
    }
    // Virtual timers start counting down: the loop must recompute its sleep.
    main_loop_wakeup();
}

void vm_stop() {
    std::lock_guard lock(g_vclock.mutex);
    if (!g_vclock.running) return;
    g_vclock.frozen = virtual_now_locked();
    g_vclock.running = false;
}

bool vm_running() {
    std::lock_guard lock(g_vclock.mutex);
    return g_vclock.running;
}

void set_virtual_clock_mode(VirtualClockMode mode) {
    std::lock_guard lock(g_vclock.mutex);
    if (mode == g_vclock.mode) return;
    g_vclock.frozen = virtual_now_locked();
    g_vclock.mode = mode;
    g_vclock.offset = host_ns(CLOCK_MONOTONIC) - g_vclock.frozen;
}

VirtualClockMode virtual_clock_mode() {
    std::lock_guard lock(g_vclock.mutex);
    return g_vclock.mode;
}

namespace {

// Moves the manual clock; never backwards.
void manual_clock_advance_to(int64_t value) {
    std::lock_guard lock(g_vclock.mutex);
    g_vclock.frozen = std::max(g_vclock.frozen, value);
}

int64_t next_virtual_expiry() {
    int64_t deadline = clock_step_next_deadline();
    return deadline < 0 ? -1 : clock_get_ns(Clock::kVirtual) + deadline;
}

}  // namespace

int64_t clock_set(int64_t target_ns) {
    // Host-driven guest time cannot be moved by hand.
    if (virtual_clock_mode() != VirtualClockMode::kManual) return clock_get_ns(Clock::kVirtual);
    // Walk from deadline to deadline so that each timer sees the clock at
    // (not past) its own expiry, like hardware would.
    for (;;) {
        int64_t next = next_virtual_expiry();
        if (next < 0 || next > target_ns) break;
        manual_clock_advance_to(next);
        run_expired_timers(Clock::kVirtual);
    }
    manual_clock_advance_to(target_ns);
    run_expired_timers(Clock::kVirtual);
    return clock_get_ns(Clock::kVirtual);
}

int64_t clock_step(int64_t ns) {
    return clock_set(clock_get_ns(Clock::kVirtual) + std::max<int64_t>(ns, 0));
}

}  // namespace mimic
