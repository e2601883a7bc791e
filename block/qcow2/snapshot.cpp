// Internal snapshots: a snapshot is a frozen copy of the L1 table, and
// every cluster reachable from it holds one more reference. Writes to
// clusters with more than one reference copy them first.
#include "qcow2.h"

#include "../endian.h"

#include "mimic/util/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace mimic::block::qcow2 {
namespace {

constexpr uint32_t kEntryHeader = 40;
constexpr uint32_t kExtraKnown = 24;   // vm_state_size_large, disk_size, icount
constexpr uint32_t kMaxExtra = 1024;
constexpr uint64_t kMaxTableBytes = 64ull << 20;

std::vector<uint8_t> serialize(const std::vector<Snapshot>& table) {
    std::vector<uint8_t> out;
    for (const auto& sn : table) {
        size_t extra = kExtraKnown + sn.extra_unknown.size();
        size_t at = out.size();
        size_t length = kEntryHeader + extra + sn.id.size() + sn.name.size();
        out.resize(at + ((length + 7) & ~size_t{7}), 0);
        uint8_t* p = &out[at];
        store_be64(p, sn.l1_table_offset);
        store_be32(p + 8, sn.l1_size);
        store_be16(p + 12, static_cast<uint16_t>(sn.id.size()));
        store_be16(p + 14, static_cast<uint16_t>(sn.name.size()));
        store_be32(p + 16, sn.date_sec);
        store_be32(p + 20, sn.date_nsec);
        store_be64(p + 24, sn.vm_clock_nsec);
        store_be32(p + 32, static_cast<uint32_t>(std::min<uint64_t>(sn.vm_state_size, 0xffffffffu)));
        store_be32(p + 36, static_cast<uint32_t>(extra));
        store_be64(p + 40, sn.vm_state_size);
        store_be64(p + 48, sn.disk_size);
        store_be64(p + 56, sn.icount);
        std::copy(sn.extra_unknown.begin(), sn.extra_unknown.end(), p + 64);
        p += kEntryHeader + extra;
        std::copy(sn.id.begin(), sn.id.end(), p);
        std::copy(sn.name.begin(), sn.name.end(), p + sn.id.size());
    }
    return out;
}

}  // namespace

void Qcow2Node::load_snapshots() {
    snapshots_.clear();
    snapshot_table_size_ = 0;
    uint64_t offset = header_.snapshots_offset;
    uint64_t total = 0;
    for (uint32_t i = 0; i < header_.nb_snapshots; ++i) {
        uint8_t head[kEntryHeader];
        if (file_->pread(offset, head, sizeof head) < 0) throw Error("Failed to read snapshot table");
        Snapshot sn;
        sn.l1_table_offset = load_be64(head);
        sn.l1_size = load_be32(head + 8);
        uint16_t id_size = load_be16(head + 12);
        uint16_t name_size = load_be16(head + 14);
        sn.date_sec = load_be32(head + 16);
        sn.date_nsec = load_be32(head + 20);
        sn.vm_clock_nsec = load_be64(head + 24);
        sn.vm_state_size = load_be32(head + 32);
        uint32_t extra = load_be32(head + 36);
        sn.extra_size = extra;
        if (extra > kMaxExtra) throw Error("Too much extra metadata in snapshot table entry {}", i);
        std::vector<uint8_t> rest(extra + id_size + name_size);
        if (!rest.empty() && file_->pread(offset + kEntryHeader, rest.data(), rest.size()) < 0)
            throw Error("Failed to read snapshot table");
        sn.disk_size = header_.size;
        if (extra >= 8) sn.vm_state_size = load_be64(&rest[0]);
        if (extra >= 16) sn.disk_size = load_be64(&rest[8]);
        if (extra >= 24) sn.icount = load_be64(&rest[16]);
        if (extra > kExtraKnown) sn.extra_unknown.assign(rest.begin() + kExtraKnown, rest.begin() + extra);
        sn.id.assign(rest.begin() + extra, rest.begin() + extra + id_size);
        sn.name.assign(rest.begin() + extra + id_size, rest.end());
        uint64_t length = (kEntryHeader + rest.size() + 7) & ~uint64_t{7};
        snapshot_table_size_ = offset + kEntryHeader + rest.size() - header_.snapshots_offset;
        offset += length;
        total += length;
        if (total > kMaxTableBytes) throw Error("Snapshot table too large");
        snapshots_.push_back(std::move(sn));
    }
}

