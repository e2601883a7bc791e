// The qcow2 format driver.
//
// Metadata is written through: a data cluster's refcount reaches the disk
// before the L2 entry that points to it, and the L2 entry only after the
// data. A process killed at any point therefore leaves at most leaked
// clusters, never an entry pointing at a free cluster. The L2 cache is
// always clean. With lazy_refcounts=on, refcount blocks are written only on
// flush and close, and the dirty bit is set on disk meanwhile; an image
// opened dirty has its refcounts rebuilt (as QEMU does).
//
// One mutex serialises the metadata work of every request on a node; guest
// data of allocated clusters moves without it (see pread/pwrite). Requests
// come from the thread pool of a Drive or from the tools' threads.
#pragma once

#include "format.h"
#include "table_cache.h"

#include "mimic/block/node.h"
#include "mimic/util/error.h"

#include <fmt/format.h>

#include <cerrno>
#include <condition_variable>
#include <new>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mimic::block::qcow2 {

// Internal failure carrying a negative-errno-style code; converted at the
// public boundary into a return value or a mimic::Error.
struct IoError {
    int err;
};

// printf's "%#x", which qemu-img's messages use: zero has no "0x" prefix.
inline std::string c_hex(uint64_t value) { return value ? fmt::format("{:#x}", value) : "0"; }

// Runs `body` and turns internal failures into negative errno values, the
// currency of the data path.
template <typename Body>
int guarded(Body&& body) {
    try {
        body();
        return 0;
    } catch (const IoError& e) {
        return e.err;
    } catch (const std::bad_alloc&) {
        return -ENOMEM;
    } catch (const mimic::Error&) {
        return -EIO;
    }
}

struct Snapshot {
    uint64_t l1_table_offset = 0;
    uint32_t l1_size = 0;
    std::string id;
    std::string name;
    uint32_t date_sec = 0;
    uint32_t date_nsec = 0;
    uint64_t vm_clock_nsec = 0;
    uint64_t vm_state_size = 0;
    uint64_t disk_size = 0;
    uint64_t icount = ~0ull;
    std::vector<uint8_t> extra_unknown;   // extra data past what we know
    uint32_t extra_size = 24;             // extra data as the table had it
};

// How one guest cluster (or subcluster) is stored.
enum class ClusterKind { kUnallocated, kZero, kNormal, kCompressed };

struct Mapping {
    ClusterKind kind = ClusterKind::kUnallocated;
    // kNormal and preallocated kZero: of this guest offset (else 0);
    // kCompressed: the L2 entry.
    uint64_t host_offset = 0;
    uint64_t bytes = 0;     // contiguous guest bytes with this kind
    bool copied = false;    // writable in place
};

struct PersistentBitmap {
    std::string name;
    uint64_t entry_offset = 0;   // of its directory entry in the file
    uint64_t table_offset = 0;
    uint32_t table_size = 0;
    uint32_t flags = 0;
    uint32_t granularity_bits = 16;
    bool tracked = false;        // loaded and marked in-use by this node
    bool changed = false;        // bits differ from the disk
    std::vector<uint64_t> table;
    std::vector<uint8_t> bits;   // bit i (LSB first) = granule i dirty
};

struct CreateParams {
    uint64_t size = 0;
    uint32_t version = 3;
    uint32_t cluster_bits = 16;
    uint32_t refcount_order = 4;
    bool lazy_refcounts = false;
    bool extended_l2 = false;
    uint8_t compression_type = kCompressionZlib;
    Prealloc prealloc = Prealloc::kOff;
    std::string backing_file;
    std::string backing_format;
};

class Qcow2Node final : public BlockNode {
public:
    // Throws mimic::Error for unusable images.
    // `for_check`: a dirty image is left for check() to repair (and
    // report), as qemu-img check does, instead of repaired on open; an
    // empty refcount table is left for it to report.
    // `no_io`: the image is only described (info): what its data would be
    // read from is not judged.
    Qcow2Node(std::unique_ptr<BlockNode> file, bool allow_corrupt, bool for_check = false, bool no_io = false);
    ~Qcow2Node() override;

