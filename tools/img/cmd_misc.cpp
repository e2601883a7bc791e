// The smaller subcommands: snapshot, resize, compare, rebase, commit,
// amend, measure, dd and bench.
#include "common.h"
#include "qjson.h"

#include "mimic/block/drive.h"
#include "mimic/util/size.h"

#include <getopt.h>
#include <nlohmann/json.hpp>

#include "mimic/block/snapshot_table.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace mimic::img {

using block::snapshot_table_text;

int cmd_snapshot(int argc, char** argv) {
    OpenRequest request;
    enum { kNone, kList, kCreate, kApply, kDelete } action = kNone;
    std::string name;
    bool quiet = false;
    optind = 1;
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "la:c:d:f:hqU", kLong, nullptr)) != -1) {
        auto set = [&](decltype(action) a) {
            if (action != kNone) throw Error("Cannot mix '-l', '-a', '-c', '-d'");
            action = a;
            if (optarg) name = optarg;
        };
        switch (c) {
        case 'l': set(kList); break;
        case 'a': set(kApply); break;
        case 'c': set(kCreate); break;
        case 'd': set(kDelete); break;
        case 'f': request.format = optarg; break;
        case 'q': quiet = true; break;
        case 'U': request.force_share = true; break;
        default: bad_option(argv);
        }
    }
    (void)quiet;
    if (optind != argc - 1) missing_filename();
    request.filename = argv[optind];
    if (action == kNone) action = kList;
    request.writable = action != kList;
    request.no_backing = true;
    auto node = open_image(request);
    switch (action) {
    case kList: {
        auto list = node->snapshots();
        if (!list.empty()) std::printf("Snapshot list:\n%s", snapshot_table_text(list).c_str());
        break;
    }
    case kCreate:
        try { node->snapshot_create(name); } catch (const Error& e) {
            throw Error("Could not create snapshot '{}': {}", name, e.what());
        }
        break;
    case kApply:
        try { node->snapshot_apply(name); } catch (const Error& e) {
            throw Error("Could not apply snapshot '{}': {}", name, e.what());
        }
        break;
    case kDelete:
        try { node->snapshot_delete(name); } catch (const Error& e) {
            throw Error("Could not delete snapshot '{}': {}", name, e.what());
        }
        break;
    default: break;
    }
    if (node->flush() < 0) throw Error("Could not flush '{}'", request.filename);
    return 0;
}

int cmd_resize(int argc, char** argv) {
    // The size may be negative ("-1G"); take it before getopt sees it.
    if (argc < 3) throw Error("Expecting image file name and size");
    std::string size_text = argv[argc - 1];
    --argc;
    OpenRequest request;
    bool shrink = false, quiet = false;
    block::Prealloc prealloc = block::Prealloc::kOff;
    optind = 1;
    enum { kPrealloc = 256, kShrink };
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"preallocation", required_argument, nullptr, kPrealloc},
                                   {"shrink", no_argument, nullptr, kShrink},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "f:hqU", kLong, nullptr)) != -1) {
        switch (c) {
        case 'f': request.format = optarg; break;
        case 'q': quiet = true; break;
        case 'U': request.force_share = true; break;
        case kPrealloc: prealloc = block::parse_prealloc(optarg); break;
        case kShrink: shrink = true; break;
        default: bad_option(argv);
        }
    }
    if (optind != argc - 1) missing_filename();
    request.filename = argv[optind];
    request.writable = true;
    auto node = open_image(request);
    int sign = 0;
    std::string digits = size_text;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        sign = digits[0] == '+' ? 1 : -1;
        digits = digits.substr(1);
    }
    auto amount = parse_size(digits);
    if (!amount) throw Error("Invalid image size specified. You may use k, M, G, T, P or E suffixes for\n"
                             "mimic-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
    uint64_t size = node->size();
    uint64_t new_size = sign == 0 ? *amount : sign > 0 ? size + *amount : (*amount > size ? 0 : size - *amount);
    if (sign < 0 && *amount >= size) throw Error("New image size must be positive");
    if (new_size < size && !shrink) throw Error("Use the --shrink option to perform a shrink operation.");
    if (new_size < size)
        std::fprintf(stderr, "mimic-img: warning: Shrinking an image will delete all data beyond the shrunken image's end. "
                             "Before performing such an operation, make sure there is no important data there.\n");
    node->truncate(new_size, prealloc, shrink);
    if (node->flush() < 0) throw Error("Could not flush '{}'", request.filename);
    if (!quiet) std::printf("Image resized.\n");
    return 0;
}

