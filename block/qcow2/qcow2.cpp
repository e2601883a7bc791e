// Opening a qcow2 image, the read path and the request entry points.
#include "qcow2.h"

#include "../endian.h"

#include "mimic/util/error.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

namespace mimic::block::qcow2 {
namespace {

// Same for control-path operations, which report mimic::Error.
template <typename Body>
void control(Body&& body) {
    try {
        body();
    } catch (const IoError& e) {
        throw Error("{}", errno_string(-e.err));
    }
}

constexpr size_t kCacheBytes = 4 << 20;

}  // namespace

Qcow2Node::Qcow2Node(std::unique_ptr<BlockNode> file, bool allow_corrupt, bool for_check, bool no_io) {
    filename_ = file->filename();
    read_only_ = file->read_only();
    file_ = std::move(file);
    uint64_t file_size = file_->size();

    std::vector<uint8_t> first(4096);
    if (file_->pread(0, first.data(), first.size()) < 0) throw Error("Could not read qcow2 header");
    header_ = parse_header(first.data(), first.size(), file_size);
    if (header_.refcount_table_clusters == 0 && !for_check) throw Error("Image does not contain a reference count table");
    cluster_bits_ = header_.cluster_bits;
    cluster_size_ = 1u << cluster_bits_;
    std::vector<uint8_t> cluster(cluster_size_);
    if (file_->pread(0, cluster.data(), cluster.size()) < 0) throw Error("Could not read qcow2 header");

    extended_l2_ = header_.incompatible_features & kIncompatExtendedL2;
    if (extended_l2_ && cluster_bits_ < 14)
        throw Error("Extended L2 entries are only supported with cluster sizes of at least 16384 bytes");
    l2_entry_bytes_ = extended_l2_ ? 16 : 8;
    l2_entries_ = cluster_size_ / l2_entry_bytes_;
    subcluster_size_ = extended_l2_ ? cluster_size_ / kSubclusters : cluster_size_;
    refcount_bits_ = 1u << header_.refcount_order;
    refcount_max_ = refcount_bits_ == 64 ? ~0ull : (1ull << refcount_bits_) - 1;
    refblock_entries_ = uint64_t{cluster_size_} * 8 / refcount_bits_;
    compressed_offset_bits_ = 62 - (cluster_bits_ - 8);

    // Extensions end where the backing file name begins, if there is one.
    size_t ext_end = header_.backing_file_offset ? header_.backing_file_offset : cluster_size_;
    size_t ext_start = header_.version == 2 ? kV2HeaderLength : header_.header_length;
    if (ext_start < ext_end) {
        for (auto& ext : parse_extensions(cluster.data(), ext_end, ext_start)) {
            switch (ext.type) {
            case kExtBackingFormat:
                if (ext.data.size() > 1023) throw Error("ERROR: ext_backing_format: len={} too large", ext.data.size());
                backing_format_.assign(ext.data.begin(), ext.data.end());
                break;
            case kExtFeatureTable:
                break;   // regenerated on every header write
            case kExtCrypto:
                throw Error("Encrypted qcow2 images are not supported");
            case kExtDataFile:
                throw Error("Unsupported qcow2 feature(s): external data file");
            default:
                preserved_extensions_.push_back(std::move(ext));
            }
        }
    }
    // The data of an image without an external data file is in the image.
    if (!no_io && (header_.autoclear_features & kAutoclearDataFileRaw))
        throw Error("data-file-raw requires a data file");
    if (header_.backing_file_offset != 0 && header_.backing_file_size > 0) {
        backing_name_.assign(reinterpret_cast<const char*>(cluster.data() + header_.backing_file_offset),
                             header_.backing_file_size);
        backing_name_ = backing_name_.c_str();   // stop at an embedded NUL
    }

    // The L1 table must map the whole virtual disk.
    uint64_t l2_coverage = uint64_t{cluster_size_} * l2_entries_;
    if (header_.size > (1ull << 62)) throw Error("Image size too big");
    uint64_t l1_needed = (header_.size + l2_coverage - 1) / l2_coverage;
    if (header_.l1_size < l1_needed) throw Error("L1 table is too small");
    // Tables past the end read as zeros, which is harmless for readers; a
    // writer would scatter metadata far beyond the file, so refuse it.
    if (!read_only_) {
        auto beyond = [&](uint64_t offset, uint64_t length) {
            return length && (offset > file_size || length > file_size - offset);
        };
        if (beyond(header_.l1_table_offset, uint64_t{header_.l1_size} * 8))
            throw Error("Active L1 table is beyond the end of the image");
        if (beyond(header_.refcount_table_offset, uint64_t{header_.refcount_table_clusters} << cluster_bits_))
            throw Error("Reference count table is beyond the end of the image");
    }
    l1_.resize(header_.l1_size);
    if (header_.l1_size > 0) {
        std::vector<uint8_t> raw(uint64_t{header_.l1_size} * 8);
        if (int ret = file_->pread(header_.l1_table_offset, raw.data(), raw.size()); ret < 0)
            throw Error("Could not read L1 table: {}", errno_string(-ret));
        for (size_t i = 0; i < l1_.size(); ++i) l1_[i] = load_be64(&raw[i * 8]);
    }
    {
        uint64_t bytes = uint64_t{header_.refcount_table_clusters} << cluster_bits_;
        std::vector<uint8_t> raw(bytes);
        if (int ret = file_->pread(header_.refcount_table_offset, raw.data(), raw.size()); ret < 0)
            throw Error("Could not initialize refcount handling: {}", errno_string(-ret));
        reftable_.resize(bytes / 8);
        for (size_t i = 0; i < reftable_.size(); ++i) reftable_[i] = load_be64(&raw[i * 8]);
    }
    l2_cache_.configure(cluster_size_, std::max<size_t>(16, kCacheBytes / cluster_size_));
    refblock_cache_.configure(cluster_size_, std::max<size_t>(16, kCacheBytes / cluster_size_));
    refblock_cache_.set_writer([this](uint64_t off, const uint8_t* buf) { file_write(off, buf, cluster_size_); });
    end_cluster_ = (file_size + cluster_size_ - 1) >> cluster_bits_;
    load_snapshots();
    load_bitmap_directory();

    if (!read_only_ && (header_.incompatible_features & kIncompatCorrupt) && !allow_corrupt)
        throw Error("qcow2: Image is corrupt; cannot be opened read/write");
    if (!read_only_) {
        control([&] {
            bool rewrite = false;
            if ((header_.incompatible_features & kIncompatDirty) && !for_check) {
                // Lazy refcounts were in use when the writer stopped: the
                // refcounts are stale, rebuild them before allocating.
                check_locked(CheckFix::kAll);
                header_.incompatible_features &= ~kIncompatDirty;
                rewrite = true;
            }
            if (rewrite) write_header();
            open_bitmaps_for_writing();
            uint64_t known = bitmaps_extension() ? kAutoclearBitmaps : 0;
            if (header_.autoclear_features & ~known) {
                // Unknown autoclear features: clearing the bits tells other
                // readers their data is stale, as the spec requires.
                header_.autoclear_features &= known;
                write_header();
            }
        });
        lazy_refcounts_ = header_.version >= 3 && (header_.compatible_features & kCompatLazyRefcounts);
    }
}

Qcow2Node::~Qcow2Node() {
    auto lock = lock_exclusive();
    if (int ret = guarded([&] { close_locked(); }); ret < 0)
        std::fprintf(stderr, "qcow2: '%s': could not write metadata on close: %s\n", filename_.c_str(),
                     errno_string(-ret).c_str());
}

void Qcow2Node::close_locked() {
    if (read_only_) return;
    // A clean close leaves nothing stale: bitmaps stored, refcounts
    // written, dirty bit gone.
    store_bitmaps();
    if (lazy_refcounts_) mark_clean();
}

void Qcow2Node::file_read(uint64_t offset, void* buf, size_t bytes) {
    if (int ret = file_->pread(offset, buf, bytes); ret < 0) throw IoError{ret};
}

void Qcow2Node::file_write(uint64_t offset, const void* buf, size_t bytes) {
    if (int ret = file_->pwrite(offset, buf, bytes); ret < 0) throw IoError{ret};
}

void Qcow2Node::corruption(const std::string& what) {
    if (!corrupt_reported_) {
        corrupt_reported_ = true;
        if (read_only_) {
            std::fprintf(stderr, "qcow2: Image is corrupt: %s; further non-fatal corruption events will be suppressed\n",
                         what.c_str());
        } else {
            std::fprintf(stderr, "qcow2: Marking image as corrupt: %s; further corruption events will be suppressed\n",
                         what.c_str());
            if (header_.version >= 3) {
                header_.incompatible_features |= kIncompatCorrupt;
                try { write_header(); } catch (...) {}
            }
            // Stop writing to an image whose metadata we no longer trust.
            read_only_ = true;
        }
    }
    throw IoError{-EIO};
}

void Qcow2Node::write_header() {
    auto cluster = build_header_cluster(header_, preserved_extensions_, backing_name_, backing_format_);
    file_write(0, cluster.data(), cluster.size());
}

// QEMU's "overlap-check=cached": a data write (or a new allocation) must not
// land on metadata this node knows about. Inactive L2 tables would need
// every snapshot's tables read, which QEMU's default leaves out as well.
void Qcow2Node::check_overlap(uint64_t offset, uint64_t bytes) {
    if (bytes == 0) return;
    auto overlaps = [&](uint64_t start, uint64_t length) {
        return length > 0 && offset < start + length && start < offset + bytes;
    };
    auto refuse = [&](const char* what) {
        corruption(fmt::format("Preventing invalid write on metadata (overlaps with {})", what));
    };
    if (overlaps(0, cluster_size_)) refuse("qcow2_header");
    if (overlaps(header_.l1_table_offset, uint64_t{header_.l1_size} * 8)) refuse("active L1 table");
    for (uint64_t entry : l1_) {
        uint64_t l2 = entry & kOffsetMask;
        if (l2 && overlaps(l2, cluster_size_)) refuse("active L2 table");
    }
    if (overlaps(header_.refcount_table_offset, uint64_t{header_.refcount_table_clusters} << cluster_bits_))
        refuse("refcount table");
    for (uint64_t entry : reftable_) {
        uint64_t block = entry & ~kRefTableReservedMask;
        if (block && overlaps(block, cluster_size_)) refuse("refcount block");
    }
    if (header_.nb_snapshots && overlaps(header_.snapshots_offset, snapshot_table_bytes())) refuse("snapshot table");
    for (const auto& sn : snapshots_)
        if (overlaps(sn.l1_table_offset, uint64_t{sn.l1_size} * 8)) refuse("inactive L1 table");
    if (const Extension* ext = bitmaps_extension())
        if (overlaps(load_be64(&ext->data[16]), load_be64(&ext->data[8]))) refuse("bitmap directory");
}

uint64_t Qcow2Node::l2_entry(uint64_t l2_offset, unsigned index) {
    uint8_t* table = l2_cache_.get(l2_offset, [this](uint64_t off, uint8_t* buf) { file_read(off, buf, cluster_size_); });
    return load_be64(table + uint64_t{index} * l2_entry_bytes_);
}

uint64_t Qcow2Node::l2_bitmap(uint64_t l2_offset, unsigned index) {
    if (!extended_l2_) return 0;
    uint8_t* table = l2_cache_.get(l2_offset, [this](uint64_t off, uint8_t* buf) { file_read(off, buf, cluster_size_); });
    return load_be64(table + uint64_t{index} * l2_entry_bytes_ + 8);
}

Mapping Qcow2Node::lookup(uint64_t offset, uint64_t bytes) {
    uint64_t l2_coverage = uint64_t{cluster_size_} * l2_entries_;
    uint64_t l1_index = offset / l2_coverage;
    uint64_t in_l2 = offset % l2_coverage;
    bytes = std::min(bytes, l2_coverage - in_l2);
    if (l1_index >= l1_.size() || (l1_[l1_index] & kOffsetMask) == 0)
        return {ClusterKind::kUnallocated, 0, bytes, false};
    uint64_t l2_offset = l1_[l1_index] & kOffsetMask;
    if (l2_offset & (cluster_size_ - 1))
        corruption(fmt::format("L2 table offset {:#x} unaligned (L1 index: {})", l2_offset, c_hex(l1_index)));

    unsigned index = static_cast<unsigned>(in_l2 >> cluster_bits_);
    uint64_t in_cluster = offset & (cluster_size_ - 1);
    unsigned per_cluster = extended_l2_ ? kSubclusters : 1;
    unsigned sc = static_cast<unsigned>(in_cluster / subcluster_size_);

    // The entry under `offset` is judged in full: its flags, its bitmap
    // and the alignment of the host cluster it names.
    uint64_t entry = l2_entry(l2_offset, index);
    uint64_t bitmap = l2_bitmap(l2_offset, index);
    SubclusterType type = subcluster_type(entry, bitmap, sc, extended_l2_);
    if (header_.version < 3 && (type == SubclusterType::kZeroPlain || type == SubclusterType::kZeroAlloc))
        corruption(fmt::format("Zero cluster entry found in pre-v3 image (L2 offset: {:#x}, L2 index: {})",
                               l2_offset, c_hex(index)));
    auto invalid = [&](unsigned idx) {
        // Worded (two blanks included) as qemu-img words it.
        corruption(fmt::format("Invalid cluster entry found  (L2 offset: {:#x}, L2 index: {})", l2_offset, c_hex(idx)));
    };
    if (type == SubclusterType::kInvalid) invalid(index);
    uint64_t host = entry & kOffsetMask;
    if (has_host_cluster(type) && (host & (cluster_size_ - 1)))
        corruption(fmt::format("Cluster allocation offset {:#x} unaligned (L2 offset: {:#x}, L2 index: {})",
                               host, l2_offset, c_hex(index)));
    if (type == SubclusterType::kCompressed)
        return {ClusterKind::kCompressed, entry, std::min(bytes, cluster_size_ - in_cluster), false};

    ClusterKind kind = ClusterKind::kUnallocated;   // reads from the backing file
    if (type == SubclusterType::kNormal) kind = ClusterKind::kNormal;
    if (type == SubclusterType::kZeroPlain || type == SubclusterType::kZeroAlloc) kind = ClusterKind::kZero;
    bool copied = entry & kOflagCopied;
    // Subclusters of the same type that follow in this entry.
    auto same_from = [&](uint64_t e, uint64_t b, unsigned first) {
        unsigned s = first;
        while (s < per_cluster && subcluster_type(e, b, s, extended_l2_) == type) ++s;
        return s;
    };
    unsigned s = same_from(entry, bitmap, sc + 1);
    uint64_t run = uint64_t{s} * subcluster_size_ - in_cluster;
    // Following entries continue the run while they have the same type
    // and, if they name a host cluster, the next one. A misaligned or
    // pre-v3 zero entry there only ends the run (the request that starts
    // at it fails, so the failure is reported where it lies); an invalid
    // bitmap fails this request already, as in QEMU.
    for (unsigned idx = index + 1; run < bytes && s == per_cluster; ++idx) {
        uint64_t e = l2_entry(l2_offset, idx);
        uint64_t b = l2_bitmap(l2_offset, idx);
        if (has_host_cluster(type) && (e & kOffsetMask) != host + (uint64_t{idx - index} << cluster_bits_)) break;
        SubclusterType t = subcluster_type(e, b, 0, extended_l2_);
        if (t == SubclusterType::kInvalid) invalid(idx);
        if (t != type || bool(e & kOflagCopied) != copied) break;
        s = same_from(e, b, 1);
        run += uint64_t{s} * subcluster_size_;
    }
    // Unallocated kinds report no offset; a preallocated zero cluster
    // reports its own, which qemu-img map shows.
    uint64_t host_offset = kind == ClusterKind::kUnallocated ? 0 : host ? host + in_cluster : 0;
    return {kind, host_offset, std::min(run, bytes), kind == ClusterKind::kNormal && copied};
}

void Qcow2Node::read_locked(uint64_t offset, uint8_t* buf, size_t bytes) {
    while (bytes > 0) {
        Mapping m = lookup(offset, bytes);
        size_t n = m.bytes;
        switch (m.kind) {
        case ClusterKind::kUnallocated: {
            uint64_t from_backing = 0;
            if (backing_) {
                uint64_t backing_size = backing_->size();
                if (offset < backing_size) from_backing = std::min<uint64_t>(n, backing_size - offset);
                if (from_backing) {
                    if (int ret = backing_->pread(offset, buf, from_backing); ret < 0) throw IoError{ret};
                }
            }
            std::memset(buf + from_backing, 0, n - from_backing);
            break;
        }
        case ClusterKind::kZero:
            std::memset(buf, 0, n);
            break;
        case ClusterKind::kNormal:
            file_read(m.host_offset, buf, n);
            break;
        case ClusterKind::kCompressed:
            if (decompressed_.size() != cluster_size_ || decompressed_entry_ != m.host_offset) {
                decompressed_.resize(cluster_size_);
                decompressed_entry_ = 0;
                read_compressed(m.host_offset, decompressed_.data());
                decompressed_entry_ = m.host_offset;
            }
            std::memcpy(buf, decompressed_.data() + (offset & (cluster_size_ - 1)), n);
            break;
        }
        offset += n;
        buf += n;
        bytes -= n;
    }
}

std::unique_lock<std::mutex> Qcow2Node::lock_exclusive() {
    std::unique_lock lock(mutex_);
    data_io_idle_.wait(lock, [this] { return data_io_in_flight_ == 0; });
    return lock;
}

int Qcow2Node::unlocked_data_io(std::unique_lock<std::mutex>& lock, bool write, uint64_t host, void* buf,
                                size_t bytes) {
    ++data_io_in_flight_;
    lock.unlock();
    int ret = write ? file_->pwrite(host, buf, bytes) : file_->pread(host, buf, bytes);
    lock.lock();
    if (--data_io_in_flight_ == 0) data_io_idle_.notify_all();
    return ret;
}

// Guest data moves without the node lock, as in QEMU: the lock covers the
// metadata lookup only, so requests to allocated clusters overlap (with
// cache=none each one is a real disk access). Operations that free
// clusters take lock_exclusive() and wait for such transfers first.
int Qcow2Node::pread(uint64_t offset, void* buf, size_t bytes) {
    std::unique_lock lock(mutex_);
    auto* p = static_cast<uint8_t*>(buf);
    return guarded([&] {
        while (bytes > 0) {
            Mapping m = lookup(offset, bytes);
            size_t n = m.bytes;
            if (m.kind == ClusterKind::kNormal) {
                if (int ret = unlocked_data_io(lock, false, m.host_offset, p, n); ret < 0) throw IoError{ret};
            } else {
                read_locked(offset, p, n);
            }
            offset += n;
            p += n;
            bytes -= n;
        }
    });
}

int Qcow2Node::pwrite(uint64_t offset, const void* buf, size_t bytes) {
    std::unique_lock lock(mutex_);
    if (read_only_) return -EACCES;
    mark_bitmaps_dirty(offset, bytes);
    auto* p = static_cast<uint8_t*>(const_cast<void*>(buf));
    return guarded([&] {
        // Clusters this image owns are overwritten in place without the
        // lock; everything else (allocation, COW, subclusters) under it.
        Mapping m{};
        if (!extended_l2_ && bytes > 0 && (m = lookup(offset, bytes)).kind == ClusterKind::kNormal && m.copied &&
            m.bytes == bytes && ((m.host_offset + bytes - 1) >> cluster_bits_) < end_cluster_) {
            check_overlap(m.host_offset, bytes);
            if (int ret = unlocked_data_io(lock, true, m.host_offset, p, bytes); ret < 0) throw IoError{ret};
            return;
        }
        write_locked(offset, p, bytes);
    });
}

int Qcow2Node::pwrite_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) {
    auto lock = lock_exclusive();
    if (read_only_) return -EACCES;
    mark_bitmaps_dirty(offset, bytes);
    return guarded([&] { zero_or_discard(offset, bytes, false, may_unmap); });
}

