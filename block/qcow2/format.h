// On-disk layout of qcow2 (versions 2 and 3), per QEMU's public
// specification docs/interop/qcow2.txt. Everything on disk is big-endian.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mimic::block::qcow2 {

constexpr uint32_t kMagic = 0x514649fb;   // "QFI\xfb"
constexpr uint32_t kV2HeaderLength = 72;
constexpr uint32_t kV3HeaderLength = 104;
constexpr uint32_t kV3HeaderLengthWithCompression = 112;

constexpr int kMinClusterBits = 9;
constexpr int kMaxClusterBits = 21;

// Incompatible features.
constexpr uint64_t kIncompatDirty = 1ull << 0;
constexpr uint64_t kIncompatCorrupt = 1ull << 1;
constexpr uint64_t kIncompatDataFile = 1ull << 2;
constexpr uint64_t kIncompatCompression = 1ull << 3;
constexpr uint64_t kIncompatExtendedL2 = 1ull << 4;
constexpr uint64_t kIncompatKnown = 0x1f;
// Compatible features.
constexpr uint64_t kCompatLazyRefcounts = 1ull << 0;
// Autoclear features.
constexpr uint64_t kAutoclearBitmaps = 1ull << 0;
constexpr uint64_t kAutoclearDataFileRaw = 1ull << 1;

// Header extension types.
constexpr uint32_t kExtEnd = 0;
constexpr uint32_t kExtBackingFormat = 0xe2792aca;
constexpr uint32_t kExtFeatureTable = 0x6803f857;
constexpr uint32_t kExtBitmaps = 0x23852875;
constexpr uint32_t kExtCrypto = 0x0537be77;
constexpr uint32_t kExtDataFile = 0x44415441;

// L1 and L2 entries.
constexpr uint64_t kOflagCopied = 1ull << 63;
constexpr uint64_t kOflagCompressed = 1ull << 62;
constexpr uint64_t kOflagZero = 1ull << 0;
constexpr uint64_t kOffsetMask = 0x00fffffffffffe00ull;   // bits 9..55
constexpr uint64_t kL1ReservedMask = 0x7f000000000001ffull;
constexpr uint64_t kL2ReservedMask = 0x3f000000000001feull;
constexpr uint64_t kRefTableReservedMask = 0x1ffull;

constexpr int kSubclusters = 32;   // per cluster with extended L2
constexpr uint64_t kL2BitmapAllAlloc = 0xffffffffull;   // low half: allocated

// What an L2 entry (with extended L2, and its subcluster bitmap) says of one
// subcluster, as the specification defines it. The "alloc" kinds own a host
// cluster even where they read as zeros or from the backing file; an entry
// whose bitmap contradicts itself is invalid in all its subclusters.
enum class SubclusterType {
    kUnallocatedPlain,
    kUnallocatedAlloc,
    kZeroPlain,
    kZeroAlloc,
    kNormal,
    kCompressed,
    kInvalid,
};

inline SubclusterType subcluster_type(uint64_t entry, uint64_t bitmap, unsigned sc, bool extended_l2) {
    if (entry & kOflagCompressed) return SubclusterType::kCompressed;
    bool has_host = entry & kOffsetMask;
    if (!extended_l2) {
        if (entry & kOflagZero) return has_host ? SubclusterType::kZeroAlloc : SubclusterType::kZeroPlain;
        return has_host ? SubclusterType::kNormal : SubclusterType::kUnallocatedPlain;
    }
    bool alloc = bitmap >> sc & 1;
    bool zero = bitmap >> (32 + sc) & 1;
    if (has_host) {
        if ((bitmap >> 32) & bitmap & kL2BitmapAllAlloc) return SubclusterType::kInvalid;
        return zero ? SubclusterType::kZeroAlloc : alloc ? SubclusterType::kNormal : SubclusterType::kUnallocatedAlloc;
    }
    if (bitmap & kL2BitmapAllAlloc) return SubclusterType::kInvalid;
    return zero ? SubclusterType::kZeroPlain : SubclusterType::kUnallocatedPlain;
}

// The kinds whose entry names a host cluster, which must then be aligned.
inline bool has_host_cluster(SubclusterType type) {
    return type == SubclusterType::kNormal || type == SubclusterType::kZeroAlloc ||
           type == SubclusterType::kUnallocatedAlloc;
}

constexpr uint8_t kCompressionZlib = 0;
constexpr uint8_t kCompressionZstd = 1;

// QEMU's limits, which keep hostile headers from making us allocate absurd
// amounts of memory.
constexpr uint64_t kMaxL1Bytes = 32ull << 20;
constexpr uint64_t kMaxRefTableBytes = 8ull << 20;
constexpr uint32_t kMaxSnapshots = 65536;
constexpr uint32_t kMaxBackingNameLength = 1023;

// Where a table (L1, refcount, snapshot) may lie, as QEMU judges it: at a
// cluster boundary, ending below 2^63 bytes. Its message is
// "<table> offset invalid".
inline bool valid_table_offset(uint64_t offset, uint64_t bytes, uint32_t cluster_bits) {
    constexpr uint64_t kInt64Max = ~0ull >> 1;
    return (offset & ((1ull << cluster_bits) - 1)) == 0 && bytes <= kInt64Max && offset <= kInt64Max - bytes;
}

struct Header {
    uint32_t version = 3;
    uint64_t backing_file_offset = 0;
    uint32_t backing_file_size = 0;
    uint32_t cluster_bits = 16;
    uint64_t size = 0;
    uint32_t crypt_method = 0;
    uint32_t l1_size = 0;
    uint64_t l1_table_offset = 0;
    uint64_t refcount_table_offset = 0;
    uint32_t refcount_table_clusters = 0;
    uint32_t nb_snapshots = 0;
    uint64_t snapshots_offset = 0;
    uint64_t incompatible_features = 0;
    uint64_t compatible_features = 0;
    uint64_t autoclear_features = 0;
    uint32_t refcount_order = 4;
    uint32_t header_length = kV3HeaderLengthWithCompression;
    uint8_t compression_type = kCompressionZlib;
};

struct Extension {
    uint32_t type;
    std::vector<uint8_t> data;
};

// Parses and validates the fixed header; throws mimic::Error.
Header parse_header(const uint8_t* buf, size_t length, uint64_t file_size);

// Parses the extension area that starts at `offset` in the header cluster.
// Throws mimic::Error on malformed extensions.
std::vector<Extension> parse_extensions(const uint8_t* cluster, size_t cluster_size, size_t offset);

// Builds the header cluster: header, extensions (a feature table and the
// backing format are generated, `preserved` ones are kept as they were),
// end marker and backing file name. Updates `header`'s backing fields.
// Throws mimic::Error if it does not fit in one cluster.
std::vector<uint8_t> build_header_cluster(Header& header, const std::vector<Extension>& preserved,
                                          const std::string& backing_file,
                                          const std::string& backing_format);

}  // namespace mimic::block::qcow2