int cmd_compare(int argc, char** argv) {
    OpenRequest a, b;
    bool strict = false, quiet = false, progress = false;
    optind = 1;
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    try {
        while ((c = getopt_long(argc, argv, "hf:F:T:pqsU", kLong, nullptr)) != -1) {
            switch (c) {
            case 'f': a.format = optarg; break;
            case 'F': b.format = optarg; break;
            case 'T': a.cache = b.cache = optarg; break;
            case 'p': progress = true; break;
            case 'q': quiet = true; break;
            case 's': strict = true; break;
            case 'U': a.force_share = b.force_share = true; break;
            default: bad_option(argv);
            }
        }
        if (quiet) progress = false;
        if (optind != argc - 2) throw Error("Expecting two image file names");
        a.filename = argv[optind];
        b.filename = argv[optind + 1];
        auto na = open_image(a);
        auto nb = open_image(b);
        uint64_t sa = na->size(), sb = nb->size();
        uint64_t common = std::min(sa, sb);
        if (sa != sb) {
            if (strict) {
                if (!quiet) std::printf("Strict mode: Image size mismatch!\n");
                return 1;
            }
            if (!quiet) std::printf("Warning: Image size mismatch!\n");
        }
        const uint64_t chunk = 1 << 20;
        std::vector<uint8_t> ba(chunk), bb(chunk);
        Progress meter(progress);
        auto report = [&](uint64_t offset) {
            if (!quiet) std::printf("Content mismatch at offset %llu!\n", static_cast<unsigned long long>(offset));
            return 1;
        };
        for (uint64_t pos = 0; pos < common; pos += chunk) {
            uint64_t n = std::min(chunk, common - pos);
            // Skip ranges both sides report as zeros without reading.
            block::BlockStatus s1 = na->block_status(pos, n), s2 = nb->block_status(pos, n);
            if (!strict && s1.zero && !s1.data && s2.zero && !s2.data && s1.bytes >= n && s2.bytes >= n) continue;
            read_or_throw(*na, pos, ba.data(), n, a.filename);
            read_or_throw(*nb, pos, bb.data(), n, b.filename);
            if (std::memcmp(ba.data(), bb.data(), n) != 0) {
                uint64_t i = 0;
                while (ba[i] == bb[i]) ++i;
                return report((pos + i) / 512 * 512);
            }
            meter.update(100.0 * (pos + n) / std::max(sa, sb));
        }
        // The longer image must be zero past the common part.
        block::BlockNode& longer = sa > sb ? *na : *nb;
        for (uint64_t pos = common; pos < std::max(sa, sb); pos += chunk) {
            uint64_t n = std::min(chunk, std::max(sa, sb) - pos);
            read_or_throw(longer, pos, ba.data(), n, longer.filename());
            if (!is_zero(ba.data(), n)) {
                uint64_t i = 0;
                while (ba[i] == 0) ++i;
                return report((pos + i) / 512 * 512);
            }
        }
        if (!quiet) std::printf("Images are identical.\n");
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "mimic-img: %s\n", e.what());
        return 2;   // qemu-img compare: 2 means an error, not a difference
    }
}