    static void create(BlockNode& file, const CreateParams& params);

    const char* format_name() const override { return "qcow2"; }
    uint64_t size() const override { return header_.size; }
    int pread(uint64_t offset, void* buf, size_t bytes) override;
    int pwrite(uint64_t offset, const void* buf, size_t bytes) override;
    int pwrite_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) override;
    int discard(uint64_t offset, uint64_t bytes) override;
    int pwrite_compressed(uint64_t offset, const void* buf, size_t bytes) override;
    int flush() override;
    int make_empty() override;
    BlockStatus block_status(uint64_t offset, uint64_t bytes) override;
    void truncate(uint64_t new_size, Prealloc prealloc, bool allow_shrink) override;

    uint32_t cluster_size() const override { return cluster_size_; }
    std::vector<InfoField> format_info() const override;
    bool dirty_flag() const override { return header_.incompatible_features & kIncompatDirty; }

    bool supports_snapshots() const override { return true; }
    std::vector<SnapshotInfo> snapshots() const override;
    void snapshot_create(const std::string& name) override;
    void snapshot_apply(const std::string& name_or_id) override;
    void snapshot_delete(const std::string& name_or_id) override;
    void load_snapshot(const std::string& name_or_id) override;

    CheckResult check(CheckFix fix) override;
    void set_backing_file(const std::string& name, const std::string& format) override;
    void amend(const std::vector<std::pair<std::string, std::string>>& options) override;

    const Header& header() const { return header_; }

