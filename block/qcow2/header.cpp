#include "format.h"

#include "../endian.h"

#include "mimic/util/error.h"

#include <algorithm>
#include <cstring>

namespace mimic::block::qcow2 {
namespace {

struct FeatureName {
    uint8_t type;   // 0 incompatible, 1 compatible, 2 autoclear
    uint8_t bit;
    const char* name;
};

constexpr FeatureName kFeatureNames[] = {
    {0, 0, "dirty bit"},
    {0, 1, "corrupt bit"},
    {0, 2, "external data file"},
    {0, 3, "compression type"},
    {0, 4, "extended L2 entries"},
    {1, 0, "lazy refcounts"},
    {2, 0, "bitmaps"},
    {2, 1, "raw external data"},
};

void append_extension(std::vector<uint8_t>& out, uint32_t type, const uint8_t* data, size_t length) {
    size_t at = out.size();
    out.resize(at + 8 + ((length + 7) & ~size_t{7}), 0);
    store_be32(&out[at], type);
    store_be32(&out[at + 4], static_cast<uint32_t>(length));
    if (length) std::memcpy(&out[at + 8], data, length);
}

}  // namespace

Header parse_header(const uint8_t* buf, size_t length, uint64_t file_size) {
    if (length < kV2HeaderLength || file_size < kV2HeaderLength)
        throw Error("Image is not in qcow2 format");
    if (load_be32(buf) != kMagic) throw Error("Image is not in qcow2 format");
    Header h;
    h.version = load_be32(buf + 4);
    if (h.version < 2 || h.version > 3) throw Error("Unsupported qcow2 version {}", h.version);
    h.backing_file_offset = load_be64(buf + 8);
    h.backing_file_size = load_be32(buf + 16);
    h.cluster_bits = load_be32(buf + 20);
    h.size = load_be64(buf + 24);
    h.crypt_method = load_be32(buf + 32);
    h.l1_size = load_be32(buf + 36);
    h.l1_table_offset = load_be64(buf + 40);
    h.refcount_table_offset = load_be64(buf + 48);
    h.refcount_table_clusters = load_be32(buf + 56);
    h.nb_snapshots = load_be32(buf + 60);
    h.snapshots_offset = load_be64(buf + 64);
    if (h.version == 2) {
        h.incompatible_features = h.compatible_features = h.autoclear_features = 0;
        h.refcount_order = 4;
        h.header_length = kV2HeaderLength;
        h.compression_type = kCompressionZlib;
    } else {
        if (length < kV3HeaderLength) throw Error("qcow2 header too short");
        h.incompatible_features = load_be64(buf + 72);
        h.compatible_features = load_be64(buf + 80);
        h.autoclear_features = load_be64(buf + 88);
        h.refcount_order = load_be32(buf + 96);
        h.header_length = load_be32(buf + 100);
        if (h.header_length < kV3HeaderLength) throw Error("qcow2 header too short");
        h.compression_type = h.header_length > 104 ? buf[104] : kCompressionZlib;
    }
    if (h.cluster_bits < kMinClusterBits || h.cluster_bits > kMaxClusterBits)
        throw Error("Unsupported cluster size: 2^{}", h.cluster_bits);
    uint64_t cluster_size = 1ull << h.cluster_bits;
    if (h.header_length > cluster_size) throw Error("qcow2 header exceeds cluster size");
    if (h.refcount_order > 6)
        throw Error("Reference count entry width too large; may not exceed 64 bits");
    if (h.backing_file_offset > cluster_size) throw Error("Invalid backing file offset");
    // Without an offset there is no backing file, whatever the size says.
    if (h.backing_file_offset != 0 &&
        h.backing_file_size > std::min<uint64_t>(kMaxBackingNameLength, cluster_size - h.backing_file_offset))
        throw Error("Backing file name too long");
    if (h.compression_type > kCompressionZstd)
        throw Error("Unknown compression type '{}'", h.compression_type);
    if (h.compression_type != kCompressionZlib && !(h.incompatible_features & kIncompatCompression))
        throw Error("Compression type incompatible feature bit must be set for a non-zlib compression type");
    // Table placement: small enough to load into memory, and where a table
    // may lie (even an empty one, as QEMU checks). An empty refcount table
    // is refused by the open, unless for check.
    uint64_t reftable_bytes = uint64_t{h.refcount_table_clusters} << h.cluster_bits;
    if (reftable_bytes > kMaxRefTableBytes) throw Error("Reference count table too large");
    if (!valid_table_offset(h.refcount_table_offset, reftable_bytes, h.cluster_bits))
        throw Error("Reference count table offset invalid");
    if (h.nb_snapshots > kMaxSnapshots) throw Error("Too many snapshots");
    if (!valid_table_offset(h.snapshots_offset, uint64_t{h.nb_snapshots} * 40, h.cluster_bits))
        throw Error("Snapshot table offset invalid");
    if (uint64_t{h.l1_size} * 8 > kMaxL1Bytes) throw Error("Active L1 table too large");
    if (!valid_table_offset(h.l1_table_offset, uint64_t{h.l1_size} * 8, h.cluster_bits))
        throw Error("Active L1 table offset invalid");
    if (h.crypt_method != 0) throw Error("Encrypted qcow2 images are not supported");
    uint64_t unknown = h.incompatible_features & ~kIncompatKnown;
    if (unknown) throw Error("Unsupported qcow2 feature(s): Unknown incompatible feature: {:x}", unknown);
    if (h.incompatible_features & kIncompatDataFile)
        throw Error("Unsupported qcow2 feature(s): external data file");
    return h;
}

std::vector<Extension> parse_extensions(const uint8_t* cluster, size_t cluster_size, size_t offset) {
    std::vector<Extension> extensions;
    while (offset + 8 <= cluster_size) {
        uint32_t type = load_be32(cluster + offset);
        uint32_t length = load_be32(cluster + offset + 4);
        offset += 8;
        if (type == kExtEnd) return extensions;
        if (length > cluster_size - offset) throw Error("Invalid header extension length");
        Extension ext{type, std::vector<uint8_t>(cluster + offset, cluster + offset + length)};
        extensions.push_back(std::move(ext));
        offset += (uint64_t{length} + 7) & ~uint64_t{7};
    }
    // Running off the cluster without an end marker is how v2 images made
    // by very old writers end; accept it.
    return extensions;
}

std::vector<uint8_t> build_header_cluster(Header& h, const std::vector<Extension>& preserved,
                                          const std::string& backing_file,
                                          const std::string& backing_format) {
    std::vector<uint8_t> out(h.version == 2 ? kV2HeaderLength : kV3HeaderLengthWithCompression, 0);
    if (h.version == 3) h.header_length = kV3HeaderLengthWithCompression;
    else h.header_length = kV2HeaderLength;

    if (!backing_format.empty())
        append_extension(out, kExtBackingFormat, reinterpret_cast<const uint8_t*>(backing_format.data()),
                         backing_format.size());
    std::vector<uint8_t> table;
    for (const auto& f : kFeatureNames) {
        uint8_t entry[48] = {};
        entry[0] = f.type;
        entry[1] = f.bit;
        std::memcpy(entry + 2, f.name, std::min<size_t>(std::strlen(f.name), 46));
        table.insert(table.end(), entry, entry + 48);
    }
    append_extension(out, kExtFeatureTable, table.data(), table.size());
    for (const auto& ext : preserved) append_extension(out, ext.type, ext.data.data(), ext.data.size());
    append_extension(out, kExtEnd, nullptr, 0);

    if (!backing_file.empty()) {
        h.backing_file_offset = out.size();
        h.backing_file_size = static_cast<uint32_t>(backing_file.size());
        out.insert(out.end(), backing_file.begin(), backing_file.end());
    } else {
        h.backing_file_offset = 0;
        h.backing_file_size = 0;
    }
    if (out.size() > (1ull << h.cluster_bits))
        throw Error("Header extensions and backing file name do not fit in the first cluster");

    uint8_t* b = out.data();
    store_be32(b, kMagic);
    store_be32(b + 4, h.version);
    store_be64(b + 8, h.backing_file_offset);
    store_be32(b + 16, h.backing_file_size);
    store_be32(b + 20, h.cluster_bits);
    store_be64(b + 24, h.size);
    store_be32(b + 32, h.crypt_method);
    store_be32(b + 36, h.l1_size);
    store_be64(b + 40, h.l1_table_offset);
    store_be64(b + 48, h.refcount_table_offset);
    store_be32(b + 56, h.refcount_table_clusters);
    store_be32(b + 60, h.nb_snapshots);
    store_be64(b + 64, h.snapshots_offset);
    if (h.version == 3) {
        store_be64(b + 72, h.incompatible_features);
        store_be64(b + 80, h.compatible_features);
        store_be64(b + 88, h.autoclear_features);
        store_be32(b + 96, h.refcount_order);
        store_be32(b + 100, h.header_length);
        b[104] = h.compression_type;
    }
    return out;
}

}  // namespace mimic::block::qcow2