int cmd_rebase(int argc, char** argv) {
    OpenRequest request;
    std::string backing, backing_format;
    bool backing_given = false, unsafe = false, progress = false, quiet = false;
    optind = 1;
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "hf:F:b:upt:T:qU", kLong, nullptr)) != -1) {
        switch (c) {
        case 'f': request.format = optarg; break;
        case 'F': backing_format = optarg; break;
        case 'b': backing = optarg; backing_given = true; break;
        case 'u': unsafe = true; break;
        case 'p': progress = true; break;
        case 't': request.cache = optarg; break;
        case 'T': break;
        case 'q': quiet = true; break;
        case 'U': request.force_share = true; break;
        default: bad_option(argv);
        }
    }
    if (quiet) progress = false;
    if (optind != argc - 1) missing_filename();
    if (!backing_given) throw Error("Must specify backing file (-b) or use unsafe mode (-u)");
    request.filename = argv[optind];
    request.writable = true;
    request.no_backing = unsafe;
    auto top = open_image(request);
    if (!unsafe) {
        std::unique_ptr<block::BlockNode> new_base;
        if (!backing.empty()) {
            OpenRequest nb;
            nb.filename = backing[0] == '/' ? backing : [&] {
                auto slash = request.filename.rfind('/');
                return slash == std::string::npos ? backing : request.filename.substr(0, slash + 1) + backing;
            }();
            nb.format = backing_format;
            nb.force_share = true;
            try {
                new_base = open_image(nb);
            } catch (const Error& e) {
                throw Error("Could not open new backing file '{}': {}", nb.filename, e.what());
            }
            if (backing_format.empty()) backing_format = new_base->format_name();
        }
        // Wherever the top layer does not decide the contents and the old
        // and new backing chains differ, copy the old contents up.
        const uint64_t chunk = 1 << 20;
        std::vector<uint8_t> old_data(chunk), new_data(chunk);
        uint64_t size = top->size();
        Progress meter(progress);
        for (uint64_t pos = 0; pos < size;) {
            block::BlockStatus st = top->block_status(pos, std::min(chunk, size - pos));
            uint64_t n = std::min<uint64_t>(std::max<uint64_t>(st.bytes, 1), std::min(chunk, size - pos));
            if (!(st.depth == 0 && st.allocated)) {
                read_or_throw(*top, pos, old_data.data(), n, request.filename);
                std::memset(new_data.data(), 0, n);
                if (new_base && pos < new_base->size())
                    read_or_throw(*new_base, pos, new_data.data(), std::min(n, new_base->size() - pos), new_base->filename());
                if (std::memcmp(old_data.data(), new_data.data(), n) != 0)
                    write_or_throw(*top, pos, old_data.data(), n, request.filename);
            }
            pos += n;
            meter.update(100.0 * pos / size);
        }
    }
    try {
        top->set_backing_file(backing, backing.empty() ? "" : backing_format);
    } catch (const Error& e) {
        throw Error("Could not change the backing file to '{}': {}", backing, e.what());
    }
    if (top->flush() < 0) throw Error("Could not flush '{}'", request.filename);
    return 0;
}

int cmd_commit(int argc, char** argv) {
    OpenRequest request;
    std::string base;
    bool drop = false, progress = false, quiet = false;
    optind = 1;
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "f:ht:b:dpqr:", kLong, nullptr)) != -1) {
        switch (c) {
        case 'f': request.format = optarg; break;
        case 't': request.cache = optarg; break;
        case 'b': base = optarg; break;
        case 'd': drop = true; break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 'r': break;
        default: bad_option(argv);
        }
    }
    if (quiet) progress = false;
    if (optind != argc - 1) missing_filename();
    request.filename = argv[optind];
    request.writable = true;
    request.no_backing = true;
    auto top = open_image(request);
    if (top->backing_name().empty()) throw Error("Image does not have a backing file");

    // Walk the chain by name to find the base (default: the immediate
    // backing file); everything above it is committed.
    struct Layer { std::string path, format; };
    std::vector<Layer> chain;
    {
        std::string path = top->backing_full_name(), format = top->backing_format();
        std::string written = top->backing_name();
        for (int depth = 1;; ++depth) {
            chain.push_back({path, format});
            if (base.empty() || base == written || base == path) break;
            OpenRequest r;
            r.filename = path;
            r.format = format;
            r.force_share = true;
            r.no_backing = true;
            auto layer = open_image(r);
            if (layer->backing_name().empty() || depth > 256)
                throw Error("Did not find '{}' in the backing chain of '{}'", base, request.filename);
            written = layer->backing_name();
            path = layer->backing_full_name();
            format = layer->backing_format();
        }
    }
    int base_depth = static_cast<int>(chain.size());
    OpenRequest br;
    br.filename = chain.back().path;
    br.format = chain.back().format;
    br.writable = true;
    br.cache = request.cache;
    auto backing = open_image(br);
    // The whole chain, read-only, to read what the layers above the base say.
    OpenRequest vr = request;
    vr.writable = false;
    vr.no_backing = false;
    vr.force_share = true;
    auto view = open_image(vr);

    const uint64_t chunk = 1 << 20;
    std::vector<uint8_t> buf(chunk);
    uint64_t size = std::min(view->size(), backing->size());
    Progress meter(progress);
    for (uint64_t pos = 0; pos < size;) {
        block::BlockStatus st = view->block_status(pos, std::min(chunk, size - pos));
        uint64_t n = std::min<uint64_t>(std::max<uint64_t>(st.bytes, 1), std::min(chunk, size - pos));
        if (st.depth < base_depth && (st.allocated || st.data)) {
            if (st.zero && !st.data) {
                if (int ret = backing->pwrite_zeroes(pos, n, false); ret < 0)
                    throw Error("error while writing at byte {}: {}", pos, errno_string(-ret));
            } else {
                read_or_throw(*view, pos, buf.data(), n, request.filename);
                write_or_throw(*backing, pos, buf.data(), n, br.filename);
            }
        }
        pos += n;
        meter.update(100.0 * pos / std::max<uint64_t>(size, 1));
    }
    view.reset();
    if (backing->flush() < 0) throw Error("Could not flush '{}'", br.filename);
    if (!drop) {
        int ret = top->make_empty();
        if (ret < 0 && ret != -ENOTSUP) throw Error("Could not empty {}: {}", request.filename, errno_string(-ret));
        top->flush();
    }
    if (!quiet) std::printf("Image committed.\n");
    return 0;
}

