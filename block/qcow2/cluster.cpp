// The write path: allocating clusters and L2 tables, copy-on-write from
// backing files, snapshots and compressed clusters, zero clusters.
#include "qcow2.h"

#include "compress.h"

#include "../endian.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace mimic::block::qcow2 {

uint64_t Qcow2Node::writable_l2(uint64_t offset) {
    uint64_t l2_coverage = uint64_t{cluster_size_} * l2_entries_;
    uint64_t l1_index = offset / l2_coverage;
    if (l1_index >= l1_.size()) grow_l1(static_cast<uint32_t>(l1_index + 1));
    uint64_t entry = l1_[l1_index];
    uint64_t old_l2 = entry & kOffsetMask;
    if (old_l2 && (old_l2 >> cluster_bits_) >= end_cluster_)
        corruption(fmt::format("L2 table offset {:#x} beyond the end of the image (L1 index: {})", old_l2, c_hex(l1_index)));
    if (old_l2 && (entry & kOflagCopied)) {
        if (old_l2 & (cluster_size_ - 1))
            corruption(fmt::format("L2 table offset {:#x} unaligned (L1 index: {})", old_l2, c_hex(l1_index)));
        return old_l2;
    }
    // A missing table is created; a table shared with a snapshot is copied
    // so the snapshot keeps its view.
    std::vector<uint8_t> table(cluster_size_, 0);
    if (old_l2) {
        if (old_l2 & (cluster_size_ - 1))
            corruption(fmt::format("L2 table offset {:#x} unaligned (L1 index: {})", old_l2, c_hex(l1_index)));
        const uint8_t* old = l2_cache_.get(old_l2, [this](uint64_t off, uint8_t* buf) { file_read(off, buf, cluster_size_); });
        std::memcpy(table.data(), old, cluster_size_);
    }
    uint64_t new_l2 = alloc_clusters(1);
    file_write(new_l2, table.data(), table.size());
    std::memcpy(l2_cache_.put_new(new_l2), table.data(), cluster_size_);
    l1_[l1_index] = new_l2 | kOflagCopied;
    uint8_t raw[8];
    store_be64(raw, l1_[l1_index]);
    file_write(header_.l1_table_offset + l1_index * 8, raw, 8);
    if (old_l2) free_clusters(old_l2, cluster_size_);
    return new_l2;
}

void Qcow2Node::set_l2_entries(uint64_t l2_offset, unsigned first, const std::vector<uint64_t>& entries,
                               const std::vector<uint64_t>* bitmaps) {
    uint8_t* table = l2_cache_.get(l2_offset, [this](uint64_t off, uint8_t* buf) { file_read(off, buf, cluster_size_); });
    for (size_t i = 0; i < entries.size(); ++i) {
        uint8_t* slot = table + (first + i) * l2_entry_bytes_;
        store_be64(slot, entries[i]);
        if (extended_l2_ && bitmaps) store_be64(slot + 8, (*bitmaps)[i]);
    }
    file_write(l2_offset + uint64_t{first} * l2_entry_bytes_, table + uint64_t{first} * l2_entry_bytes_,
               entries.size() * l2_entry_bytes_);
}

void Qcow2Node::release_entry(uint64_t entry) {
    if (entry & kOflagCompressed) {
        uint64_t host = entry & ((1ull << compressed_offset_bits_) - 1);
        uint64_t sectors = ((entry >> compressed_offset_bits_) & ((1ull << (cluster_bits_ - 8)) - 1)) + 1;
        uint64_t end = (host & ~uint64_t{511}) + sectors * 512;
        free_clusters(host, end - host);
        return;
    }
    uint64_t host = entry & kOffsetMask;
    if (host) free_clusters(host, cluster_size_);
}

