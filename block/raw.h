// The raw format: guest bytes are host bytes.
#pragma once

#include "mimic/block/node.h"

#include <memory>

namespace mimic::block {

class RawNode final : public BlockNode {
public:
    // `probed`: the user named no format, so writes must not change what
    // a probe of sector 0 would say (QEMU's defence against a guest turning
    // its disk into a qcow2 that points at host files).
    RawNode(std::unique_ptr<BlockNode> file, bool probed);

    const char* format_name() const override { return "raw"; }
    uint64_t size() const override { return file_->size(); }
    int pread(uint64_t offset, void* buf, size_t bytes) override;
    int pwrite(uint64_t offset, const void* buf, size_t bytes) override;
    int pwrite_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) override;
    int discard(uint64_t offset, uint64_t bytes) override;
    BlockStatus block_status(uint64_t offset, uint64_t bytes) override;
    void truncate(uint64_t new_size, Prealloc prealloc, bool allow_shrink) override;

private:
    bool probed_;
};

}  // namespace mimic::block