std::vector<SnapshotInfo> Qcow2Node::snapshots() const {
    std::vector<SnapshotInfo> list;
    for (const auto& sn : snapshots_) {
        SnapshotInfo info;
        info.id = sn.id;
        info.name = sn.name;
        info.vm_state_size = sn.vm_state_size;
        info.date_sec = sn.date_sec;
        info.date_nsec = sn.date_nsec;
        info.vm_clock_nsec = sn.vm_clock_nsec;
        info.has_icount = sn.icount != ~0ull;
        info.icount = info.has_icount ? sn.icount : 0;
        list.push_back(std::move(info));
    }
    return list;
}

int Qcow2Node::find_snapshot(const std::string& name_or_id) const {
    for (size_t i = 0; i < snapshots_.size(); ++i)
        if (snapshots_[i].id == name_or_id) return static_cast<int>(i);
    for (size_t i = 0; i < snapshots_.size(); ++i)
        if (snapshots_[i].name == name_or_id) return static_cast<int>(i);
    return -1;
}

// A snapshot's L1 table is judged when it is used, not when the table of
// snapshots is read, as in QEMU.
void Qcow2Node::validate_snapshot_l1(const Snapshot& sn) const {
    if (uint64_t{sn.l1_size} * 8 > kMaxL1Bytes) throw Error("Snapshot L1 table too large");
    if (!valid_table_offset(sn.l1_table_offset, uint64_t{sn.l1_size} * 8, cluster_bits_))
        throw Error("Snapshot L1 table offset invalid");
}

std::vector<uint64_t> Qcow2Node::read_l1(uint64_t offset, uint32_t size) {
    std::vector<uint8_t> raw(uint64_t{size} * 8);
    if (!raw.empty()) file_read(offset, raw.data(), raw.size());
    std::vector<uint64_t> l1(size);
    for (uint32_t i = 0; i < size; ++i) l1[i] = load_be64(&raw[i * 8]);
    return l1;
}

void Qcow2Node::update_tree_refcounts(const std::vector<uint64_t>& l1, int64_t delta) {
    std::vector<uint8_t> table(cluster_size_);
    for (uint64_t l1_entry : l1) {
        uint64_t l2_offset = l1_entry & kOffsetMask;
        if (!l2_offset) continue;
        if (l2_offset & (cluster_size_ - 1))
            corruption(fmt::format("L2 table offset {:#x} unaligned", l2_offset));
        file_read(l2_offset, table.data(), cluster_size_);
        for (uint32_t i = 0; i < l2_entries_; ++i) {
            uint64_t entry = load_be64(&table[uint64_t{i} * l2_entry_bytes_]);
            if (entry & kOflagCompressed) {
                uint64_t host = entry & ((1ull << compressed_offset_bits_) - 1);
                uint64_t sectors = ((entry >> compressed_offset_bits_) & ((1ull << (cluster_bits_ - 8)) - 1)) + 1;
                update_refcounts(host, (host & ~uint64_t{511}) + sectors * 512 - host, delta);
            } else if (entry & kOffsetMask) {
                update_refcounts(entry & kOffsetMask, cluster_size_, delta);
            }
        }
        update_refcounts(l2_offset, cluster_size_, delta);
    }
}