int cmd_amend(int argc, char** argv) {
    OpenRequest request;
    block::CreateOptions options;
    bool quiet = false;
    optind = 1;
    enum { kForce = 256 };
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"force", no_argument, nullptr, kForce},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "ho:f:t:pq", kLong, nullptr)) != -1) {
        switch (c) {
        case 'o': parse_create_options(optarg, options); break;
        case 'f': request.format = optarg; break;
        case 't': request.cache = optarg; break;
        case 'p': break;
        case 'q': quiet = true; break;
        case kForce: break;
        default: bad_option(argv);
        }
    }
    (void)quiet;
    if (options.empty()) throw Error("Must specify options (-o)");
    if (optind != argc - 1) missing_filename();
    request.filename = argv[optind];
    request.writable = true;
    request.no_backing = true;
    auto node = open_image(request);
    node->amend(options);
    std::string backing = node->backing_name(), backing_fmt = node->backing_format();
    bool backing_changed = false;
    for (const auto& [k, v] : options) {
        if (k == "size") {
            auto size = parse_size(v);
            if (!size) throw Error("Parameter 'size' expects a size");
            node->truncate(*size, block::Prealloc::kOff, true);
        } else if (k == "backing_file") {
            backing = v;
            backing_changed = true;
        } else if (k == "backing_fmt") {
            backing_fmt = v;
            backing_changed = true;
        }
    }
    if (backing_changed) node->set_backing_file(backing, backing_fmt);
    if (node->flush() < 0) throw Error("Could not flush '{}'", request.filename);
    return 0;
}

namespace {

// Refcount blocks and table needed to describe `clusters` clusters,
// including themselves; iterate to the fixed point.
uint64_t refcount_metadata_bytes(uint64_t clusters, uint64_t cluster_size, unsigned refcount_bits) {
    uint64_t per_table_cluster = cluster_size / 8;
    uint64_t per_block = cluster_size * 8 / refcount_bits;
    uint64_t table = 0, blocks = 0, n = 0, last;
    do {
        last = n;
        blocks = (clusters + table + blocks + per_block - 1) / per_block;
        table = (blocks + per_table_cluster - 1) / per_table_cluster;
        n = clusters + blocks + table;
    } while (n != last);
    return (blocks + table) * cluster_size;
}

uint64_t qcow2_full_size(uint64_t size, uint64_t cluster_size, unsigned refcount_bits, bool extended_l2) {
    uint64_t aligned = (size + cluster_size - 1) / cluster_size * cluster_size;
    uint64_t entry = extended_l2 ? 16 : 8;
    uint64_t meta = cluster_size;
    uint64_t l2_entries = aligned / cluster_size;
    uint64_t per_l2 = cluster_size / entry;
    l2_entries = (l2_entries + per_l2 - 1) / per_l2 * per_l2;
    meta += l2_entries * entry;
    uint64_t l1_entries = l2_entries * entry / cluster_size;
    uint64_t per_l1_cluster = cluster_size / 8;
    l1_entries = (l1_entries + per_l1_cluster - 1) / per_l1_cluster * per_l1_cluster;
    meta += l1_entries * 8;
    meta += refcount_metadata_bytes((meta + aligned) / cluster_size, cluster_size, refcount_bits);
    return meta + aligned;
}

}  // namespace

