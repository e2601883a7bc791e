// Growing and shrinking the virtual disk, and amending header options.
#include "qcow2.h"

#include "../endian.h"

#include "mimic/util/error.h"
#include "mimic/util/size.h"

#include <cerrno>

namespace mimic::block::qcow2 {

void Qcow2Node::truncate(uint64_t new_size, Prealloc prealloc, bool allow_shrink) {
    auto lock = lock_exclusive();
    if (read_only_) throw Error("Image is read-only");
    if (new_size % 512) throw Error("The new size must be a multiple of 512");
    uint64_t old_size = header_.size;
    uint64_t l2_coverage = uint64_t{cluster_size_} * l2_entries_;
    uint64_t cmask = cluster_size_ - 1;
    try {
        if (new_size < old_size) {
            if (!allow_shrink) throw Error("Use the --shrink option to perform a shrink operation.");
            if (!snapshots_.empty()) throw Error("Can't shrink an image with internal snapshots");
            if (prealloc != Prealloc::kOff) throw Error("Preallocation can't be used for shrinking an image");
            // Bytes past the new end inside the last cluster must read as
            // zeros should the image grow again.
            if (new_size & cmask) zero_or_discard(new_size, cluster_size_ - (new_size & cmask), false, false);
            uint64_t first_cluster = (new_size + cmask) >> cluster_bits_;
            for (uint64_t l1_index = first_cluster * cluster_size_ / l2_coverage; l1_index < l1_.size(); ++l1_index) {
                uint64_t l2_offset = l1_[l1_index] & kOffsetMask;
                if (!l2_offset) continue;
                uint64_t table_first = l1_index * l2_entries_;
                unsigned from = first_cluster > table_first ? static_cast<unsigned>(first_cluster - table_first) : 0;
                if (from == 0) {
                    std::vector<uint8_t> table(cluster_size_);
                    file_read(l2_offset, table.data(), cluster_size_);
                    l1_[l1_index] = 0;
                    uint8_t raw[8] = {};
                    file_write(header_.l1_table_offset + l1_index * 8, raw, 8);
                    for (uint32_t j = 0; j < l2_entries_; ++j)
                        release_entry(load_be64(&table[uint64_t{j} * l2_entry_bytes_]) & ~kOflagZero);
                    free_clusters(l2_offset, cluster_size_);
                } else {
                    l2_offset = writable_l2(l1_index * l2_coverage);
                    std::vector<uint64_t> old(l2_entries_ - from), zeros(l2_entries_ - from, 0);
                    for (uint32_t j = from; j < l2_entries_; ++j) old[j - from] = l2_entry(l2_offset, j);
                    set_l2_entries(l2_offset, from, zeros, &zeros);
                    for (uint64_t e : old) release_entry(e & ~kOflagZero);
                }
            }
        } else if (new_size > old_size) {
            uint64_t needed = (new_size + l2_coverage - 1) / l2_coverage;
            if (needed * 8 > kMaxL1Bytes) throw Error("The new size is too large for this image");
            if (needed > l1_.size()) grow_l1(static_cast<uint32_t>(needed));
            if (prealloc != Prealloc::kOff) {
                // Map every cluster of the new range to a host cluster.
                uint64_t file_end_before = file_->size();
                for (uint64_t pos = (old_size + cmask) & ~cmask; pos < new_size;) {
                    uint64_t n = std::min(new_size - pos, l2_coverage - pos % l2_coverage);
                    uint64_t count = (n + cmask) >> cluster_bits_;
                    uint64_t l2_offset = writable_l2(pos);
                    uint64_t host = alloc_clusters(count);
                    std::vector<uint64_t> entries(count), bitmaps(count, 0xffffffffull);
                    for (uint64_t i = 0; i < count; ++i) entries[i] = (host + (i << cluster_bits_)) | kOflagCopied;
                    set_l2_entries(l2_offset, static_cast<unsigned>((pos % l2_coverage) >> cluster_bits_), entries, &bitmaps);
                    pos += n;
                }
                uint64_t file_end = end_cluster_ << cluster_bits_;
                if (file_end > file_end_before)
                    file_->truncate(file_end, prealloc == Prealloc::kMetadata ? Prealloc::kOff : prealloc, false);
            }
        }
        header_.size = new_size;
        write_header();
    } catch (const IoError& e) {
        throw Error("{}", errno_string(-e.err));
    }
}

void Qcow2Node::amend(const std::vector<std::pair<std::string, std::string>>& options) {
    auto lock = lock_exclusive();
    if (read_only_) throw Error("Image is read-only");
    // Refcounts reach the disk before lazy refcounts or the version change.
    try {
        mark_clean();
    } catch (const IoError& e) {
        throw Error("{}", errno_string(-e.err));
    }
    Header h = header_;
    for (const auto& [key, value] : options) {
        if (key == "compat") {
            if (value == "1.1" || value == "v3") {
                h.version = 3;
            } else if (value == "0.10" || value == "v2") {
                if (header_.refcount_order != 4 || extended_l2_ ||
                    header_.compression_type != kCompressionZlib)
                    throw Error("Cannot downgrade an image with refcount_bits != 16, extended L2 entries or a non-zlib compression type");
                h.version = 2;
                h.compatible_features = h.incompatible_features = h.autoclear_features = 0;
            } else {
                throw Error("Unknown compatibility level {}", value);
            }
        } else if (key == "lazy_refcounts") {
            bool on = value == "on" || value == "true";
            if (on && h.version < 3)
                throw Error("Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
            h.compatible_features = on ? (h.compatible_features | kCompatLazyRefcounts)
                                       : (h.compatible_features & ~kCompatLazyRefcounts);
        } else if (key == "size") {
            continue;   // handled by the caller through truncate()
        } else if (key == "backing_file" || key == "backing_fmt") {
            continue;   // handled by the caller through set_backing_file()
        } else {
            throw Error("Changing the {} option is not supported", key);
        }
    }
    if (h.version == 2 && header_.version == 3) {
        // v2 has no zero flag: zero clusters must not remain.
        for (uint64_t l1e : l1_) {
            uint64_t l2_offset = l1e & kOffsetMask;
            if (!l2_offset) continue;
            for (uint32_t j = 0; j < l2_entries_; ++j)
                if ((l2_entry(l2_offset, j) & (kOflagZero | kOflagCompressed)) == kOflagZero)
                    throw Error("Cannot downgrade an image with zero clusters");
        }
    }
    Header old = header_;
    header_ = h;
    try {
        write_header();
    } catch (const IoError& e) {
        header_ = old;
        throw Error("{}", errno_string(-e.err));
    }
    lazy_refcounts_ = header_.version >= 3 && (header_.compatible_features & kCompatLazyRefcounts);
}

}  // namespace mimic::block::qcow2