private:
    // ---- file access (qcow2.cpp)
    void file_read(uint64_t offset, void* buf, size_t bytes);
    void file_write(uint64_t offset, const void* buf, size_t bytes);
    [[noreturn]] void corruption(const std::string& what);
    void write_header();
    void load_snapshots();
    // Marks the image corrupt if [offset, offset+bytes) holds metadata.
    void check_overlap(uint64_t offset, uint64_t bytes);
    uint64_t snapshot_table_bytes() const;

    // ---- guest data paths (qcow2.cpp, cluster.cpp)
    Mapping lookup(uint64_t offset, uint64_t bytes);
    void read_locked(uint64_t offset, uint8_t* buf, size_t bytes);
    void write_locked(uint64_t offset, const uint8_t* buf, size_t bytes);
    void write_cluster_run(uint64_t offset, const uint8_t* buf, size_t bytes);
    void zero_or_discard(uint64_t offset, uint64_t bytes, bool discard, bool may_unmap, bool full = false);
    void read_compressed(uint64_t l2_entry, uint8_t* cluster_buf);
    // Index into the L2 table for `offset`, making the table writable
    // (allocated, and not shared with a snapshot). Returns its host offset.
    uint64_t writable_l2(uint64_t offset);
    uint64_t l2_entry(uint64_t l2_offset, unsigned index);
    uint64_t l2_bitmap(uint64_t l2_offset, unsigned index);
    void set_l2_entries(uint64_t l2_offset, unsigned first, const std::vector<uint64_t>& entries,
                        const std::vector<uint64_t>* bitmaps);
    void release_entry(uint64_t entry);   // drop one reference a L2 entry held
    void grow_l1(uint32_t min_size);

    // ---- refcounts (refcount.cpp)
    uint64_t refcount(uint64_t cluster_index);
    void update_refcounts(uint64_t offset, uint64_t length, int64_t delta);
    void set_refcount(uint64_t cluster_index, uint64_t value);
    uint64_t alloc_clusters(uint64_t count);
    uint64_t alloc_bytes(uint64_t size);
    void free_clusters(uint64_t offset, uint64_t length) { update_refcounts(offset, length, -1); }
    uint64_t refblock_for(uint64_t cluster_index, bool create);
    void grow_refcount_table(uint64_t min_entries);
    // Writes refcount bytes [byte_first, byte_end) of a cached block, or
    // with lazy refcounts leaves the block dirty in the cache.
    void store_refcounts(uint64_t block_offset, const uint8_t* block, uint64_t byte_first, uint64_t byte_end);
    void mark_dirty();             // sets the dirty bit on disk (lazy refcounts)
    void write_back_refcounts();   // writes cached refcount blocks
    void mark_clean();             // writes them and clears the dirty bit
    void close_locked();
    uint64_t get_refcount_entry(const uint8_t* block, uint64_t index) const;
    void set_refcount_entry(uint8_t* block, uint64_t index, uint64_t value) const;

    // ---- snapshots (snapshot.cpp)
    void write_snapshot_table(std::vector<Snapshot> table);
    int find_snapshot(const std::string& name_or_id) const;
    // Adds `delta` to every cluster reachable from an L1 table.
    void update_tree_refcounts(const std::vector<uint64_t>& l1, int64_t delta);
    void fix_copied_flags();
    std::vector<uint64_t> read_l1(uint64_t offset, uint32_t size);
    void validate_snapshot_l1(const Snapshot& sn) const;   // throws mimic::Error

    // ---- persistent bitmaps (bitmaps.cpp)
    const Extension* bitmaps_extension() const;   // null unless valid per autoclear
    uint64_t bitmap_table_entries(uint32_t granularity_bits) const;
    void load_bitmap_directory();
    void open_bitmaps_for_writing();   // loads the bits, marks them in-use
    void mark_bitmaps_dirty(uint64_t offset, uint64_t bytes);
    void store_bitmaps();              // writes the bits, clears in-use
    std::vector<BitmapInfo> bitmap_info() const;
    // Clusters the bitmaps occupy on disk (directory, tables, data).
    std::vector<std::pair<uint64_t, uint64_t>> bitmap_ranges();

    // ---- check (check.cpp)
    CheckResult check_locked(CheckFix fix);

    // The node lock; plus the count of guest data transfers running
    // without it (pread, in-place pwrite). Whoever may free clusters waits
    // for that count to reach zero.
    std::unique_lock<std::mutex> lock_exclusive();
    int unlocked_data_io(std::unique_lock<std::mutex>& lock, bool write, uint64_t host, void* buf, size_t bytes);

    std::mutex mutex_;
    std::condition_variable data_io_idle_;
    unsigned data_io_in_flight_ = 0;
    Header header_;
    std::vector<Extension> preserved_extensions_;
    uint32_t cluster_bits_ = 16;
    uint32_t cluster_size_ = 65536;
    uint32_t l2_entries_ = 8192;        // entries per L2 table
    uint32_t l2_entry_bytes_ = 8;       // 16 with extended L2
    uint32_t subcluster_size_ = 65536;
    bool extended_l2_ = false;
    uint32_t refcount_bits_ = 16;
    uint64_t refcount_max_ = 0xffff;
    uint64_t refblock_entries_ = 32768;
    uint32_t compressed_offset_bits_ = 54;  // low bits of a compressed descriptor

    std::vector<uint64_t> l1_;
    std::vector<uint64_t> reftable_;
    std::vector<Snapshot> snapshots_;
    uint64_t snapshot_table_size_ = 0;   // bytes, as on disk
    std::vector<PersistentBitmap> bitmaps_;
    TableCache l2_cache_;
    TableCache refblock_cache_;

    uint64_t free_cluster_hint_ = 0;   // no free cluster below this index
    uint64_t end_cluster_ = 0;         // first cluster beyond all allocations
    uint64_t free_byte_offset_ = 0;    // tail of the last compressed cluster
    bool corrupt_reported_ = false;
    bool lazy_refcounts_ = false;      // refcount blocks are written on flush

    // Last decompressed cluster: sequential reads of compressed images hit it.
    uint64_t decompressed_entry_ = 0;
    std::vector<uint8_t> decompressed_;
};

}  // namespace mimic::block::qcow2
