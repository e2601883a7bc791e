#include "raw.h"

#include "probe.h"

#include "mimic/util/error.h"

#include <cerrno>
#include <cstring>

namespace mimic::block {

namespace {
constexpr uint64_t kSector = 512;
}

RawNode::RawNode(std::unique_ptr<BlockNode> file, bool probed) : probed_(probed) {
    filename_ = file->filename();
    read_only_ = file->read_only();
    file_ = std::move(file);
}

int RawNode::pread(uint64_t offset, void* buf, size_t bytes) {
    return file_->pread(offset, buf, bytes);
}

int RawNode::pwrite(uint64_t offset, const void* buf, size_t bytes) {
    if (probed_ && offset < kSector && bytes > 0) {
        // Judge the sector as it would be after the write.
        uint8_t sector[kSector];
        if (int ret = file_->pread(0, sector, kSector); ret < 0) return ret;
        size_t n = std::min<uint64_t>(bytes, kSector - offset);
        std::memcpy(sector + offset, buf, n);
        if (probe_buffer(sector, kSector) != "raw") return -EPERM;
    }
    return file_->pwrite(offset, buf, bytes);
}

int RawNode::pwrite_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) {
    return file_->pwrite_zeroes(offset, bytes, may_unmap);
}

int RawNode::discard(uint64_t offset, uint64_t bytes) { return file_->discard(offset, bytes); }

BlockStatus RawNode::block_status(uint64_t offset, uint64_t bytes) {
    BlockStatus status = file_->block_status(offset, bytes);
    status.allocated = true;
    return status;
}

void RawNode::truncate(uint64_t new_size, Prealloc prealloc, bool allow_shrink) {
    if (new_size < size() && !allow_shrink)
        throw Error("Use the --shrink option to perform a shrink operation.");
    file_->truncate(new_size, prealloc, allow_shrink);
}

}  // namespace mimic::block
