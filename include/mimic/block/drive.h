// A drive as devices see it (QEMU's BlockBackend): the root of a node graph
// opened from -drive options, with synchronous and asynchronous I/O.
//
//   auto drive = Drive::open(opts, &completions);
//   drive->aio_read(offset, buf, len, [](int ret) { ... });
//   // main loop: when completions.event_fd() is readable, completions.run()
//
// Asynchronous requests run on a worker pool (aio=threads); the buffer must
// stay valid until the callback runs. Callbacks run in the thread calling
// CompletionQueue::run(), never in a worker.
#pragma once

#include "mimic/block/completion_queue.h"
#include "mimic/block/node.h"
#include "mimic/block/options.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

namespace mimic::block {

class ThreadPool;

// I/O accounting as query-blockstats reports it: requests that completed
// (failed ones counted apart) and the time they took.
struct IoStats {
    uint64_t rd_bytes = 0, wr_bytes = 0;
    uint64_t rd_operations = 0, wr_operations = 0, flush_operations = 0;
    uint64_t rd_total_time_ns = 0, wr_total_time_ns = 0, flush_total_time_ns = 0;
    uint64_t failed_rd_operations = 0, failed_wr_operations = 0, failed_flush_operations = 0;
    uint64_t wr_highest_offset = 0;
    int64_t idle_time_ns = -1;  // since the last request ended; -1 before any
};

class Drive {
public:
    // Throws mimic::Error ("Could not open 'x': ...").
    static std::unique_ptr<Drive> open(const OpenOptions& options, CompletionQueue* completions);
    ~Drive();

    uint64_t size() const { return root_->size(); }
    bool read_only() const { return read_only_; }
    const CacheFlags& cache() const { return cache_; }
    IoStats stats() const;
    BlockNode* root() const { return root_.get(); }

    int read(uint64_t offset, void* buf, size_t bytes);
    int write(uint64_t offset, const void* buf, size_t bytes);
    int flush();
    // Synchronous discard and write-zeroes (-EACCES on a read-only drive).
    int discard(uint64_t offset, uint64_t bytes);
    int write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap);

    using Callback = CompletionQueue::Callback;
    void aio_read(uint64_t offset, void* buf, size_t bytes, Callback done);
    void aio_write(uint64_t offset, const void* buf, size_t bytes, Callback done);
    void aio_flush(Callback done);
    void aio_discard(uint64_t offset, uint64_t bytes, Callback done);
    void aio_write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap, Callback done);

    // Waits until every submitted request has been posted to the queue.
    void drain();

private:
    Drive() = default;
    void submit(std::function<int()> work, Callback done);
    // Counts one request that started at `start_ns` (monotonic clock).
    void account(int kind, uint64_t bytes, uint64_t end_offset, int ret, uint64_t start_ns);

    std::unique_ptr<BlockNode> root_;
    std::unique_ptr<ThreadPool> pool_;
    CompletionQueue* completions_ = nullptr;
    bool read_only_ = false;
    bool writethrough_ = false;
    CacheFlags cache_;
    // Requests run on pool threads as well as the caller's.
    mutable std::mutex stats_mutex_;
    IoStats stats_;
    int64_t last_access_ns_ = -1;
    std::string temp_overlay_;   // snapshot=on: deleted on close
};

}  // namespace mimic::block