void Qcow2Node::fix_copied_flags() {
    for (size_t i = 0; i < l1_.size(); ++i) {
        uint64_t l2_offset = l1_[i] & kOffsetMask;
        if (!l2_offset) continue;
        uint64_t want = (l1_[i] & ~kOflagCopied) | (refcount(l2_offset >> cluster_bits_) == 1 ? kOflagCopied : 0);
        if (want != l1_[i]) {
            l1_[i] = want;
            uint8_t raw[8];
            store_be64(raw, want);
            file_write(header_.l1_table_offset + i * 8, raw, 8);
        }
        // Rewrite the entries' flags even in a shared table: the data's
        // refcount is then above 1 and the flag is clear, which is what any
        // other owner of the table needs too.
        std::vector<uint64_t> entries(l2_entries_);
        bool changed = false;
        for (uint32_t j = 0; j < l2_entries_; ++j) {
            uint64_t entry = l2_entry(l2_offset, j);
            entries[j] = entry;
            if ((entry & kOflagCompressed) || !(entry & kOffsetMask)) continue;
            uint64_t fixed = (entry & ~kOflagCopied) |
                             (refcount((entry & kOffsetMask) >> cluster_bits_) == 1 ? kOflagCopied : 0);
            if (fixed != entry) {
                entries[j] = fixed;
                changed = true;
            }
        }
        if (changed) {
            std::vector<uint64_t> bitmaps(l2_entries_);
            for (uint32_t j = 0; j < l2_entries_; ++j) bitmaps[j] = l2_bitmap(l2_offset, j);
            set_l2_entries(l2_offset, 0, entries, &bitmaps);
        }
    }
}

void Qcow2Node::write_snapshot_table(std::vector<Snapshot> table) {
    uint64_t old_size = snapshot_table_size_;
    uint64_t old_offset = header_.snapshots_offset;
    auto raw = serialize(table);
    uint64_t offset = 0;
    if (!raw.empty()) {
        uint64_t clusters = (raw.size() + cluster_size_ - 1) >> cluster_bits_;
        offset = alloc_clusters(clusters);
        raw.resize(clusters << cluster_bits_, 0);
        file_write(offset, raw.data(), raw.size());
        if (int ret = file_->flush(); ret < 0) throw IoError{ret};
    }
    header_.snapshots_offset = offset;
    header_.nb_snapshots = static_cast<uint32_t>(table.size());
    write_header();
    for (auto& sn : table) sn.extra_size = static_cast<uint32_t>(kExtraKnown + sn.extra_unknown.size());
    snapshots_ = std::move(table);
    snapshot_table_size_ = serialize(snapshots_).size();
    if (old_size && old_offset) free_clusters(old_offset, old_size);
}

void Qcow2Node::snapshot_create(const std::string& name) {
    auto lock = lock_exclusive();
    if (read_only_) throw Error("Image is read-only");
    if (snapshots_.size() >= kMaxSnapshots) throw Error("Too many snapshots");
    try {
        Snapshot sn;
        uint64_t max_id = 0;
        for (const auto& s : snapshots_) max_id = std::max<uint64_t>(max_id, std::strtoull(s.id.c_str(), nullptr, 10));
        sn.id = std::to_string(max_id + 1);
        sn.name = name;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        sn.date_sec = static_cast<uint32_t>(now.tv_sec);
        sn.date_nsec = static_cast<uint32_t>(now.tv_nsec / 1000000 * 1000000);
        sn.disk_size = header_.size;
        sn.icount = 0;
        sn.l1_size = static_cast<uint32_t>(l1_.size());

        // References first, then flags, then the snapshot record: a crash
        // at any point leaves at most leaked clusters.
        update_tree_refcounts(l1_, 1);
        fix_copied_flags();
        if (!l1_.empty()) {
            uint64_t bytes = l1_.size() * 8;
            sn.l1_table_offset = alloc_clusters((bytes + cluster_size_ - 1) >> cluster_bits_);
            std::vector<uint8_t> raw(bytes);
            for (size_t i = 0; i < l1_.size(); ++i) store_be64(&raw[i * 8], l1_[i] & ~kOflagCopied);
            file_write(sn.l1_table_offset, raw.data(), raw.size());
        }
        auto table = snapshots_;
        table.push_back(std::move(sn));
        write_snapshot_table(std::move(table));
    } catch (const IoError& e) {
        throw Error("{}", errno_string(-e.err));
    }
}

