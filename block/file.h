// The "file" protocol: a host regular file or block device.
#pragma once

#include "mimic/block/node.h"
#include "mimic/block/options.h"

#include <memory>
#include <string>

namespace mimic::block {

class NativeAioQueue;

class FileNode final : public BlockNode {
public:
    // Throws mimic::Error with the errno text ("No such file or directory").
    static std::unique_ptr<FileNode> open(const std::string& filename, bool read_only,
                                          const CacheFlags& cache, bool force_share,
                                          AioMode aio = AioMode::kThreads);
    // Creates (or truncates) `filename` to `size` with the preallocation mode.
    static void create(const std::string& filename, uint64_t size, Prealloc prealloc);
    ~FileNode() override;

    const char* format_name() const override { return "file"; }
    uint64_t size() const override;
    int pread(uint64_t offset, void* buf, size_t bytes) override;
    int pwrite(uint64_t offset, const void* buf, size_t bytes) override;
    int pwrite_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) override;
    int discard(uint64_t offset, uint64_t bytes) override;
    int flush() override;
    BlockStatus block_status(uint64_t offset, uint64_t bytes) override;
    void truncate(uint64_t new_size, Prealloc prealloc, bool allow_shrink) override;
    int64_t allocated_file_size() const override;

    bool is_block_device() const { return block_device_; }
    int fd() const { return fd_; }

private:
    FileNode() = default;
    int aligned_io(bool write, uint64_t offset, void* buf, size_t bytes);
    int raw_io(bool write, uint64_t offset, void* buf, size_t bytes);

    int fd_ = -1;
    bool direct_ = false;
    bool no_flush_ = false;
    bool block_device_ = false;
    size_t align_ = 1;   // O_DIRECT alignment for offsets, lengths and buffers
    AioMode aio_ = AioMode::kThreads;
    std::unique_ptr<NativeAioQueue> native_queue_;   // aio=native: one queue per file
};

// OFD byte-range locks compatible with QEMU's raw-posix scheme (file_lock.cpp).
// Throws mimic::Error with QEMU's two-line message on conflict.
void lock_image_file(int fd, const std::string& filename, bool write, bool force_share);

}  // namespace mimic::block