int cmd_measure(int argc, char** argv) {
    OpenRequest request;
    std::string out_format = "raw", output = "human";
    block::CreateOptions options;
    uint64_t size = 0;
    bool size_given = false;
    optind = 1;
    enum { kOutput = 256, kSize, kObject, kImageOpts, kForceShare };
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"output", required_argument, nullptr, kOutput},
                                   {"size", required_argument, nullptr, kSize},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "hf:O:o:l:U", kLong, nullptr)) != -1) {
        switch (c) {
        case 'f': request.format = optarg; break;
        case 'O': out_format = optarg; break;
        case 'o': parse_create_options(optarg, options); break;
        case 'l': throw Error("Measuring snapshots is not supported");
        case 'U': request.force_share = true; break;
        case kOutput: output = optarg; break;
        case kSize: {
            auto v = parse_size(optarg);
            if (!v) throw Error("Invalid image size specified. Must be between 0 and 9223372036854775807.");
            size = *v;
            size_given = true;
            break;
        }
        default: bad_option(argv);
        }
    }
    check_output_format(output);
    bool have_file = optind < argc;
    if (have_file == size_given) throw Error("Either --size N or one filename must be specified.");
    if (!block::is_supported_format(out_format)) throw Error("Unknown file format '{}'", out_format);

    uint64_t cluster_size = 65536;
    unsigned refcount_bits = 16;
    bool extended = false;
    for (const auto& [k, v] : options) {
        if (k == "cluster_size") { auto x = parse_size(v); if (x) cluster_size = *x; }
        else if (k == "refcount_bits") { auto x = parse_uint(v); if (x) refcount_bits = static_cast<unsigned>(*x); }
        else if (k == "extended_l2") extended = parse_bool(v).value_or(false);
    }

    uint64_t data = 0;
    std::string source_format;
    if (have_file) {
        request.filename = argv[optind];
        auto node = open_image(request);
        source_format = node->format_name();
        size = node->size();
        uint64_t granule = out_format == "qcow2" ? cluster_size : 1;
        // Allocated data, rounded to whole target clusters.
        for (uint64_t pos = 0; pos < size;) {
            block::BlockStatus st = node->block_status(pos, size - pos);
            uint64_t n = std::max<uint64_t>(1, std::min<uint64_t>(st.bytes, size - pos));
            if (st.data || !st.zero) {
                uint64_t start = pos / granule * granule;
                uint64_t end = (pos + n + granule - 1) / granule * granule;
                data += end - start;
                // Do not count a shared boundary cluster twice.
                if (start < pos && pos % granule) data -= granule;
            }
            pos += n;
        }
    } else {
        data = size;
    }
    uint64_t required, fully;
    // A qcow2 source may carry persistent bitmaps; we never write any.
    bool bitmaps = have_file && out_format == "qcow2" && source_format == "qcow2";
    if (out_format == "qcow2") {
        uint64_t aligned = (size + cluster_size - 1) / cluster_size * cluster_size;
        fully = qcow2_full_size(size, cluster_size, refcount_bits, extended);
        required = fully - aligned + (have_file ? std::min(data, aligned) : 0);
    } else {
        fully = size;
        required = size;
    }
    if (output == "json") {
        nlohmann::json j;
        j["required"] = required;
        j["fully-allocated"] = fully;
        if (bitmaps) j["bitmaps"] = 0;
        std::printf("%s\n", qemu_json_pretty(j).c_str());
    } else {
        std::printf("required size: %llu\nfully allocated size: %llu\n", static_cast<unsigned long long>(required),
                    static_cast<unsigned long long>(fully));
        if (bitmaps) std::printf("bitmaps size: 0\n");
    }
    return 0;
}

int cmd_dd(int argc, char** argv) {
    OpenRequest in;
    std::string out_name, out_format = "raw";
    uint64_t bs = 512, count = 0, skip = 0;
    bool count_given = false;
    optind = 1;
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "hf:O:U", kLong, nullptr)) != -1) {
        switch (c) {
        case 'f': in.format = optarg; break;
        case 'O': out_format = optarg; break;
        case 'U': in.force_share = true; break;
        default: bad_option(argv);
        }
    }
    for (int i = optind; i < argc; ++i) {
        std::string arg = argv[i];
        auto eq = arg.find('=');
        if (eq == std::string::npos) throw Error("unrecognized operand {}", arg);
        std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
        auto number = [&] {
            auto v = parse_size(value);
            if (!v) throw Error("invalid number: '{}'", value);
            return *v;
        };
        if (key == "if") in.filename = value;
        else if (key == "of") out_name = value;
        else if (key == "bs") { bs = number(); if (bs == 0) throw Error("invalid number: '{}'", value); }
        else if (key == "count") { count = number(); count_given = true; }
        else if (key == "skip") skip = number();
        else throw Error("unrecognized operand {}", arg);
    }
    if (in.filename.empty()) throw Error("Must specify both input and output files");
    if (out_name.empty()) throw Error("Must specify both input and output files");
    auto src = open_image(in);
    // qemu-img's arithmetic: count limits the input size before the
    // skipped part is taken off, so the output is count - skip blocks.
    uint64_t start = skip * bs;
    uint64_t length = src->size();
    if (count_given) length = std::min(length, count * bs);
    length = start <= length ? length - start : 0;
    block::CreateRequest create;
    create.filename = out_name;
    create.format = out_format;
    create.size = length;
    create.size_given = true;
    block::create_image(create);
    OpenRequest out;
    out.filename = out_name;
    out.format = out_format;
    out.writable = true;
    auto dst = open_image(out);
    std::vector<uint8_t> buf(std::max<uint64_t>(bs, 1 << 20) / bs * bs);
    for (uint64_t pos = 0; pos < length;) {
        uint64_t n = std::min<uint64_t>(buf.size(), length - pos);
        read_or_throw(*src, start + pos, buf.data(), n, in.filename);
        if (!is_zero(buf.data(), n)) write_or_throw(*dst, pos, buf.data(), n, out_name);
        pos += n;
    }
    if (dst->flush() < 0) throw Error("Could not flush '{}'", out_name);
    return 0;
}

