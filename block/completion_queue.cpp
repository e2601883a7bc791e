#include "mimic/block/completion_queue.h"

#include "mimic/util/error.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace mimic::block {

CompletionQueue::CompletionQueue() {
    event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fd_ < 0) throw Error("Could not create eventfd: {}", errno_string(errno));
}

CompletionQueue::~CompletionQueue() { ::close(event_fd_); }

void CompletionQueue::post(Callback callback, int ret) {
    {
        std::lock_guard lock(mutex_);
        done_.emplace_back(std::move(callback), ret);
        // The owner takes the whole list at once: one wakeup per batch,
        // not one system call per request.
        if (done_.size() > 1) return;
    }
    uint64_t one = 1;
    // EAGAIN means the counter is saturated, which still wakes the reader.
    [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
}

size_t CompletionQueue::run() {
    uint64_t count;
    [[maybe_unused]] ssize_t n = ::read(event_fd_, &count, sizeof count);
    std::vector<std::pair<Callback, int>> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(done_);
    }
    // Callbacks may submit new requests, which post to done_ again; they
    // are picked up on the next wakeup.
    for (auto& [callback, ret] : batch)
        if (callback) callback(ret);
    return batch.size();
}

size_t CompletionQueue::wait_and_run() {
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (!done_.empty()) break;
        }
        pollfd pfd = {event_fd_, POLLIN, 0};
        poll(&pfd, 1, -1);
    }
    return run();
}

}  // namespace mimic::block
