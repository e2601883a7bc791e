// Reference counts and cluster allocation.
//
// A cluster is free when its refcount is 0. New refcount blocks and grown
// refcount tables are placed at the end of the image, where nothing else
// lives, so they can describe themselves without a chicken-and-egg search.
#include "qcow2.h"

#include "../endian.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace mimic::block::qcow2 {

uint64_t Qcow2Node::get_refcount_entry(const uint8_t* block, uint64_t index) const {
    switch (refcount_bits_) {
    case 1:
    case 2:
    case 4: {
        // Sub-byte widths are packed starting at the least significant bit.
        uint64_t per_byte = 8 / refcount_bits_;
        unsigned shift = static_cast<unsigned>((index % per_byte) * refcount_bits_);
        return (block[index / per_byte] >> shift) & refcount_max_;
    }
    case 8: return block[index];
    case 16: return load_be16(block + index * 2);
    case 32: return load_be32(block + index * 4);
    default: return load_be64(block + index * 8);
    }
}

void Qcow2Node::set_refcount_entry(uint8_t* block, uint64_t index, uint64_t value) const {
    switch (refcount_bits_) {
    case 1:
    case 2:
    case 4: {
        uint64_t per_byte = 8 / refcount_bits_;
        unsigned shift = static_cast<unsigned>((index % per_byte) * refcount_bits_);
        uint8_t& byte = block[index / per_byte];
        byte = static_cast<uint8_t>((byte & ~(refcount_max_ << shift)) | (value << shift));
        break;
    }
    case 8: block[index] = static_cast<uint8_t>(value); break;
    case 16: store_be16(block + index * 2, static_cast<uint16_t>(value)); break;
    case 32: store_be32(block + index * 4, static_cast<uint32_t>(value)); break;
    default: store_be64(block + index * 8, value); break;
    }
}

uint64_t Qcow2Node::refblock_for(uint64_t cluster_index, bool create) {
    uint64_t r = cluster_index / refblock_entries_;
    if (r < reftable_.size()) {
        uint64_t offset = reftable_[r] & ~kRefTableReservedMask;
        if (offset) {
            if (offset & (cluster_size_ - 1))
                corruption(fmt::format("Refblock offset {:#x} unaligned (reftable index: {})", offset, c_hex(r)));
            // A block beyond the file would read as zeros and hand out
            // clusters that are in use.
            if ((offset >> cluster_bits_) >= end_cluster_)
                corruption(fmt::format("Refblock at {:#x} is beyond the end of the image (reftable index: {})",
                                       offset, c_hex(r)));
            return offset;
        }
    }
    if (!create) return 0;
    if (r >= reftable_.size()) {
        grow_refcount_table(r + 1);
        if (reftable_[r]) return reftable_[r];
    }
    uint64_t block_index = end_cluster_++;
    uint64_t block_offset = block_index << cluster_bits_;
    std::vector<uint8_t> block(cluster_size_, 0);
    bool self_describing = block_index / refblock_entries_ == r;
    if (self_describing) set_refcount_entry(block.data(), block_index % refblock_entries_, 1);
    file_write(block_offset, block.data(), block.size());
    refblock_cache_.forget(block_offset);
    if (!self_describing) set_refcount(block_index, 1);
    // The table entry goes last: until then the block is merely leaked.
    reftable_[r] = block_offset;
    uint8_t entry[8];
    store_be64(entry, block_offset);
    file_write(header_.refcount_table_offset + r * 8, entry, 8);
    return block_offset;
}

