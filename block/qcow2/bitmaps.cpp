// Persistent dirty bitmaps (header extension 0x23852875). Mimic does not
// maintain them: read-only opens keep them untouched, and their clusters
// count as referenced in checks; a read-write open frees them and drops the
// extension, because bitmaps that miss our writes would mislead QEMU's
// incremental backups.
#include "qcow2.h"

#include "../endian.h"

#include <cstdio>

namespace mimic::block::qcow2 {

std::vector<std::pair<uint64_t, uint64_t>> Qcow2Node::bitmap_ranges() {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    if (!(header_.autoclear_features & kAutoclearBitmaps)) return ranges;
    for (const auto& ext : preserved_extensions_) {
        if (ext.type != kExtBitmaps || ext.data.size() < 24) continue;
        uint32_t count = load_be32(&ext.data[0]);
        uint64_t dir_size = load_be64(&ext.data[8]);
        uint64_t dir_offset = load_be64(&ext.data[16]);
        // Everything must lie inside the file; that also bounds the work.
        uint64_t file_size = file_->size();
        auto inside = [&](uint64_t offset, uint64_t length) {
            return offset < file_size && length <= file_size - offset;
        };
        if (dir_size == 0 || !inside(dir_offset, dir_size) || (dir_offset & (cluster_size_ - 1))) continue;
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
    }
    return ranges;
}

void Qcow2Node::drop_bitmaps() {
    auto ranges = bitmap_ranges();
    if (ranges.empty()) return;
    std::fprintf(stderr, "mimic: warning: '%s': persistent dirty bitmaps are not supported; dropping them\n",
                 filename_.c_str());
    std::vector<Extension> kept;
    for (auto& ext : preserved_extensions_)
        if (ext.type != kExtBitmaps) kept.push_back(std::move(ext));
    preserved_extensions_ = std::move(kept);
    header_.autoclear_features &= ~kAutoclearBitmaps;
    // The header stops pointing at the bitmaps before their space is freed.
    write_header();
    for (const auto& [offset, length] : ranges) free_clusters(offset, length);
}

}  // namespace mimic::block::qcow2