void Qcow2Node::grow_l1(uint32_t min_size) {
    if (min_size <= l1_.size()) return;
    if (uint64_t{min_size} * 8 > kMaxL1Bytes) throw IoError{-EFBIG};
    uint64_t bytes = (uint64_t{min_size} * 8 + cluster_size_ - 1) & ~uint64_t{cluster_size_ - 1};
    uint32_t new_size = std::min<uint64_t>(bytes / 8, kMaxL1Bytes / 8);
    std::vector<uint64_t> table = l1_;
    table.resize(new_size, 0);
    std::vector<uint8_t> raw(bytes, 0);
    for (size_t i = 0; i < table.size(); ++i) store_be64(&raw[i * 8], table[i]);
    uint64_t offset = alloc_clusters(bytes >> cluster_bits_);
    file_write(offset, raw.data(), raw.size());
    if (int ret = file_->flush(); ret < 0) throw IoError{ret};
    uint64_t old_offset = header_.l1_table_offset;
    uint64_t old_bytes = uint64_t{header_.l1_size} * 8;
    l1_ = std::move(table);
    header_.l1_table_offset = offset;
    header_.l1_size = new_size;
    write_header();
    if (old_bytes) free_clusters(old_offset, (old_bytes + cluster_size_ - 1) & ~uint64_t{cluster_size_ - 1});
}

void Qcow2Node::write_locked(uint64_t offset, const uint8_t* buf, size_t bytes) {
    uint64_t l2_coverage = uint64_t{cluster_size_} * l2_entries_;
    while (bytes > 0) {
        uint64_t n = std::min<uint64_t>(bytes, l2_coverage - offset % l2_coverage);
        write_cluster_run(offset, buf, n);
        offset += n;
        buf += n;
        bytes -= n;
    }
}

// Writes within one L2 table. Clusters we own (COPIED) are written in place;
// the rest get fresh clusters, filled with the old contents where the write
// does not cover them, and only then are the L2 entries switched over.
void Qcow2Node::write_cluster_run(uint64_t offset, const uint8_t* buf, size_t bytes) {
    uint64_t l2_offset = writable_l2(offset);
    uint64_t l2_coverage = uint64_t{cluster_size_} * l2_entries_;
    uint64_t cmask = cluster_size_ - 1;
    uint64_t end = offset + bytes;

    auto in_place = [&](unsigned idx) {
        uint64_t entry = l2_entry(l2_offset, idx);
        if (entry & kOflagCompressed) return false;
        if (!(entry & kOflagCopied) || (entry & kOffsetMask) == 0) return false;
        if (!extended_l2_ && (entry & kOflagZero)) return false;
        return true;
    };

    uint64_t pos = offset;
    while (pos < end) {
        unsigned idx = static_cast<unsigned>((pos % l2_coverage) >> cluster_bits_);
        uint64_t cluster_start = pos & ~cmask;
        if (in_place(idx)) {
            uint64_t entry = l2_entry(l2_offset, idx);
            uint64_t host = entry & kOffsetMask;
            if (host & cmask)
                corruption(fmt::format("Cluster allocation offset {:#x} unaligned (L2 offset: {:#x}, L2 index: {})",
                                       host, l2_offset, c_hex(idx)));
            uint64_t n = std::min(end, cluster_start + cluster_size_) - pos;
            if ((host >> cluster_bits_) >= end_cluster_)
                corruption(fmt::format("Data cluster offset {:#x} beyond the end of the image (L2 offset: {:#x}, L2 index: {})",
                                       host, l2_offset, c_hex(idx)));
            if (!extended_l2_) {
                check_overlap(host + (pos - cluster_start), n);
                file_write(host + (pos - cluster_start), buf + (pos - offset), n);
            } else {
                // Subclusters not yet allocated must get their old contents
                // (backing or zeros) where the write covers them partially.
                uint64_t a = (pos - cluster_start) / subcluster_size_ * subcluster_size_;
                uint64_t b = (pos - cluster_start + n + subcluster_size_ - 1) / subcluster_size_ * subcluster_size_;
                std::vector<uint8_t> tmp(b - a);
                if (a < pos - cluster_start || b > pos - cluster_start + n)
                    read_locked(cluster_start + a, tmp.data(), tmp.size());
                std::memcpy(tmp.data() + (pos - cluster_start - a), buf + (pos - offset), n);
                check_overlap(host + a, tmp.size());
                file_write(host + a, tmp.data(), tmp.size());
                uint64_t bitmap = l2_bitmap(l2_offset, idx);
                for (uint64_t s = a / subcluster_size_; s < b / subcluster_size_; ++s) {
                    bitmap |= 1ull << s;
                    bitmap &= ~(1ull << (s + 32));
                }
                std::vector<uint64_t> e{entry}, bm{bitmap};
                set_l2_entries(l2_offset, idx, e, &bm);
            }
            pos += n;
            continue;
        }
        // A run of clusters that need new host clusters.
        unsigned first_idx = idx;
        uint64_t run_start = cluster_start;
        uint64_t run_end = run_start;
        while (run_end < end) {
            unsigned i = static_cast<unsigned>((run_end % l2_coverage) >> cluster_bits_);
            if (run_end != run_start && in_place(i)) break;
            run_end += cluster_size_;
        }
        uint64_t count = (run_end - run_start) >> cluster_bits_;
        std::vector<uint64_t> old_entries(count);
        for (uint64_t i = 0; i < count; ++i) old_entries[i] = l2_entry(l2_offset, first_idx + static_cast<unsigned>(i));

        uint64_t data_start = std::max(run_start, offset);
        uint64_t data_end = std::min(run_end, end);
        uint64_t host = alloc_clusters(count);
        if (data_start == run_start && data_end == run_end) {
            file_write(host, buf + (run_start - offset), run_end - run_start);
        } else {
            std::vector<uint8_t> tmp(run_end - run_start);
            // Old contents are needed only in the partially written first
            // and last clusters.
            uint64_t last = run_end - cluster_size_;
            if (data_start > run_start) read_locked(run_start, tmp.data(), cluster_size_);
            if (data_end < run_end && !(data_start > run_start && last == run_start))
                read_locked(last, tmp.data() + (last - run_start), cluster_size_);
            std::memcpy(tmp.data() + (data_start - run_start), buf + (data_start - offset), data_end - data_start);
            file_write(host, tmp.data(), tmp.size());
        }
        std::vector<uint64_t> entries(count), bitmaps(count, 0xffffffffull);
        for (uint64_t i = 0; i < count; ++i) entries[i] = (host + (i << cluster_bits_)) | kOflagCopied;
        set_l2_entries(l2_offset, first_idx, entries, &bitmaps);
        for (uint64_t e : old_entries) release_entry(e);
        pos = data_end;
    }
}

