// The big lock ("BQL"): serialises device emulation between the main loop
// and the vCPU threads.
//
// The main loop holds it while it dispatches callbacks (fd watches, timers,
// bottom halves) and drops it only while it sleeps in poll. A vCPU thread
// runs guest code without it and takes it around every access to device
// state (MMIO/PIO dispatch, interrupt delivery). Code that touches shared
// device or chardev state asserts it with assert_bql_locked().
#pragma once

namespace mimic {

// Not recursive: taking it twice on one thread is a bug and aborts.
void bql_lock();
void bql_unlock();

// Whether the calling thread holds the lock.
bool bql_locked();

// Aborts with a message when the calling thread does not hold the lock.
void assert_bql_locked();

// Holds the lock for a scope.
class BqlGuard {
public:
    BqlGuard() { bql_lock(); }
    ~BqlGuard() { bql_unlock(); }
    BqlGuard(const BqlGuard&) = delete;
    BqlGuard& operator=(const BqlGuard&) = delete;
};

// Drops the lock for a scope, for code that must block (waiting on a
// socket, joining a thread) while called under it.
class BqlUnlockGuard {
public:
    BqlUnlockGuard() { bql_unlock(); }
    ~BqlUnlockGuard() { bql_lock(); }
    BqlUnlockGuard(const BqlUnlockGuard&) = delete;
    BqlUnlockGuard& operator=(const BqlUnlockGuard&) = delete;
};

}  // namespace mimic
