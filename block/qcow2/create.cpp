// A fresh image: header, a one-cluster refcount table and one refcount
// block describing the first three clusters. The L1 table and everything
// else come from growing the empty image to its size (resize.cpp), the same
// path a later "resize" takes.
#include "qcow2.h"

#include "../endian.h"

#include "mimic/util/error.h"

namespace mimic::block::qcow2 {

void Qcow2Node::create(BlockNode& file, const CreateParams& p) {
    if (p.cluster_bits < kMinClusterBits || p.cluster_bits > kMaxClusterBits)
        throw Error("Cluster size must be a power of two between 512 and 2048k");
    if (p.refcount_order > 6)
        throw Error("Refcount width must be a power of two and may not exceed 64 bits");
    if (p.version < 3) {
        if (p.refcount_order != 4)
            throw Error("Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
        if (p.lazy_refcounts)
            throw Error("Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
        if (p.extended_l2)
            throw Error("Extended L2 entries are only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
        if (p.compression_type != kCompressionZlib)
            throw Error("Non-zlib compression type is only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
    }
    if (p.extended_l2 && p.cluster_bits < 14)
        throw Error("Extended L2 entries are only supported with cluster sizes of at least 16384 bytes");

    uint64_t cs = 1ull << p.cluster_bits;
    Header h;
    h.version = p.version;
    h.cluster_bits = p.cluster_bits;
    h.size = 0;
    h.refcount_table_offset = cs;
    h.refcount_table_clusters = 1;
    h.refcount_order = p.refcount_order;
    h.compression_type = p.compression_type;
    if (p.lazy_refcounts) h.compatible_features |= kCompatLazyRefcounts;
    if (p.compression_type != kCompressionZlib) h.incompatible_features |= kIncompatCompression;
    if (p.extended_l2) h.incompatible_features |= kIncompatExtendedL2;

    std::vector<uint8_t> image(3 * cs, 0);
    auto header = build_header_cluster(h, {}, p.backing_file, p.backing_format);
    std::copy(header.begin(), header.end(), image.begin());
    store_be64(&image[cs], 2 * cs);
    // Refcounts of 1 for clusters 0..2 at any width: set the bits directly.
    uint8_t* block = &image[2 * cs];
    unsigned bits = 1u << p.refcount_order;
    for (unsigned i = 0; i < 3; ++i) {
        uint64_t bit = uint64_t{i} * bits;
        if (bits < 8) block[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
        else block[bit / 8 + bits / 8 - 1] = 1;
    }
    if (int ret = file.pwrite(0, image.data(), image.size()); ret < 0)
        throw Error("Could not write qcow2 header: {}", errno_string(-ret));
}

}  // namespace mimic::block::qcow2
