// Cluster compression for qcow2: raw deflate (zlib type) or a zstd frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace mimic::block::qcow2 {

// Compressed form of one cluster, or nullopt if it would not be smaller.
std::optional<std::vector<uint8_t>> compress_cluster(uint8_t type, const uint8_t* data, size_t size);

// Fills `out` with exactly `out_size` bytes from `in`; trailing bytes in
// `in` (the rest of the last sector) are ignored. False on bad data.
bool decompress_cluster(uint8_t type, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size);

}  // namespace mimic::block::qcow2