void Qcow2Node::grow_refcount_table(uint64_t min_entries) {
    uint64_t per_cluster = cluster_size_ / 8;
    auto round = [&](uint64_t n) { return (n + per_cluster - 1) / per_cluster * per_cluster; };
    uint64_t entries = round(std::max<uint64_t>(min_entries, reftable_.size() * 2));
    uint64_t start = end_cluster_;
    uint64_t table_clusters = 0, area_end = 0;
    std::vector<uint64_t> needed;
    for (;;) {
        table_clusters = entries / per_cluster;
        // The new table and the new blocks describing it lie at the end;
        // iterate until the number of blocks needed is stable.
        size_t k = 0;
        for (;;) {
            needed.clear();
            area_end = start + table_clusters + k;
            for (uint64_t r = start / refblock_entries_; r <= (area_end - 1) / refblock_entries_; ++r)
                if (r >= reftable_.size() || reftable_[r] == 0) needed.push_back(r);
            if (needed.size() == k) break;
            k = needed.size();
        }
        if (needed.empty() || needed.back() < entries) break;
        entries = round(std::max(entries * 2, needed.back() + 1));
    }
    if (entries * 8 > kMaxRefTableBytes) throw IoError{-EFBIG};

    std::vector<uint64_t> table = reftable_;
    table.resize(entries, 0);
    for (size_t j = 0; j < needed.size(); ++j) {
        uint64_t block_index = start + table_clusters + j;
        table[needed[j]] = block_index << cluster_bits_;
        std::vector<uint8_t> block(cluster_size_, 0);
        for (uint64_t c = start; c < area_end; ++c)
            if (c / refblock_entries_ == needed[j]) set_refcount_entry(block.data(), c % refblock_entries_, 1);
        file_write(block_index << cluster_bits_, block.data(), block.size());
        refblock_cache_.forget(block_index << cluster_bits_);
    }
    std::vector<uint8_t> raw(entries * 8);
    for (size_t i = 0; i < entries; ++i) store_be64(&raw[i * 8], table[i]);
    file_write(start << cluster_bits_, raw.data(), raw.size());
    end_cluster_ = area_end;
    if (int ret = file_->flush(); ret < 0) throw IoError{ret};

    uint64_t old_offset = header_.refcount_table_offset;
    uint64_t old_clusters = header_.refcount_table_clusters;
    reftable_ = std::move(table);
    header_.refcount_table_offset = start << cluster_bits_;
    header_.refcount_table_clusters = static_cast<uint32_t>(table_clusters);
    write_header();

    for (uint64_t c = start; c < area_end; ++c)
        if (!std::binary_search(needed.begin(), needed.end(), c / refblock_entries_))
            update_refcounts(c << cluster_bits_, cluster_size_, 1);
    update_refcounts(old_offset, old_clusters << cluster_bits_, -1);
}

uint64_t Qcow2Node::refcount(uint64_t cluster_index) {
    uint64_t block_offset = refblock_for(cluster_index, false);
    if (!block_offset) return 0;
    const uint8_t* block = refblock_cache_.get(
        block_offset, [this](uint64_t off, uint8_t* buf) { file_read(off, buf, cluster_size_); });
    return get_refcount_entry(block, cluster_index % refblock_entries_);
}

void Qcow2Node::set_refcount(uint64_t cluster_index, uint64_t value) {
    uint64_t block_offset = refblock_for(cluster_index, value != 0);
    if (!block_offset) return;
    uint8_t* block = refblock_cache_.get(
        block_offset, [this](uint64_t off, uint8_t* buf) { file_read(off, buf, cluster_size_); });
    uint64_t index = cluster_index % refblock_entries_;
    set_refcount_entry(block, index, value);
    uint64_t byte = index * refcount_bits_ / 8;
    uint64_t length = std::max<uint64_t>(1, refcount_bits_ / 8);
    store_refcounts(block_offset, block, byte, byte + length);
    if (value == 0) free_cluster_hint_ = std::min(free_cluster_hint_, cluster_index);
}

void Qcow2Node::update_refcounts(uint64_t offset, uint64_t length, int64_t delta) {
    if (length == 0 || delta == 0) return;
    uint64_t first = offset >> cluster_bits_;
    uint64_t last = (offset + length - 1) >> cluster_bits_;
    for (uint64_t idx = first; idx <= last;) {
        uint64_t block_offset = refblock_for(idx, delta > 0);
        if (!block_offset) {
            std::fprintf(stderr, "qcow2: refcount of cluster %llu would drop below zero\n",
                         static_cast<unsigned long long>(idx));
            throw IoError{-EINVAL};
        }
        uint8_t* block = refblock_cache_.get(
            block_offset, [this](uint64_t off, uint8_t* buf) { file_read(off, buf, cluster_size_); });
        uint64_t block_last = std::min(last, (idx / refblock_entries_ + 1) * refblock_entries_ - 1);
        for (uint64_t i = idx; i <= block_last; ++i) {
            uint64_t index = i % refblock_entries_;
            uint64_t value = get_refcount_entry(block, index);
            if (delta < 0 && value < static_cast<uint64_t>(-delta)) {
                std::fprintf(stderr, "qcow2: refcount of cluster %llu would drop below zero\n",
                             static_cast<unsigned long long>(i));
                throw IoError{-EINVAL};
            }
            if (delta > 0 && refcount_max_ - value < static_cast<uint64_t>(delta)) throw IoError{-ERANGE};
            value += delta;
            set_refcount_entry(block, index, value);
            if (value == 0) {
                free_cluster_hint_ = std::min(free_cluster_hint_, i);
                if (free_byte_offset_ && (free_byte_offset_ >> cluster_bits_) == i) free_byte_offset_ = 0;
                l2_cache_.forget(i << cluster_bits_);
            }
        }
        uint64_t byte_first = (idx % refblock_entries_) * refcount_bits_ / 8;
        uint64_t byte_end = ((block_last % refblock_entries_) + 1) * refcount_bits_;
        byte_end = (byte_end + 7) / 8;
        store_refcounts(block_offset, block, byte_first, byte_end);
        idx = block_last + 1;
    }
}

