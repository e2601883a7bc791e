// "map": how each range of the virtual disk is stored.
#include "common.h"

#include <getopt.h>

#include <cstdio>
#include <optional>

namespace mimic::img {
namespace {

struct Extent {
    uint64_t start, length;
    int depth;
    bool present, zero, data, has_offset;
    uint64_t offset;
};

bool mergeable(const Extent& a, const Extent& b) {
    if (a.depth != b.depth || a.present != b.present || a.zero != b.zero || a.data != b.data ||
        a.has_offset != b.has_offset)
        return false;
    return !a.has_offset || a.offset + a.length == b.offset;
}

}  // namespace

int cmd_map(int argc, char** argv) {
    OpenRequest request;
    std::string output = "human";
    optind = 1;
    enum { kOutput = 256, kStart, kMaxLength };
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"format", required_argument, nullptr, 'f'},
                                   {"output", required_argument, nullptr, kOutput},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "hf:U", kLong, nullptr)) != -1) {
        switch (c) {
        case 'f': request.format = optarg; break;
        case 'U': request.force_share = true; break;
        case kOutput: output = optarg; break;
        default: bad_option(argv);
        }
    }
    check_output_format(output);
    if (optind != argc - 1) missing_filename();
    request.filename = argv[optind];
    auto node = open_image(request);

    auto file_at = [&](int depth) {
        block::BlockNode* n = node.get();
        for (int i = 0; i < depth && n->backing(); ++i) n = n->backing();
        return n->filename();
    };
    bool json = output == "json";
    // Each extent is printed once the next one proves it complete, as
    // qemu-img prints them: a failure leaves what was printed before it.
    auto dump = [&](const Extent& e, Extent* next) {
        if (json) {
            std::printf("{ \"start\": %llu, \"length\": %llu, \"depth\": %d, \"present\": %s, \"zero\": %s, \"data\": %s",
                        static_cast<unsigned long long>(e.start), static_cast<unsigned long long>(e.length), e.depth,
                        e.present ? "true" : "false", e.zero ? "true" : "false", e.data ? "true" : "false");
            if (e.has_offset) std::printf(", \"offset\": %llu", static_cast<unsigned long long>(e.offset));
            std::printf("}%s", next ? ",\n" : "");
            return;
        }
        // The human form has no column for data stored elsewhere.
        if (e.data && !e.has_offset) {
            std::fflush(stdout);
            throw Error("File contains external, encrypted or compressed clusters.");
        }
        if (e.data && !e.zero)
            std::printf("%#-16llx%#-16llx%#-16llx%s\n", static_cast<unsigned long long>(e.start),
                        static_cast<unsigned long long>(e.length), static_cast<unsigned long long>(e.offset),
                        file_at(e.depth).c_str());
        // It does not tell zeros from holes either, so those merge.
        if (next && (!next->data || next->zero)) {
            next->data = false;
            next->zero = true;
        }
    };

    if (json) std::printf("[");
    else std::printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    std::optional<Extent> curr;
    uint64_t size = node->size();
    for (uint64_t pos = 0; pos < size;) {
        block::BlockStatus st = node->block_status(pos, size - pos);
        // qemu-img map stops at metadata it cannot trust.
        if (st.error) {
            std::fflush(stdout);
            throw Error("Could not read file metadata: {}", errno_string(-st.error));
        }
        uint64_t n = std::max<uint64_t>(1, std::min<uint64_t>(st.bytes, size - pos));
        Extent e{pos, n, st.depth, st.allocated || st.data, st.zero, st.data, st.offset_valid, st.host_offset};
        pos += n;
        if (curr && mergeable(*curr, e)) {
            curr->length += n;
            continue;
        }
        if (curr) dump(*curr, &e);
        curr = e;
    }
    // An empty image still has its one (empty) extent.
    if (!curr) curr = Extent{0, 0, 0, false, false, false, false, 0};
    dump(*curr, nullptr);
    if (json) std::printf("]\n");
    return 0;
}

}  // namespace mimic::img
