// Defaults for drivers that lack a feature: they answer the way QEMU's
// generic block layer does when a driver has no callback for it.
#include "mimic/block/node.h"

#include "mimic/util/error.h"

#include <cerrno>
#include <vector>

namespace mimic::block {

int BlockNode::pwrite_zeroes(uint64_t offset, uint64_t bytes, bool) {
    // Emulate with bounded zero buffers so huge requests stay cheap in memory.
    std::vector<uint8_t> zeros(std::min<uint64_t>(bytes, 1 << 20));
    while (bytes > 0) {
        size_t chunk = std::min<uint64_t>(bytes, zeros.size());
        if (int ret = pwrite(offset, zeros.data(), chunk); ret < 0) return ret;
        offset += chunk;
        bytes -= chunk;
    }
    return 0;
}

int BlockNode::discard(uint64_t, uint64_t) { return 0; }

int BlockNode::flush() { return file_ ? file_->flush() : 0; }

int BlockNode::make_empty() { return -ENOTSUP; }

int BlockNode::pwrite_compressed(uint64_t, const void*, size_t) { return -ENOTSUP; }

BlockStatus BlockNode::block_status(uint64_t, uint64_t bytes) {
    BlockStatus status;
    status.data = status.allocated = true;
    status.bytes = bytes;
    return status;
}

void BlockNode::truncate(uint64_t, Prealloc, bool) {
    throw Error("Image format driver does not support resize");
}

int64_t BlockNode::allocated_file_size() const {
    return file_ ? file_->allocated_file_size() : -1;
}

void BlockNode::snapshot_create(const std::string&) {
    throw Error("Operation not supported");
}
void BlockNode::snapshot_apply(const std::string&) {
    throw Error("Operation not supported");
}
void BlockNode::snapshot_delete(const std::string&) {
    throw Error("Operation not supported");
}

void BlockNode::load_snapshot(const std::string&) {
    throw Error("Failed to load snapshot: Operation not supported");
}

CheckResult BlockNode::check(CheckFix) {
    throw Error("This image format does not support checks");
}

void BlockNode::set_backing_file(const std::string&, const std::string&) {
    throw Error("Operation not supported");
}

void BlockNode::amend(const std::vector<std::pair<std::string, std::string>>&) {
    throw Error("Format driver '{}' does not support option amendment", format_name());
}

std::string BlockNode::backing_full_name() const {
    if (backing_name_.empty() || backing_name_[0] == '/') return backing_name_;
    auto slash = filename_.rfind('/');
    if (slash == std::string::npos) return backing_name_;
    return filename_.substr(0, slash + 1) + backing_name_;
}

}  // namespace mimic::block