int Qcow2Node::discard(uint64_t offset, uint64_t bytes) {
    auto lock = lock_exclusive();
    if (read_only_) return -EACCES;
    mark_bitmaps_dirty(offset, bytes);
    return guarded([&] { zero_or_discard(offset, bytes, true, true); });
}

int Qcow2Node::make_empty() {
    auto lock = lock_exclusive();
    if (read_only_) return -EACCES;
    mark_bitmaps_dirty(0, header_.size);
    return guarded([&] { zero_or_discard(0, header_.size, true, true, true); });
}

int Qcow2Node::flush() {
    std::lock_guard lock(mutex_);
    if (read_only_) return 0;
    // The dirty bit stays until close, as in QEMU: the next allocation
    // would only set it again.
    if (int ret = guarded([&] { write_back_refcounts(); }); ret < 0) return ret;
    return file_->flush();
}

BlockStatus Qcow2Node::block_status(uint64_t offset, uint64_t bytes) {
    std::unique_lock lock(mutex_);
    BlockStatus status;
    Mapping m{};
    if (int ret = guarded([&] { m = lookup(offset, bytes); }); ret < 0) {
        status.bytes = std::min<uint64_t>(bytes, cluster_size_ - (offset & (cluster_size_ - 1)));
        status.data = status.allocated = true;
        status.error = ret;
        return status;
    }
    status.bytes = m.bytes;
    switch (m.kind) {
    case ClusterKind::kNormal:
        status.data = status.allocated = status.offset_valid = true;
        status.host_offset = m.host_offset;
        break;
    case ClusterKind::kCompressed:
        status.data = status.allocated = status.compressed = true;
        break;
    case ClusterKind::kZero:
        status.zero = status.allocated = true;
        // A preallocated zero cluster shows where it lies, as in qemu-img map.
        status.offset_valid = m.host_offset != 0;
        status.host_offset = m.host_offset;
        break;
    case ClusterKind::kUnallocated:
        if (backing_ && offset < backing_->size()) {
            lock.unlock();
            uint64_t n = std::min<uint64_t>(m.bytes, backing_->size() - offset);
            BlockStatus below = backing_->block_status(offset, n);
            below.depth += 1;
            below.allocated = false;
            return below;
        }
        status.zero = true;
        break;
    }
    return status;
}

