// Persistent dirty bitmaps (header extension 0x23852875), kept as QEMU keeps
// them: a read-write open loads every consistent bitmap and marks it in-use
// on disk; guest writes, zero writes and discards set bits in enabled
// ("auto") bitmaps; a clean close stores the bits and clears in-use. A
// bitmap found in-use was left by a writer that stopped without storing it:
// it is inconsistent, kept untouched and shown with the in-use flag.
#include "qcow2.h"

#include "../endian.h"

#include "mimic/util/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace mimic::block::qcow2 {
namespace {

constexpr uint32_t kBitmapInUse = 1u << 0;
constexpr uint32_t kBitmapAuto = 1u << 1;
constexpr uint32_t kBitmapExtraDataCompatible = 1u << 2;
constexpr uint32_t kBitmapKnownFlags = kBitmapInUse | kBitmapAuto | kBitmapExtraDataCompatible;
constexpr uint8_t kBitmapTypeDirtyTracking = 1;
constexpr uint64_t kMaxBitmapDirectoryBytes = 64ull << 20;   // QEMU's limit
constexpr uint32_t kMaxBitmaps = 65535;

}  // namespace

const Extension* Qcow2Node::bitmaps_extension() const {
    if (!(header_.autoclear_features & kAutoclearBitmaps)) return nullptr;
    for (const auto& ext : preserved_extensions_)
        if (ext.type == kExtBitmaps) return ext.data.size() >= 24 ? &ext : nullptr;
    return nullptr;
}

uint64_t Qcow2Node::bitmap_table_entries(uint32_t granularity_bits) const {
    uint64_t bits = (header_.size + (1ull << granularity_bits) - 1) >> granularity_bits;
    uint64_t bytes = (bits + 7) / 8;
    return (bytes + cluster_size_ - 1) >> cluster_bits_;
}

void Qcow2Node::load_bitmap_directory() {
    bitmaps_.clear();
    const Extension* ext = bitmaps_extension();
    if (!ext) return;
    uint32_t count = load_be32(&ext->data[0]);
    uint64_t dir_size = load_be64(&ext->data[8]);
    uint64_t dir_offset = load_be64(&ext->data[16]);
    uint64_t file_size = file_->size();
    auto inside = [&](uint64_t offset, uint64_t length) { return offset <= file_size && length <= file_size - offset; };
    if (count == 0 || count > kMaxBitmaps || dir_size == 0 || dir_size > kMaxBitmapDirectoryBytes ||
        !inside(dir_offset, dir_size) || (dir_offset & (cluster_size_ - 1)))
        throw Error("Invalid bitmap directory");
    std::vector<uint8_t> dir(dir_size);
    file_read(dir_offset, dir.data(), dir.size());
    size_t at = 0;
    for (uint32_t i = 0; i < count; ++i) {
        if (at + 24 > dir.size()) throw Error("Invalid bitmap directory");
        PersistentBitmap bm;
        bm.entry_offset = dir_offset + at;
        bm.table_offset = load_be64(&dir[at]);
        bm.table_size = load_be32(&dir[at + 8]);
        bm.flags = load_be32(&dir[at + 12]);
        uint8_t type = dir[at + 16];
        bm.granularity_bits = dir[at + 17];
        uint16_t name_size = load_be16(&dir[at + 18]);
        uint32_t extra = load_be32(&dir[at + 20]);
        uint64_t entry_size = (24 + uint64_t{extra} + name_size + 7) & ~uint64_t{7};
        if (at + entry_size > dir.size() || name_size == 0) throw Error("Invalid bitmap directory");
        bm.name.assign(reinterpret_cast<const char*>(&dir[at + 24 + extra]), name_size);
        at += entry_size;
        if (type != kBitmapTypeDirtyTracking || (bm.flags & ~kBitmapKnownFlags) ||
            (extra && !(bm.flags & kBitmapExtraDataCompatible)))
            throw Error("Bitmap '{}' has unsupported type or flags", bm.name);
        if (bm.granularity_bits < 9 || bm.granularity_bits > 31)
            throw Error("Bitmap '{}' has an invalid granularity", bm.name);
        if (bm.table_size != bitmap_table_entries(bm.granularity_bits) ||
            (bm.table_offset & (cluster_size_ - 1)) || !inside(bm.table_offset, uint64_t{bm.table_size} * 8))
            throw Error("Bitmap '{}' has an invalid bitmap table", bm.name);
        bitmaps_.push_back(std::move(bm));
    }
}