void Qcow2Node::snapshot_apply(const std::string& name_or_id) {
    auto lock = lock_exclusive();
    if (read_only_) throw Error("Image is read-only");
    int index = find_snapshot(name_or_id);
    if (index < 0) throw Error("Failed to load snapshot: No such file or directory");
    try {
        const Snapshot sn = snapshots_[index];
        validate_snapshot_l1(sn);
        mark_bitmaps_dirty(0, std::max(header_.size, sn.disk_size));   // every byte may change
        auto snap_l1 = read_l1(sn.l1_table_offset, sn.l1_size);
        update_tree_refcounts(snap_l1, 1);
        auto old_l1 = l1_;
        if (sn.l1_size > l1_.size()) grow_l1(sn.l1_size);
        std::vector<uint64_t> active(l1_.size(), 0);
        std::copy(snap_l1.begin(), snap_l1.end(), active.begin());
        std::vector<uint8_t> raw(active.size() * 8);
        for (size_t i = 0; i < active.size(); ++i) store_be64(&raw[i * 8], active[i] & ~kOflagCopied);
        file_write(header_.l1_table_offset, raw.data(), raw.size());
        for (auto& e : active) e &= ~kOflagCopied;
        l1_ = active;
        l2_cache_.clear();
        decompressed_entry_ = 0;
        header_.size = sn.disk_size;
        write_header();
        update_tree_refcounts(old_l1, -1);
        fix_copied_flags();
    } catch (const IoError& e) {
        throw Error("{}", errno_string(-e.err));
    }
}

void Qcow2Node::load_snapshot(const std::string& name_or_id) {
    auto lock = lock_exclusive();
    if (!read_only_) throw Error("Failed to load snapshot: Device is not read-only");
    int index = find_snapshot(name_or_id);
    if (index < 0) throw Error("Failed to load snapshot: Can't find snapshot");
    try {
        const Snapshot& sn = snapshots_[index];
        try {
            validate_snapshot_l1(sn);
        } catch (const Error& e) {
            throw Error("Failed to load snapshot: {}", e.what());
        }
        l1_ = read_l1(sn.l1_table_offset, sn.l1_size);
        // The snapshot's L1 must cover its own disk size, as the active one must.
        uint64_t coverage = uint64_t{cluster_size_} * l2_entries_;
        if (sn.disk_size > (1ull << 62) || (sn.disk_size + coverage - 1) / coverage > l1_.size())
            throw Error("Failed to load snapshot: Snapshot L1 table too small");
        header_.size = sn.disk_size;
        l2_cache_.clear();
        decompressed_entry_ = 0;
    } catch (const IoError& e) {
        throw Error("Failed to load snapshot: {}", errno_string(-e.err));
    }
}

void Qcow2Node::snapshot_delete(const std::string& name_or_id) {
    auto lock = lock_exclusive();
    if (read_only_) throw Error("Image is read-only");
    int index = find_snapshot(name_or_id);
    if (index < 0) throw Error("snapshot not found");
    try {
        Snapshot sn = snapshots_[index];
        validate_snapshot_l1(sn);
        auto table = snapshots_;
        table.erase(table.begin() + index);
        write_snapshot_table(std::move(table));
        auto snap_l1 = read_l1(sn.l1_table_offset, sn.l1_size);
        update_tree_refcounts(snap_l1, -1);
        if (sn.l1_size) free_clusters(sn.l1_table_offset, uint64_t{sn.l1_size} * 8);
        fix_copied_flags();
    } catch (const IoError& e) {
        throw Error("{}", errno_string(-e.err));
    }
}

}  // namespace mimic::block::qcow2

namespace mimic::block::qcow2 {

uint64_t Qcow2Node::snapshot_table_bytes() const {
    // Rounded to the clusters it was given.
    return (snapshot_table_size_ + cluster_size_ - 1) & ~uint64_t{cluster_size_ - 1};
}

}  // namespace mimic::block::qcow2