std::vector<InfoField> Qcow2Node::format_info() const {
    std::vector<InfoField> fields;
    auto text = [&](const char* key, std::string value) {
        fields.push_back({key, InfoField::kString, std::move(value), false, 0, {}});
    };
    auto flag = [&](const char* key, bool value) { fields.push_back({key, InfoField::kBool, "", value, 0, {}}); };
    text("compat", header_.version >= 3 ? "1.1" : "0.10");
    text("compression-type", header_.compression_type == kCompressionZstd ? "zstd" : "zlib");
    if (header_.version >= 3) flag("lazy-refcounts", header_.compatible_features & kCompatLazyRefcounts);
    if (auto bitmaps = bitmap_info(); !bitmaps.empty())
        fields.push_back({"bitmaps", InfoField::kBitmaps, "", false, 0, std::move(bitmaps)});
    fields.push_back({"refcount-bits", InfoField::kInt, "", false, refcount_bits_, {}});
    if (header_.version >= 3) {
        flag("corrupt", header_.incompatible_features & kIncompatCorrupt);
        flag("extended-l2", extended_l2_);
    }
    return fields;
}

void Qcow2Node::set_backing_file(const std::string& name, const std::string& format) {
    std::lock_guard lock(mutex_);
    if (read_only_) throw Error("Image is read-only");
    std::string old_name = backing_name_, old_format = backing_format_;
    backing_name_ = name;
    backing_format_ = name.empty() ? "" : format;
    try {
        control([&] { write_header(); });
    } catch (...) {
        backing_name_ = old_name;
        backing_format_ = old_format;
        throw;
    }
}

}  // namespace mimic::block::qcow2