void Qcow2Node::open_bitmaps_for_writing() {
    if (!bitmaps_extension()) {
        // The extension is stale when the autoclear bit is clear (an old
        // writer did not know it): it goes, as in QEMU.
        auto stale = std::remove_if(preserved_extensions_.begin(), preserved_extensions_.end(),
                                    [](const Extension& e) { return e.type == kExtBitmaps; });
        if (stale != preserved_extensions_.end()) {
            preserved_extensions_.erase(stale, preserved_extensions_.end());
            write_header();
        }
        return;
    }
    bool marked = false;
    for (auto& bm : bitmaps_) {
        if (bm.flags & kBitmapInUse) continue;   // inconsistent: left alone
        std::vector<uint8_t> raw(uint64_t{bm.table_size} * 8);
        file_read(bm.table_offset, raw.data(), raw.size());
        bm.table.resize(bm.table_size);
        uint64_t bits = (header_.size + (1ull << bm.granularity_bits) - 1) >> bm.granularity_bits;
        bm.bits.assign((bits + 7) / 8, 0);
        for (uint32_t j = 0; j < bm.table_size; ++j) {
            uint64_t entry = load_be64(&raw[j * 8]);
            bm.table[j] = entry;
            uint64_t first = uint64_t{j} << cluster_bits_;
            uint64_t n = std::min<uint64_t>(cluster_size_, bm.bits.size() - first);
            uint64_t data = entry & kOffsetMask;
            if (data) {
                if ((data & (cluster_size_ - 1)) || (data >> cluster_bits_) >= end_cluster_)
                    throw Error("Bitmap '{}' has an invalid bitmap table", bm.name);
                file_read(data, bm.bits.data() + first, n);
            } else if (entry & 1) {
                std::memset(bm.bits.data() + first, 0xff, n);
            }
        }
        bm.tracked = true;
        bm.flags |= kBitmapInUse;
        uint8_t flags[4];
        store_be32(flags, bm.flags);
        file_write(bm.entry_offset + 12, flags, 4);
        marked = true;
    }
    if (marked) {
        if (int ret = file_->flush(); ret < 0) throw IoError{ret};
    }
}

void Qcow2Node::mark_bitmaps_dirty(uint64_t offset, uint64_t bytes) {
    if (bytes == 0) return;
    for (auto& bm : bitmaps_) {
        if (!bm.tracked || !(bm.flags & kBitmapAuto) || bm.bits.empty()) continue;
        uint64_t first = offset >> bm.granularity_bits;
        uint64_t last = (offset + bytes - 1) >> bm.granularity_bits;
        last = std::min<uint64_t>(last, bm.bits.size() * 8 - 1);
        for (uint64_t b = first; b <= last; ++b) {
            if ((b & 7) == 0 && b + 8 <= last + 1) {
                bm.bits[b / 8] = 0xff;
                b += 7;
                continue;
            }
            bm.bits[b / 8] |= static_cast<uint8_t>(1u << (b & 7));
        }
        bm.changed = true;
    }
}

