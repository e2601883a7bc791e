// A node of the block graph: a format driver (raw, qcow2) over a protocol
// driver (file), optionally with a backing node. Tools call these methods
// directly; devices go through Drive (drive.h), which runs them on a thread
// pool and reports completions on an eventfd.
//
// Data-path methods return 0 or a negative errno, as disk errors are not
// user errors and the device model decides how to report them. Methods on
// the control path (snapshot, resize, check) throw mimic::Error.
#pragma once

#include "mimic/block/options.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mimic::block {

// No request reaches past this byte (QEMU's BDRV_MAX_LENGTH, 2^63 rounded
// down to 1 GiB): one that would fails with -EIO rather than read zeros
// past the end of a file.
constexpr uint64_t kMaxRequestEnd = 0x7fffffffc0000000ull;

inline bool request_in_range(uint64_t offset, uint64_t bytes) {
    return offset <= kMaxRequestEnd && bytes <= kMaxRequestEnd - offset;
}

// What backs a range of the virtual disk (qemu-img map's columns).
struct BlockStatus {
    bool data = false;        // reads come from this node or one below
    bool zero = false;        // reads return zeros
    bool allocated = false;   // this node decides the contents (not backing)
    bool offset_valid = false;
    uint64_t bytes = 0;       // length of the range with this status
    uint64_t host_offset = 0; // where the data lies in the protocol node
    int depth = 0;            // 0 = this node, 1 = its backing, ...
    bool compressed = false;
    // -errno when the metadata could not be read or is corrupt: the range
    // is reported as data so that copies read it (and fail) rather than skip it.
    int error = 0;
};

struct SnapshotInfo {
    std::string id;
    std::string name;
    uint64_t vm_state_size = 0;
    uint32_t date_sec = 0;
    uint32_t date_nsec = 0;
    uint64_t vm_clock_nsec = 0;
    uint64_t icount = 0;
    bool has_icount = false;
};

// A persistent dirty bitmap as "qemu-img info" lists it.
struct BitmapInfo {
    std::string name;
    uint64_t granularity = 0;
    std::vector<std::string> flags;   // "in-use", "auto"
};

// Format-specific lines of "qemu-img info"; `key` is the JSON name,
// the human form is derived from it.
struct InfoField {
    std::string key;
    enum Kind { kString, kBool, kInt, kBitmaps } kind;
    std::string text;
    bool flag = false;
    int64_t number = 0;
    std::vector<BitmapInfo> bitmaps;
};

enum class CheckFix { kNone, kLeaks, kAll };

struct CheckResult {
    int corruptions = 0;
    int leaks = 0;
    int check_errors = 0;
    int corruptions_fixed = 0;
    int leaks_fixed = 0;
    uint64_t image_end_offset = 0;
    uint64_t total_clusters = 0;
    uint64_t allocated_clusters = 0;
    uint64_t fragmented_clusters = 0;
    uint64_t compressed_clusters = 0;
    bool has_stats = false;
    std::vector<std::string> messages;   // printed before the summary
};

class BlockNode {
public:
    virtual ~BlockNode() = default;
    BlockNode(const BlockNode&) = delete;
    BlockNode& operator=(const BlockNode&) = delete;

    virtual const char* format_name() const = 0;
    // Guest-visible size in bytes.
    virtual uint64_t size() const = 0;

    virtual int pread(uint64_t offset, void* buf, size_t bytes) = 0;
    virtual int pwrite(uint64_t offset, const void* buf, size_t bytes) = 0;
    // `may_unmap` lets the driver deallocate instead of writing zeros.
    virtual int pwrite_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap);
    virtual int discard(uint64_t offset, uint64_t bytes);
    virtual int flush();
    // Compressed writes of whole clusters (convert -c); -ENOTSUP if the
    // format has no compression.
    virtual int pwrite_compressed(uint64_t offset, const void* buf, size_t bytes);
    virtual BlockStatus block_status(uint64_t offset, uint64_t bytes);
    // Drops every allocation so the backing file shows through again
    // (commit). -ENOTSUP for formats without backing files.
    virtual int make_empty();

    // Throws mimic::Error.
    virtual void truncate(uint64_t new_size, Prealloc prealloc, bool allow_shrink);

    // Space the image takes on the host ("disk size"), -1 if unknown.
    virtual int64_t allocated_file_size() const;
    virtual uint32_t cluster_size() const { return 0; }
    virtual std::vector<InfoField> format_info() const { return {}; }
    virtual bool dirty_flag() const { return false; }
    virtual bool encrypted() const { return false; }

    // Internal snapshots; the default refuses as raw does.
    virtual bool supports_snapshots() const { return false; }
    virtual std::vector<SnapshotInfo> snapshots() const { return {}; }
    virtual void snapshot_create(const std::string& name);
    virtual void snapshot_apply(const std::string& name_or_id);
    virtual void snapshot_delete(const std::string& name_or_id);
    // Shows an internal snapshot instead of the current state; only on a
    // node opened read-only (convert -l, measure -l).
    virtual void load_snapshot(const std::string& name_or_id);

    virtual CheckResult check(CheckFix fix);

    // Rewrites the backing file name in the image header (rebase, commit).
    virtual void set_backing_file(const std::string& name, const std::string& format);
    // Changes creation options in place (amend); throws on unsupported ones.
    virtual void amend(const std::vector<std::pair<std::string, std::string>>& options);

    // Backing file as named in the header, and as resolved for opening.
    const std::string& backing_name() const { return backing_name_; }
    const std::string& backing_format() const { return backing_format_; }
    const std::string& filename() const { return filename_; }
    bool read_only() const { return read_only_; }

    BlockNode* file() const { return file_.get(); }
    BlockNode* backing() const { return backing_.get(); }
    void set_backing(std::unique_ptr<BlockNode> node) { backing_ = std::move(node); }
    std::unique_ptr<BlockNode> take_backing() { return std::move(backing_); }
    std::string backing_full_name() const;

protected:
    BlockNode() = default;

    std::string filename_;
    bool read_only_ = false;
    std::unique_ptr<BlockNode> file_;
    std::unique_ptr<BlockNode> backing_;
    std::string backing_name_;
    std::string backing_format_;
};

}  // namespace mimic::block
