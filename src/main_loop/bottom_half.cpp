#include "mimic/main_loop/bottom_half.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/main_loop.h"

namespace mimic {

class BottomHalfQueue {
public:
    static BottomHalfQueue& instance() {
        static BottomHalfQueue queue;
        return queue;
    }

    void push(BottomHalf* bh) {
        std::lock_guard lock(mutex_);
        queue_.push_back(bh);
    }

    void remove(BottomHalf* bh) {
        std::lock_guard lock(mutex_);
        queue_.erase(std::remove(queue_.begin(), queue_.end(), bh), queue_.end());
    }

    void push_oneshot(std::function<void()> fn) {
        std::lock_guard lock(mutex_);
        oneshots_.push_back(std::move(fn));
    }

    bool run() {
        bool ran = false;
        // Only what was queued on entry: a bottom half that reschedules
        // itself runs again on the next iteration, not in a tight loop.
        size_t budget;
        std::vector<std::function<void()>> oneshots;
        {
            std::lock_guard lock(mutex_);
            budget = queue_.size();
            oneshots.swap(oneshots_);
        }
        for (; budget > 0; budget--) {
            BottomHalf* bh;
            {
                std::lock_guard lock(mutex_);
                if (queue_.empty()) break;
                bh = queue_.front();
                queue_.pop_front();
                // Cleared before the callback so it may schedule itself again.
                bh->scheduled_.store(false, std::memory_order_release);
            }
            ran = true;
            bh->callback_();  // may destroy bh
        }
        for (auto& fn : oneshots) {
            ran = true;
            fn();
        }
        return ran;
    }

private:
    std::mutex mutex_;
    std::deque<BottomHalf*> queue_;
    std::vector<std::function<void()>> oneshots_;
};

BottomHalf::BottomHalf(std::function<void()> callback) : callback_(std::move(callback)) {}

BottomHalf::~BottomHalf() { cancel(); }

void BottomHalf::schedule() {
    if (scheduled_.exchange(true, std::memory_order_acq_rel)) return;
    BottomHalfQueue::instance().push(this);
    main_loop_wakeup();
}

void BottomHalf::cancel() {
    if (!scheduled_.exchange(false, std::memory_order_acq_rel)) return;
    BottomHalfQueue::instance().remove(this);
}

void schedule_oneshot(std::function<void()> callback) {
    BottomHalfQueue::instance().push_oneshot(std::move(callback));
    main_loop_wakeup();
}

bool run_bottom_halves() {
    assert_bql_locked();
    return BottomHalfQueue::instance().run();
}

}  // namespace mimic