void Qcow2Node::store_refcounts(uint64_t block_offset, const uint8_t* block, uint64_t byte_first, uint64_t byte_end) {
    if (!lazy_refcounts_) {
        file_write(block_offset + byte_first, block + byte_first, byte_end - byte_first);
        return;
    }
    // Lazy refcounts: the block stays in the cache until a flush; the dirty
    // bit tells whoever opens the image after a crash to rebuild them.
    mark_dirty();
    refblock_cache_.mark_dirty(block_offset);
}

void Qcow2Node::mark_dirty() {
    if (header_.incompatible_features & kIncompatDirty) return;
    header_.incompatible_features |= kIncompatDirty;
    write_header();
    // The bit must be on disk before any L2 entry whose refcount is not.
    if (int ret = file_->flush(); ret < 0) throw IoError{ret};
}

void Qcow2Node::write_back_refcounts() {
    if (!refblock_cache_.has_dirty()) return;
    refblock_cache_.write_back();
}

void Qcow2Node::mark_clean() {
    write_back_refcounts();
    if (!(header_.incompatible_features & kIncompatDirty)) return;
    // Refcounts reach the disk before the bit that says they are stale goes.
    if (int ret = file_->flush(); ret < 0) throw IoError{ret};
    header_.incompatible_features &= ~kIncompatDirty;
    write_header();
    if (int ret = file_->flush(); ret < 0) throw IoError{ret};
}

uint64_t Qcow2Node::alloc_clusters(uint64_t count) {
    uint64_t start = free_cluster_hint_;
    for (;;) {
        if (start >= end_cluster_) break;
        uint64_t run = 0;
        while (run < count && start + run < end_cluster_ && refcount(start + run) == 0) ++run;
        if (run == count || start + run >= end_cluster_) break;
        if (start == free_cluster_hint_ && run == 0) ++free_cluster_hint_;
        start += run + 1;
    }
    if (start == free_cluster_hint_) free_cluster_hint_ = start + count;
    // Claim the range before counting it, so refcount blocks created on
    // the way are placed after it.
    end_cluster_ = std::max(end_cluster_, start + count);
    // Refcounts of 0 on live metadata mean a damaged image.
    check_overlap(start << cluster_bits_, count << cluster_bits_);
    update_refcounts(start << cluster_bits_, count << cluster_bits_, 1);
    return start << cluster_bits_;
}

uint64_t Qcow2Node::alloc_bytes(uint64_t size) {
    // Compressed clusters are packed back to back; each host cluster is
    // referenced once per compressed cluster that touches it.
    if (free_byte_offset_ && (free_byte_offset_ & (cluster_size_ - 1)) + size <= cluster_size_ &&
        refcount(free_byte_offset_ >> cluster_bits_) < refcount_max_) {
        uint64_t offset = free_byte_offset_;
        update_refcounts(offset, 1, 1);
        free_byte_offset_ = (offset + size) & (cluster_size_ - 1) ? offset + size : 0;
        return offset;
    }
    uint64_t offset = alloc_clusters((size + cluster_size_ - 1) >> cluster_bits_);
    uint64_t end = offset + size;
    free_byte_offset_ = (end & (cluster_size_ - 1)) ? end : 0;
    return offset;
}

}  // namespace mimic::block::qcow2
