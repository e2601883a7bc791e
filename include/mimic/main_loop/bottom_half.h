// Bottom halves: deferred callbacks that run on the main loop thread.
//
// Any thread may schedule one (a vCPU thread completing a DMA, an I/O
// worker finishing a request); the scheduling thread wakes the main loop,
// which runs the callback with the BQL held at its next iteration.
// Scheduling an already-scheduled bottom half is a no-op, so a burst of
// events costs one callback.
#pragma once

#include <atomic>
#include <functional>

namespace mimic {

class BottomHalf {
public:
    explicit BottomHalf(std::function<void()> callback);
    // Cancels a pending run. Must not race with schedule() from other
    // threads; owners stop their producers first.
    ~BottomHalf();
    BottomHalf(const BottomHalf&) = delete;
    BottomHalf& operator=(const BottomHalf&) = delete;

    // Thread-safe.
    void schedule();
    // Main loop thread only.
    void cancel();
    bool scheduled() const { return scheduled_.load(std::memory_order_acquire); }

private:
    friend class BottomHalfQueue;
    std::function<void()> callback_;
    std::atomic<bool> scheduled_{false};
};

// Runs `callback` once on the main loop thread; thread-safe. For the
// occasional fire-and-forget job; hot paths keep a BottomHalf.
void schedule_oneshot(std::function<void()> callback);

// Runs every scheduled bottom half; returns whether any ran. The main loop
// calls this itself; exposed for tests and for code that must drain them
// synchronously (e.g. before saving VM state).
bool run_bottom_halves();

}  // namespace mimic