void Qcow2Node::zero_or_discard(uint64_t offset, uint64_t bytes, bool discard, bool may_unmap, bool full) {
    uint64_t cmask = cluster_size_ - 1;
    uint64_t end = std::min(offset + bytes, header_.size);
    if (offset >= end) return;
    uint64_t head_end = std::min(end, (offset + cmask) & ~cmask);
    uint64_t tail_start = std::max(head_end, end & ~cmask);
    // The image's last cluster may be partial; treat it as whole.
    if (end == header_.size) tail_start = end;

    auto zero_partial = [&](uint64_t start, uint64_t stop) {
        if (discard || start >= stop) return;
        std::vector<uint8_t> zeros(stop - start, 0);
        write_locked(start, zeros.data(), zeros.size());
    };
    zero_partial(offset, head_end);
    zero_partial(tail_start, end);

    bool v3 = header_.version >= 3;
    // A full discard unmaps even over a backing file (make_empty); a guest
    // discard must keep reading zeros, so it leaves zero clusters.
    bool unmap_all = discard && (!backing_ || full);
    if (!v3 && backing_ && !discard) {
        // v2 has no zero flag: only real zeros hide the backing file.
        for (uint64_t pos = head_end; pos < tail_start;) {
            uint64_t n = std::min<uint64_t>(tail_start - pos, 1 << 20);
            std::vector<uint8_t> zeros(n, 0);
            write_locked(pos, zeros.data(), n);
            pos += n;
        }
        return;
    }
    if (!v3 && backing_ && !full) return;   // discard: leave the data, it is a hint

    uint64_t l2_coverage = uint64_t{cluster_size_} * l2_entries_;
    for (uint64_t pos = head_end; pos < tail_start;) {
        uint64_t n = std::min(tail_start - pos, l2_coverage - pos % l2_coverage);
        uint64_t l1_index = pos / l2_coverage;
        bool no_table = l1_index >= l1_.size() || (l1_[l1_index] & kOffsetMask) == 0;
        if (no_table && (!backing_ || full)) { pos += n; continue; }   // reads as zeros already
        uint64_t l2_offset = writable_l2(pos);
        unsigned first = static_cast<unsigned>((pos % l2_coverage) >> cluster_bits_);
        uint64_t count = (n + cmask) >> cluster_bits_;
        std::vector<uint64_t> entries(count), bitmaps(count), released;
        for (uint64_t i = 0; i < count; ++i) {
            uint64_t old = l2_entry(l2_offset, first + static_cast<unsigned>(i));
            uint64_t host = old & kOffsetMask;
            bool owned = !(old & kOflagCompressed) && (old & kOflagCopied) && host;
            bool keep = owned && !may_unmap;
            uint64_t entry;
            uint64_t bitmap;
            if (!v3 || unmap_all) {
                // Without a backing file an unallocated cluster reads as zeros.
                entry = 0;
                bitmap = 0;
            } else if (extended_l2_) {
                entry = keep ? (host | kOflagCopied) : 0;
                bitmap = 0xffffffffull << 32;
            } else {
                entry = keep ? (host | kOflagCopied | kOflagZero) : kOflagZero;
                bitmap = 0;
            }
            if (!v3 || unmap_all) keep = false;
            entries[i] = entry;
            bitmaps[i] = bitmap;
            if (!keep && (old & (kOflagCompressed | kOffsetMask))) released.push_back(old);
        }
        set_l2_entries(l2_offset, first, entries, &bitmaps);
        for (uint64_t e : released) release_entry(e);
        pos += n;
    }
}

