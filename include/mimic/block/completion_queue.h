// Completions of asynchronous block requests, handed back to the thread
// that owns the device (normally the main loop).
//
// Worker threads push finished requests; the queue's eventfd becomes
// readable; the main loop watches event_fd() with its own poller (glib
// GSource, epoll, poll) and calls run() to invoke the callbacks in its own
// thread. The block layer itself stays free of any main-loop library.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

namespace mimic::block {

class CompletionQueue {
public:
    using Callback = std::function<void(int ret)>;

    CompletionQueue();
    ~CompletionQueue();
    CompletionQueue(const CompletionQueue&) = delete;
    CompletionQueue& operator=(const CompletionQueue&) = delete;

    int event_fd() const { return event_fd_; }

    // Any thread: queue `callback(ret)` and wake the owner.
    void post(Callback callback, int ret);

    // Owner thread: run every queued callback; returns how many ran.
    size_t run();

    // Owner thread: block until at least one completion is queued, then run.
    size_t wait_and_run();

private:
    int event_fd_ = -1;
    std::mutex mutex_;
    std::vector<std::pair<Callback, int>> done_;
};

}  // namespace mimic::block
