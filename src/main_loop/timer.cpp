#include "mimic/main_loop/timer.h"

#include <map>
#include <mutex>
#include <utility>

#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/main_loop.h"

namespace mimic {

// The pending timers of one clock, ordered by expiry. The mutex protects
// the map and every pending timer's expiry fields; callbacks always run
// with it released so they can re-arm themselves or others.
class TimerList {
public:
    // Returns whether `timer` became the earliest one.
    bool insert(Timer* timer, int64_t expire_ns) {
        std::lock_guard lock(mutex_);
        erase_locked(timer);
        timer->expire_ns_ = expire_ns;
        timer->sequence_ = next_sequence_++;
        auto it = timers_.emplace(Key{expire_ns, timer->sequence_}, timer).first;
        return it == timers_.begin();
    }

    void erase(Timer* timer) {
        std::lock_guard lock(mutex_);
        erase_locked(timer);
    }

    int64_t expire_ns(const Timer* timer) {
        std::lock_guard lock(mutex_);
        return timer->expire_ns_;
    }

    // Earliest expiry, -1 when empty.
    int64_t earliest() {
        std::lock_guard lock(mutex_);
        return timers_.empty() ? -1 : timers_.begin()->first.first;
    }

    // Runs timers due at `now`, one at a time, re-checking the list after
    // each callback because it may have changed anything.
    bool run_due(int64_t now) {
        bool ran = false;
        for (;;) {
            Timer* timer;
            {
                std::lock_guard lock(mutex_);
                if (timers_.empty() || timers_.begin()->first.first > now) break;
                timer = timers_.begin()->second;
                timers_.erase(timers_.begin());
                timer->expire_ns_ = -1;
            }
            ran = true;
            // The callback may delete the timer; touch nothing after it.
            timer->callback_();
        }
        return ran;
    }

private:
    using Key = std::pair<int64_t, uint64_t>;

    void erase_locked(Timer* timer) {
        if (timer->expire_ns_ < 0) return;
        timers_.erase(Key{timer->expire_ns_, timer->sequence_});
        timer->expire_ns_ = -1;
    }

    std::mutex mutex_;
    std::map<Key, Timer*> timers_;
    uint64_t next_sequence_ = 0;
};

namespace {

TimerList& timer_list(Clock clock) {
    // Leaked on purpose: a Timer owned by something with static storage
    // may be destroyed after a function-local static list would be.
    static TimerList* lists = new TimerList[kClockCount];
    return lists[static_cast<int>(clock)];
}

}  // namespace

Timer::Timer(Clock clock, std::function<void()> callback, int64_t scale)
    : clock_(clock), callback_(std::move(callback)), scale_(scale) {}

Timer::~Timer() { del(); }

void Timer::mod(int64_t expire) { mod_ns(expire * scale_); }

void Timer::mod_ns(int64_t expire_ns) {
    if (expire_ns < 0) expire_ns = 0;
    if (timer_list(clock_).insert(this, expire_ns)) main_loop_wakeup();
}

void Timer::del() { timer_list(clock_).erase(this); }

bool Timer::pending() const { return expire_time_ns() >= 0; }

int64_t Timer::expire_time_ns() const { return timer_list(clock_).expire_ns(this); }

int64_t Timer::expire_time() const {
    int64_t ns = expire_time_ns();
    return ns < 0 ? -1 : ns / scale_;
}

namespace {

// Host time passing only brings virtual timers closer while the VM runs on
// host time; otherwise waiting for them would be waiting forever.
bool clock_advances_by_itself(Clock clock) {
    return clock != Clock::kVirtual ||
           (vm_running() && virtual_clock_mode() == VirtualClockMode::kHostTime);
}

bool clock_timers_enabled(Clock clock) {
    return clock != Clock::kVirtual || vm_running() ||
           virtual_clock_mode() == VirtualClockMode::kManual;
}

}  // namespace

int64_t clock_deadline_ns(Clock clock) {
    if (!clock_advances_by_itself(clock)) return -1;
    int64_t earliest = timer_list(clock).earliest();
    if (earliest < 0) return -1;
    int64_t delta = earliest - clock_get_ns(clock);
    return delta > 0 ? delta : 0;
}

int64_t timers_deadline_ns() {
    int64_t best = -1;
    for (int i = 0; i < kClockCount; i++) {
        int64_t d = clock_deadline_ns(static_cast<Clock>(i));
        if (d >= 0 && (best < 0 || d < best)) best = d;
    }
    return best;
}

int64_t clock_step_next_deadline() {
    int64_t earliest = timer_list(Clock::kVirtual).earliest();
    if (earliest < 0) return -1;
    int64_t delta = earliest - clock_get_ns(Clock::kVirtual);
    return delta > 0 ? delta : 0;
}

bool run_expired_timers(Clock clock) {
    assert_bql_locked();
    if (!clock_timers_enabled(clock)) return false;
    return timer_list(clock).run_due(clock_get_ns(clock));
}

bool run_all_expired_timers() {
    bool ran = false;
    for (int i = 0; i < kClockCount; i++) ran |= run_expired_timers(static_cast<Clock>(i));
    return ran;
}

}  // namespace mimic
