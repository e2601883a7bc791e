// aio=native: one Linux AIO context per file, shared by every thread that
// does I/O on it. Requests queued while a submission is under way go to the
// kernel together in one io_submit(), and one thread at a time reaps the
// completions of all (io_getevents() with many events), so the kernel sees
// the whole queue depth of the drive, as with QEMU's per-AioContext queue.
#pragma once

#include <libaio.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <sys/types.h>
#include <vector>

namespace mimic::block {

class NativeAioQueue {
public:
    // Throws mimic::Error (QEMU's wording) if Linux AIO is unavailable.
    NativeAioQueue();
    ~NativeAioQueue();
    NativeAioQueue(const NativeAioQueue&) = delete;
    NativeAioQueue& operator=(const NativeAioQueue&) = delete;

    // Blocks the calling thread until its request completes; returns the
    // bytes transferred (possibly short) or -errno.
    ssize_t rw(bool write, int fd, void* buf, size_t bytes, uint64_t offset);

private:
    struct Request {
        iocb cb;
        ssize_t result = 0;
        bool done = false;
    };
    void submit_pending(std::unique_lock<std::mutex>& lock);
    void reap(std::unique_lock<std::mutex>& lock);

    io_context_t ctx_ = nullptr;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Request*> pending_;
    bool submitting_ = false;
    bool reaping_ = false;
};

}  // namespace mimic::block