int cmd_bench(int argc, char** argv) {
    block::OpenOptions options;
    int count = 75000, depth = 64;
    uint64_t offset = 0, bufsize = 4096, step = 0;
    bool write = false, quiet = false;
    int pattern = 0;
    optind = 1;
    enum { kPattern = 256, kFlushInterval, kNoDrain };
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"pattern", required_argument, nullptr, kPattern},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    std::string cache = "writeback";
    while ((c = getopt_long(argc, argv, "hc:d:f:ni:o:qs:S:t:wU", kLong, nullptr)) != -1) {
        auto num = [&] {
            auto v = parse_size(optarg);
            if (!v) throw Error("Invalid number: '{}'", optarg);
            return *v;
        };
        switch (c) {
        case 'c': count = static_cast<int>(num()); break;
        case 'd': depth = static_cast<int>(num()); break;
        case 'f': options.format = optarg; break;
        case 'n': options.aio = block::AioMode::kNative; break;   // as qemu-img: native AIO, needs -t none
        case 'i': options.aio = block::parse_aio_mode(optarg); break;
        case 'o': offset = num(); break;
        case 'q': quiet = true; break;
        case 's': bufsize = num(); break;
        case 'S': step = num(); break;
        case 't': cache = optarg; break;
        case 'w': write = true; break;
        case 'U': options.force_share = true; break;
        case kPattern: pattern = static_cast<int>(num()); break;
        default: bad_option(argv);
        }
    }
    if (optind != argc - 1) missing_filename();
    if (depth < 1) depth = 1;
    options.filename = argv[optind];
    options.cache = block::parse_cache_mode(cache);
    options.read_only = !write;
    if (step == 0) step = bufsize;
    block::CompletionQueue queue;
    std::unique_ptr<block::Drive> drive;
    try {
        drive = block::Drive::open(options, &queue);
    } catch (const Error& e) {
        throw Error("Could not open '{}': {}", options.filename, e.what());
    }
    if (!quiet)
        std::printf("Sending %d %s requests, %llu bytes each, %d in parallel (starting at offset %llu, step size %llu)\n",
                    count, write ? "write" : "read", static_cast<unsigned long long>(bufsize), depth,
                    static_cast<unsigned long long>(offset), static_cast<unsigned long long>(step));
    std::vector<std::vector<uint8_t>> buffers(depth, std::vector<uint8_t>(bufsize, static_cast<uint8_t>(pattern)));
    int submitted = 0, completed = 0, failed = 0;
    uint64_t next = offset;
    auto start = std::chrono::steady_clock::now();
    std::function<void(int)> issue = [&](int slot) {
        if (submitted >= count) return;
        if (next + bufsize > drive->size()) next = offset;
        uint64_t at = next;
        next += step;
        ++submitted;
        auto done = [&, slot](int ret) {
            ++completed;
            if (ret < 0) ++failed;
            issue(slot);
        };
        if (write) drive->aio_write(at, buffers[slot].data(), bufsize, done);
        else drive->aio_read(at, buffers[slot].data(), bufsize, done);
    };
    for (int i = 0; i < depth && i < count; ++i) issue(i);
    while (completed < submitted) queue.wait_and_run();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failed) throw Error("Failed request: {} requests failed", failed);
    if (!quiet) std::printf("Run completed in %3.3f seconds.\n", secs);
    return 0;
}

}  // namespace mimic::img