void Qcow2Node::store_bitmaps() {
    bool stored = false;
    for (auto& bm : bitmaps_) {
        if (!bm.tracked) continue;
        // The disk may have been resized: new bits are clean, bits past the
        // new end go.
        uint64_t nbits = (header_.size + (1ull << bm.granularity_bits) - 1) >> bm.granularity_bits;
        uint64_t nbytes = (nbits + 7) / 8;
        if (nbytes != bm.bits.size()) bm.changed = true;
        bm.bits.resize(nbytes, 0);
        if (nbits % 8) bm.bits.back() &= static_cast<uint8_t>((1u << (nbits % 8)) - 1);
        uint64_t entries = bitmap_table_entries(bm.granularity_bits);
        if (bm.changed) {
            std::vector<uint64_t> table = bm.table;
            for (uint64_t j = entries; j < table.size(); ++j)
                if (table[j] & kOffsetMask) free_clusters(table[j] & kOffsetMask, cluster_size_);
            table.resize(entries, 0);
            std::vector<uint8_t> chunk(cluster_size_);
            for (uint64_t j = 0; j < entries; ++j) {
                uint64_t first = j << cluster_bits_;
                uint64_t n = std::min<uint64_t>(cluster_size_, nbytes - first);
                std::fill(chunk.begin(), chunk.end(), 0);
                std::memcpy(chunk.data(), bm.bits.data() + first, n);
                bool zero = std::all_of(chunk.begin(), chunk.begin() + n, [](uint8_t v) { return v == 0; });
                uint64_t data = table[j] & kOffsetMask;
                if (zero) {
                    if (data) free_clusters(data, cluster_size_);
                    table[j] = 0;
                    continue;
                }
                if (!data) data = alloc_clusters(1);
                check_overlap(data, cluster_size_);
                file_write(data, chunk.data(), chunk.size());
                table[j] = data;
            }
            std::vector<uint8_t> raw(entries * 8);
            for (uint64_t j = 0; j < entries; ++j) store_be64(&raw[j * 8], table[j]);
            uint64_t table_bytes = (entries * 8 + cluster_size_ - 1) & ~uint64_t{cluster_size_ - 1};
            uint64_t old_bytes = (uint64_t{bm.table_size} * 8 + cluster_size_ - 1) & ~uint64_t{cluster_size_ - 1};
            if (table_bytes == old_bytes && bm.table_offset) {
                file_write(bm.table_offset, raw.data(), raw.size());
            } else {
                // A table of another size moves; its entry switches after
                // the new one is written (in-use still guards the bitmap).
                uint64_t offset = alloc_clusters(table_bytes >> cluster_bits_);
                file_write(offset, raw.data(), raw.size());
                if (int ret = file_->flush(); ret < 0) throw IoError{ret};
                uint8_t location[12];
                store_be64(location, offset);
                store_be32(location + 8, static_cast<uint32_t>(entries));
                file_write(bm.entry_offset, location, sizeof location);
                if (old_bytes) free_clusters(bm.table_offset, old_bytes);
                bm.table_offset = offset;
            }
            bm.table = std::move(table);
            bm.table_size = static_cast<uint32_t>(entries);
            bm.changed = false;
        }
        stored = true;
    }
    if (!stored) return;
    // The bits reach the disk before the flags that say they are valid.
    if (int ret = file_->flush(); ret < 0) throw IoError{ret};
    for (auto& bm : bitmaps_) {
        if (!bm.tracked) continue;
        bm.flags &= ~kBitmapInUse;
        uint8_t flags[4];
        store_be32(flags, bm.flags);
        file_write(bm.entry_offset + 12, flags, 4);
        bm.tracked = false;
    }
    if (int ret = file_->flush(); ret < 0) throw IoError{ret};
}

std::vector<BitmapInfo> Qcow2Node::bitmap_info() const {
    std::vector<BitmapInfo> list;
    for (const auto& bm : bitmaps_) {
        BitmapInfo info;
        info.name = bm.name;
        info.granularity = 1ull << bm.granularity_bits;
        // Tracked bitmaps are in-use on disk only while this node has them.
        if ((bm.flags & kBitmapInUse) && !bm.tracked) info.flags.push_back("in-use");
        if (bm.flags & kBitmapAuto) info.flags.push_back("auto");
        list.push_back(std::move(info));
    }
    return list;
}

std::vector<std::pair<uint64_t, uint64_t>> Qcow2Node::bitmap_ranges() {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    const Extension* ext = bitmaps_extension();
    if (!ext) return ranges;
    uint32_t count = load_be32(&ext->data[0]);
    uint64_t dir_size = load_be64(&ext->data[8]);
    uint64_t dir_offset = load_be64(&ext->data[16]);
    // Everything must lie inside the file; that also bounds the work.
    uint64_t file_size = file_->size();
    auto inside = [&](uint64_t offset, uint64_t length) { return offset < file_size && length <= file_size - offset; };
    if (dir_size == 0 || !inside(dir_offset, dir_size) || (dir_offset & (cluster_size_ - 1))) return ranges;
    ranges.emplace_back(dir_offset, dir_size);
    std::vector<uint8_t> dir(dir_size);
    file_read(dir_offset, dir.data(), dir.size());
    size_t at = 0;
    for (uint32_t i = 0; i < count && at + 24 <= dir.size(); ++i) {
        uint64_t table_offset = load_be64(&dir[at]);
        uint32_t table_size = load_be32(&dir[at + 8]);
        uint16_t name_size = load_be16(&dir[at + 18]);
        uint32_t extra = load_be32(&dir[at + 20]);
        at += (24 + uint64_t{extra} + name_size + 7) & ~uint64_t{7};
        if (!table_offset || (table_offset & (cluster_size_ - 1)) || !inside(table_offset, uint64_t{table_size} * 8))
            continue;
        ranges.emplace_back(table_offset, uint64_t{table_size} * 8);
        std::vector<uint8_t> table(uint64_t{table_size} * 8);
        file_read(table_offset, table.data(), table.size());
        for (uint32_t j = 0; j < table_size; ++j) {
            uint64_t data = load_be64(&table[j * 8]) & kOffsetMask;
            if (data && !(data & (cluster_size_ - 1))) ranges.emplace_back(data, cluster_size_);
        }
    }
    return ranges;
}

}  // namespace mimic::block::qcow2
