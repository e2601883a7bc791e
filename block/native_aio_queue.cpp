#include "native_aio_queue.h"

#include "mimic/util/error.h"

#include <cerrno>
#include <thread>

namespace mimic::block {
namespace {

// Beyond what the drive's 64 workers and the tools' pipelines keep in flight.
constexpr int kDepth = 256;
constexpr int kReapBatch = 64;

}  // namespace

NativeAioQueue::NativeAioQueue() {
    if (int ret = io_setup(kDepth, &ctx_); ret < 0) throw Error("Unable to use native AIO: {}", errno_string(-ret));
}

NativeAioQueue::~NativeAioQueue() { io_destroy(ctx_); }

ssize_t NativeAioQueue::rw(bool write, int fd, void* buf, size_t bytes, uint64_t offset) {
    Request req;
    if (write) io_prep_pwrite(&req.cb, fd, buf, bytes, static_cast<long long>(offset));
    else io_prep_pread(&req.cb, fd, buf, bytes, static_cast<long long>(offset));
    req.cb.data = &req;
    std::unique_lock lock(mutex_);
    pending_.push_back(&req);
    // Whoever finds no submission under way submits everything queued.
    if (!submitting_) submit_pending(lock);
    while (!req.done) {
        if (!reaping_) reap(lock);
        else cv_.wait(lock, [&] { return req.done || !reaping_; });
    }
    return req.result;
}

void NativeAioQueue::submit_pending(std::unique_lock<std::mutex>& lock) {
    submitting_ = true;
    while (!pending_.empty()) {
        std::vector<Request*> batch;
        batch.swap(pending_);
        lock.unlock();
        std::vector<iocb*> cbs;
        cbs.reserve(batch.size());
        for (Request* r : batch) cbs.push_back(&r->cb);
        size_t sent = 0;
        int error = 0;
        while (sent < cbs.size()) {
            int ret = io_submit(ctx_, static_cast<long>(cbs.size() - sent), cbs.data() + sent);
            if (ret == -EINTR) continue;
            if (ret == -EAGAIN) {
                std::this_thread::yield();   // the queue is full: a reaper frees slots
                continue;
            }
            if (ret <= 0) {
                error = ret < 0 ? ret : -EIO;
                break;
            }
            sent += static_cast<size_t>(ret);
        }
        lock.lock();
        if (error) {
            for (size_t i = sent; i < batch.size(); ++i) {
                batch[i]->result = error;
                batch[i]->done = true;
            }
            cv_.notify_all();
        }
    }
    submitting_ = false;
}

// One reaper at a time collects completions for every waiting thread.
void NativeAioQueue::reap(std::unique_lock<std::mutex>& lock) {
    reaping_ = true;
    lock.unlock();
    io_event events[kReapBatch];
    int n;
    do {
        n = io_getevents(ctx_, 1, kReapBatch, events, nullptr);
    } while (n == -EINTR);
    lock.lock();
    for (int i = 0; i < n; ++i) {
        auto* r = static_cast<Request*>(events[i].data);
        r->result = static_cast<ssize_t>(static_cast<long>(events[i].res));
        r->done = true;
    }
    reaping_ = false;
    cv_.notify_all();
}

}  // namespace mimic::block