int Qcow2Node::pwrite_compressed(uint64_t offset, const void* buf, size_t bytes) {
    if (offset & (cluster_size_ - 1)) return -EINVAL;
    if (bytes != cluster_size_ && offset + bytes != header_.size) return -EINVAL;
    // Compress before taking the lock so that callers with several threads
    // (convert -c) compress in parallel.
    std::vector<uint8_t> cluster(cluster_size_, 0);
    std::memcpy(cluster.data(), buf, bytes);
    auto packed = compress_cluster(header_.compression_type, cluster.data(), cluster_size_);
    std::unique_lock lock(mutex_);
    if (read_only_) return -EACCES;
    mark_bitmaps_dirty(offset, bytes);
    // Data that does not shrink is stored plainly, as QEMU does.
    if (!packed) return guarded([&] { write_locked(offset, static_cast<const uint8_t*>(buf), bytes); });
    // The space is claimed (refcount on disk) under the lock, the data is
    // written without it, and the L2 entry switched under it again: a crash
    // in between only leaks, and writers of other clusters are not held up.
    uint64_t host = 0;
    if (int ret = guarded([&] { host = alloc_bytes(packed->size()); }); ret < 0) return ret;
    lock.unlock();
    if (int ret = file_->pwrite(host, packed->data(), packed->size()); ret < 0) return ret;
    lock.lock();
    // The old cluster may be freed below: no transfer may still use it.
    data_io_idle_.wait(lock, [this] { return data_io_in_flight_ == 0; });
    if (read_only_) return -EACCES;
    return guarded([&] {
        uint64_t l2_offset = writable_l2(offset);
        unsigned idx = static_cast<unsigned>((offset >> cluster_bits_) % l2_entries_);
        uint64_t old = l2_entry(l2_offset, idx);
        uint64_t extra_sectors = ((host + packed->size() - 1) >> 9) - (host >> 9);
        uint64_t entry = kOflagCompressed | (extra_sectors << compressed_offset_bits_) | host;
        std::vector<uint64_t> e{entry}, bm{0};
        set_l2_entries(l2_offset, idx, e, &bm);
        decompressed_entry_ = 0;
        release_entry(old);
    });
}

void Qcow2Node::read_compressed(uint64_t entry, uint8_t* cluster_buf) {
    uint64_t host = entry & ((1ull << compressed_offset_bits_) - 1);
    uint64_t sectors = ((entry >> compressed_offset_bits_) & ((1ull << (cluster_bits_ - 8)) - 1)) + 1;
    uint64_t size = sectors * 512 - (host & 511);
    std::vector<uint8_t> packed(size);
    file_read(host, packed.data(), size);
    if (!decompress_cluster(header_.compression_type, packed.data(), size, cluster_buf, cluster_size_))
        corruption(fmt::format("Could not decompress cluster at host offset {:#x}", host));
}

}  // namespace mimic::block::qcow2
