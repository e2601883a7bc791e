// One-shot timers on a Clock, re-armed by their callback when periodic.
//
// A timer is owned by the device that created it; destroying it cancels it.
// Callbacks run on the main loop thread with the BQL held. mod() and del()
// may be called from any thread that holds the BQL (vCPU threads do, from
// device register writes); arming a timer earlier than everything pending
// wakes the main loop so it never oversleeps.
#pragma once

#include <cstdint>
#include <functional>

#include "mimic/main_loop/clock.h"

namespace mimic {

class Timer {
public:
    // `scale` is the unit of mod()/expire_time(): 1 for ns, kNsPerMs for ms.
    Timer(Clock clock, std::function<void()> callback, int64_t scale = 1);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Arms (or re-arms) the timer to fire when the clock reaches `expire`
    // (absolute, in units of `scale`). A time already past fires on the next
    // loop iteration. Timers with equal expiry fire in the order armed.
    void mod(int64_t expire);
    void mod_ns(int64_t expire_ns);

    // Disarms; harmless when not pending.
    void del();

    bool pending() const;

    // Absolute expiry in `scale` units; -1 when not pending.
    int64_t expire_time() const;
    int64_t expire_time_ns() const;

    Clock clock() const { return clock_; }

private:
    friend class TimerList;

    Clock clock_;
    std::function<void()> callback_;
    int64_t scale_;
    // Protected by the owning TimerList's mutex.
    int64_t expire_ns_ = -1;
    uint64_t sequence_ = 0;  // FIFO order among equal expiries
};

// ns from now until the earliest pending timer on `clock`, 0 if one has
// already expired, -1 if none. The virtual clock reports -1 while stopped
// and in manual mode, since host time passing does not bring it closer.
int64_t clock_deadline_ns(Clock clock);

// The minimum of clock_deadline_ns() over all clocks: how long the main
// loop may sleep.
int64_t timers_deadline_ns();

// Runs every timer on `clock` whose expiry is <= the clock's current value.
// Returns whether any ran. BQL held. The virtual clock's timers run only
// while the VM runs (or in manual mode, when clock_step() moves the clock).
bool run_expired_timers(Clock clock);
bool run_all_expired_timers();

}  // namespace mimic
