// Consistency check and repair: rebuild every reference from the metadata,
// compare with the stored refcounts, and verify the COPIED flags.
#include "qcow2.h"

#include "../endian.h"

#include "mimic/util/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <unordered_set>

namespace mimic::block::qcow2 {

CheckResult Qcow2Node::check(CheckFix fix) {
    auto lock = lock_exclusive();
    if (fix != CheckFix::kNone && read_only_) throw Error("Image is read-only");
    try {
        CheckResult result = check_locked(fix);
        // A repaired dirty image is consistent again: clear the bit (and
        // write the repaired refcounts first), as qemu-img check -r does.
        if (fix != CheckFix::kNone && !result.corruptions && !result.check_errors &&
            (header_.incompatible_features & kIncompatDirty))
            mark_clean();
        return result;
    } catch (const IoError& e) {
        throw Error("{}", errno_string(-e.err));
    }
}

CheckResult Qcow2Node::check_locked(CheckFix fix) {
    CheckResult result;
    result.has_stats = true;
    uint64_t file_size = file_->size();
    uint64_t cmask = cluster_size_ - 1;
    const uint64_t file_clusters = (file_size + cmask) >> cluster_bits_;
    std::vector<uint64_t> refs(file_clusters);

    auto reference = [&](uint64_t offset, uint64_t length) {
        if (length == 0) return;
        uint64_t first = offset >> cluster_bits_;
        uint64_t last = (offset + length - 1) >> cluster_bits_;
        // Less than a cluster past the end is a file cut short of its last
        // cluster's tail; a whole cluster or more is damage (and must not
        // size our tables), as qemu-img check judges it.
        if (offset + length < offset || offset + length >= file_size + cluster_size_) {
            result.messages.push_back(fmt::format(
                "ERROR: counting reference for region exceeding the end of the file by one cluster or more: "
                "offset {:#x} size {:#x}", offset, length));
            ++result.corruptions;
            return;
        }
        if (last >= refs.size()) refs.resize(last + 1);
        for (uint64_t c = first; c <= last; ++c) ++refs[c];
    };

    // A preallocated zero cluster that names a misaligned host cluster
    // becomes a plain zero cluster (its subclusters zero): nothing was
    // stored there. False if the entry could not be written.
    auto zero_entry = [&](uint64_t l2_offset, uint32_t j, uint8_t* slot) {
        if (extended_l2_) {
            uint64_t bitmap = load_be64(slot + 8);
            store_be64(slot + 8, (bitmap | bitmap << 32) & ~kL2BitmapAllAlloc);
            store_be64(slot, 0);
        } else {
            store_be64(slot, kOflagZero);
        }
        l2_cache_.forget(l2_offset);
        if (int ret = file_->pwrite(l2_offset + uint64_t{j} * l2_entry_bytes_, slot, l2_entry_bytes_); ret < 0) {
            result.messages.push_back(fmt::format("ERROR: Failed to overwrite L2 table entry: {}", errno_string(-ret)));
            ++result.check_errors;
            return false;
        }
        return true;
    };

    // One L2 table's entries, judged as qemu-img check judges them.
    auto walk_l2 = [&](uint64_t l2_offset, std::vector<uint8_t>& table, bool active) {
        uint64_t next_contiguous = 0;   // fragmentation is counted per table
        for (uint32_t j = 0; j < l2_entries_; ++j) {
            uint8_t* slot = &table[uint64_t{j} * l2_entry_bytes_];
            uint64_t entry = load_be64(slot);
            uint64_t bitmap = extended_l2_ ? load_be64(slot + 8) : 0;
            if (entry & kOflagCompressed) {
                uint64_t host = entry & ((1ull << compressed_offset_bits_) - 1);
                if (entry & kOflagCopied) {
                    result.messages.push_back(fmt::format(
                        "ERROR: coffset=0x{:x}: copied flag must never be set for compressed clusters", host));
                    ++result.corruptions;
                }
                if (bitmap) {
                    result.messages.push_back(fmt::format(
                        "ERROR compressed cluster {} with non-zero subcluster allocation bitmap, entry=0x{:x}", j,
                        entry & ~kOflagCopied));
                    ++result.corruptions;
                    continue;
                }
                uint64_t sectors = ((entry >> compressed_offset_bits_) & ((1ull << (cluster_bits_ - 8)) - 1)) + 1;
                reference(host, (host & ~uint64_t{511}) + sectors * 512 - host);
                if (active) {
                    ++result.allocated_clusters;
                    ++result.compressed_clusters;
                    ++result.fragmented_clusters;
                }
                continue;
            }
            // Reserved bits; before v3 the zero flag is one of them.
            uint64_t reserved = kL2ReservedMask | (header_.version < 3 ? kOflagZero : 0);
            if (entry & reserved) {
                result.messages.push_back(fmt::format("ERROR found l2 entry with reserved bits set: {:x}", entry));
                ++result.corruptions;
            }
            uint64_t host = entry & kOffsetMask;
            if (!host) {
                if (bitmap & kL2BitmapAllAlloc) {
                    result.messages.push_back("ERROR: Unallocated cluster has non-zero subcluster allocation map");
                    ++result.corruptions;
                }
                continue;
            }
            // A data cluster, or a preallocated zero one: both own a host cluster.
            if ((bitmap >> 32) & bitmap) {
                result.messages.push_back(fmt::format(
                    "ERROR offset={:x}: Allocated cluster has corrupted subcluster allocation bitmap", host));
                ++result.corruptions;
            }
            if (host & cmask) {
                bool contains_data = extended_l2_ ? (bitmap & kL2BitmapAllAlloc) : !(entry & kOflagZero);
                if (contains_data) {
                    result.messages.push_back(fmt::format(
                        "ERROR offset={:x}: Data cluster is not properly aligned; L2 entry corrupted.", host));
                    ++result.corruptions;
                } else {
                    bool repair = fix == CheckFix::kAll;
                    result.messages.push_back(
                        fmt::format("{} offset={:x}: Preallocated cluster is not properly aligned; L2 entry corrupted.",
                                    repair ? "Repairing" : "ERROR", host));
                    if (repair && zero_entry(l2_offset, j, slot)) {
                        ++result.corruptions_fixed;
                        continue;   // no longer references anything
                    }
                    ++result.corruptions;
                }
            }
            if (active) {
                ++result.allocated_clusters;
                if (next_contiguous && host != next_contiguous) ++result.fragmented_clusters;
                next_contiguous = host + cluster_size_;
            }
            // Counted even when misaligned, as qemu-img does: a host cluster
            // far past the end is reported as such.
            reference(host, cluster_size_);
        }
    };

    auto walk_l1 = [&](const std::vector<uint64_t>& l1, bool active) {
        std::vector<uint8_t> table(cluster_size_);
        // A table may appear once per L1; a hostile image repeating one
        // would otherwise cost entries x table size.
        std::unordered_set<uint64_t> seen;
        for (size_t i = 0; i < l1.size(); ++i) {
            // Only an all-zero entry is unallocated: flags without an offset
            // point at cluster 0, which is then read as an L2 table.
            if (!l1[i]) continue;
            if (l1[i] & kL1ReservedMask) {
                result.messages.push_back(fmt::format("ERROR found L1 entry with reserved bits set: {:x}", l1[i]));
                ++result.corruptions;
            }
            uint64_t l2_offset = l1[i] & kOffsetMask;
            if (!seen.insert(l2_offset).second) {
                result.messages.push_back(fmt::format(
                    "ERROR l2_offset={:x}: L2 table referenced twice by one L1 table", l2_offset));
                ++result.corruptions;
                reference(l2_offset, cluster_size_);
                continue;
            }
            if (l2_offset & cmask) {
                result.messages.push_back(fmt::format(
                    "ERROR l2_offset={:x}: Table is not cluster aligned; L1 entry corrupted", l2_offset));
                ++result.corruptions;
                continue;
            }
            if (l2_offset >= file_size) {
                result.messages.push_back(fmt::format("ERROR l2_offset={:x}: L2 table is beyond the end of the image", l2_offset));
                ++result.corruptions;
                continue;
            }
            reference(l2_offset, cluster_size_);
            file_read(l2_offset, table.data(), cluster_size_);
            walk_l2(l2_offset, table, active);
        }
    };

    reference(0, cluster_size_);
    if (header_.l1_size) reference(header_.l1_table_offset, uint64_t{header_.l1_size} * 8);
    walk_l1(l1_, true);
    // Snapshot table entries of v3 images carry at least the large VM state
    // size and the disk size; a repair rewrites the table with them.
    int incomplete = 0;
    for (size_t i = 0; header_.version >= 3 && i < snapshots_.size(); ++i) {
        if (snapshots_[i].extra_size >= 16) continue;
        result.messages.push_back(fmt::format("{} snapshot table entry {} is incomplete",
                                              fix == CheckFix::kAll ? "Repairing" : "ERROR", i));
        ++incomplete;
    }
    for (const auto& sn : snapshots_) {
        if (sn.l1_table_offset & cmask) {
            result.messages.push_back(fmt::format(
                "ERROR snapshot {} ({}) l1_offset={:#x}: L1 table is not cluster aligned; snapshot table entry corrupted",
                sn.id, sn.name, sn.l1_table_offset));
            ++result.corruptions;
            continue;
        }
        if (uint64_t{sn.l1_size} * 8 > kMaxL1Bytes) {
            result.messages.push_back(fmt::format(
                "ERROR snapshot {} ({}) l1_size={:#x}: L1 table is too large; snapshot table entry corrupted",
                sn.id, sn.name, sn.l1_size));
            ++result.corruptions;
            continue;
        }
        if (!sn.l1_size) continue;
        reference(sn.l1_table_offset, uint64_t{sn.l1_size} * 8);
        // Past the end the table reads as zeros; past what any request may
        // reach, the check cannot go on, as qemu-img's cannot.
        if (!request_in_range(sn.l1_table_offset, uint64_t{sn.l1_size} * 8)) throw IoError{-EIO};
        walk_l1(read_l1(sn.l1_table_offset, sn.l1_size), false);
    }
    if (header_.nb_snapshots) reference(header_.snapshots_offset, snapshot_table_size_);
    for (const auto& [offset, length] : bitmap_ranges()) reference(offset, length);
    reference(header_.refcount_table_offset, uint64_t{header_.refcount_table_clusters} << cluster_bits_);
    for (size_t r = 0; r < reftable_.size(); ++r) {
        if (reftable_[r] & kRefTableReservedMask) {
            result.messages.push_back(fmt::format("ERROR refcount table entry {} has reserved bits set", r));
            ++result.corruptions;
            continue;
        }
        uint64_t offset = reftable_[r];
        if (!offset) continue;
        if (offset & cmask) {
            result.messages.push_back(fmt::format(
                "ERROR refcount block {} is not cluster aligned; refcount table entry corrupted", r));
            ++result.corruptions;
            continue;
        }
        if (offset >= file_size) {
            result.messages.push_back(fmt::format("ERROR refcount block {} is outside image", r));
            ++result.corruptions;
            continue;
        }
        reference(offset, cluster_size_);
    }

    // Stored refcounts as qemu-img check reads them: a refcount block past
    // the end of the file (reported above) reads as zeros; one that is not
    // aligned, or lies where no request reaches, cannot be read at all.
    auto stored_refcount = [&](uint64_t c) -> std::optional<uint64_t> {
        uint64_t r = c / refblock_entries_;
        uint64_t block = r < reftable_.size() ? reftable_[r] & ~kRefTableReservedMask : 0;
        if (!block) return 0;
        if ((block & cmask) || !request_in_range(block, cluster_size_)) return std::nullopt;
        if ((block >> cluster_bits_) >= end_cluster_) return 0;
        return refcount(c);
    };

    // Compare over the file (and whatever the metadata claims beyond it).
    uint64_t limit = refs.size();
    struct Fix { uint64_t cluster, value; };
    std::vector<Fix> fixes;
    uint64_t last_used = 0;
    for (uint64_t c = 0; c < limit; ++c) {
        std::optional<uint64_t> read = stored_refcount(c);
        if (!read) {
            result.messages.push_back(fmt::format("Can't get refcount for cluster {}: {}", c, errno_string(EIO)));
            ++result.check_errors;
            continue;
        }
        uint64_t stored = *read;
        uint64_t computed = refs[c];
        if (stored || computed) last_used = c;
        if (stored == computed) continue;
        bool leak = stored > computed;
        bool repair = fix == CheckFix::kAll || (fix == CheckFix::kLeaks && leak);
        result.messages.push_back(fmt::format("{} cluster {} refcount={} reference={}", leak ? "Leaked" : "ERROR",
                                              c, stored, computed));
        if (repair) {
            result.messages.push_back(fmt::format("Repairing cluster {} refcount={} reference={}", c, stored, computed));
            fixes.push_back({c, computed});
            ++(leak ? result.leaks_fixed : result.corruptions_fixed);
        } else {
            ++(leak ? result.leaks : result.corruptions);
        }
    }
    for (const auto& f : fixes) {
        if (f.value > refcount_max_) continue;
        set_refcount(f.cluster, f.value);
    }
    free_cluster_hint_ = 0;

    // COPIED must be set exactly on clusters with one reference.
    int copied_errors = 0;
    std::unordered_set<uint64_t> copied_seen;
    for (size_t i = 0; i < l1_.size(); ++i) {
        uint64_t l2_offset = l1_[i] & kOffsetMask;
        if (!l2_offset || (l2_offset & cmask) || l2_offset >= file_size) continue;
        if (!copied_seen.insert(l2_offset).second) continue;   // reported above
        // A refcount that cannot be read was reported above.
        std::optional<uint64_t> l2_rc = stored_refcount(l2_offset >> cluster_bits_);
        if (!l2_rc) continue;
        uint64_t rc = *l2_rc;
        if ((rc == 1) != bool(l1_[i] & kOflagCopied)) {
            result.messages.push_back(fmt::format("{} OFLAG_COPIED L2 cluster: l1_index={} l1_entry={:x} refcount={}",
                                                  fix == CheckFix::kAll ? "Repairing" : "ERROR", i, l1_[i], rc));
            ++copied_errors;
        }
        for (uint32_t j = 0; j < l2_entries_; ++j) {
            uint64_t entry = l2_entry(l2_offset, j);
            uint64_t host = entry & kOffsetMask;
            if ((entry & kOflagCompressed) || !host) continue;
            std::optional<uint64_t> data_rc = stored_refcount(host >> cluster_bits_);
            if (!data_rc) continue;
            uint64_t drc = *data_rc;
            if ((drc == 1) != bool(entry & kOflagCopied)) {
                result.messages.push_back(fmt::format("{} OFLAG_COPIED data cluster: l2_entry={:x} refcount={}",
                                                      fix == CheckFix::kAll ? "Repairing" : "ERROR", entry, drc));
                ++copied_errors;
            }
        }
    }
    if (copied_errors) {
        if (fix == CheckFix::kAll) {
            fix_copied_flags();
            result.corruptions_fixed += copied_errors;
        } else {
            result.corruptions += copied_errors;
        }
    }

    if (incomplete) {
        if (fix == CheckFix::kAll) {
            write_snapshot_table(snapshots_);
            result.corruptions_fixed += incomplete;
        } else {
            result.corruptions += incomplete;
        }
    }

    uint64_t l2_coverage = uint64_t{cluster_size_};
    result.total_clusters = (header_.size + l2_coverage - 1) / l2_coverage;
    result.image_end_offset = (last_used + 1) << cluster_bits_;
    end_cluster_ = std::max(end_cluster_, last_used + 1);
    return result;
}

}  // namespace mimic::block::qcow2
