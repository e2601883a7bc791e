// Building a node graph from options, and creating images.
#include "mimic/block/image.h"

#include "file.h"
#include "probe.h"
#include "raw.h"
#include "qcow2/qcow2.h"

#include "mimic/util/error.h"
#include "mimic/util/size.h"

#include <fmt/format.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace mimic::block {
namespace {

constexpr int kMaxChainDepth = 256;

std::string canonical(const std::string& path) {
    char resolved[PATH_MAX];
    return realpath(path.c_str(), resolved) ? std::string(resolved) : path;
}

std::unique_ptr<BlockNode> open_node(const OpenOptions& options, std::set<std::string>& chain, int depth) {
    if (depth > kMaxChainDepth) throw Error("Backing chain is too long");
    std::string key = canonical(options.filename);
    if (!chain.insert(key).second)
        throw Error("Backing file '{}' forms a loop in the backing chain", options.filename);

    auto file = FileNode::open(options.filename, options.read_only, options.cache, options.force_share, options.aio);
    std::string format = options.format;
    bool probed = false;
    if (format.empty()) {
        uint8_t head[512] = {};
        if (int ret = file->pread(0, head, sizeof head); ret < 0)
            throw Error("Could not read image for determining its format: {}", errno_string(-ret));
        format = probe_buffer(head, std::min<uint64_t>(sizeof head, file->size()));
        probed = true;
    }
    std::unique_ptr<BlockNode> node;
    if (format == "raw") {
        if (probed && !options.read_only)
            std::fprintf(stderr,
                         "WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
                         "         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n"
                         "         Specify the 'raw' format explicitly to remove the restrictions.\n",
                         options.filename.c_str());
        node = std::make_unique<RawNode>(std::move(file), probed);
    } else if (format == "qcow2") {
        node = std::make_unique<qcow2::Qcow2Node>(std::move(file), options.allow_corrupt, options.for_check,
                                                  options.no_io);
    } else if (probed) {
        throw Error("Image format '{}' is not supported", format);
    } else {
        throw Error("Unknown driver '{}'", format);
    }

    if (!options.no_backing && !node->backing_name().empty()) {
        OpenOptions backing = options;
        backing.filename = node->backing_full_name();
        backing.format = node->backing_format();
        backing.read_only = true;
        backing.allow_corrupt = false;
        backing.for_check = false;
        try {
            node->set_backing(open_node(backing, chain, depth + 1));
        } catch (const Error& e) {
            throw Error("Could not open backing file: {}", e.what());
        }
    }
    return node;
}

// -o key=value lookup; the last occurrence wins as in QEMU.
const std::string* find_option(const CreateOptions& options, const std::string& key) {
    const std::string* found = nullptr;
    for (const auto& [k, v] : options)
        if (k == key) found = &v;
    return found;
}

bool parse_on_off(const std::string& key, const std::string& value) {
    auto b = parse_bool(value);
    if (!b) throw Error("Parameter '{}' expects 'on' or 'off'", key);
    return *b;
}

}  // namespace

std::unique_ptr<BlockNode> open_image(const OpenOptions& options) {
    std::set<std::string> chain;
    return open_node(options, chain, 0);
}

std::string probe_format(const std::string& filename) {
    auto file = FileNode::open(filename, true, CacheFlags{}, true);
    uint8_t head[512] = {};
    file->pread(0, head, sizeof head);
    return probe_buffer(head, std::min<uint64_t>(sizeof head, file->size()));
}

bool is_supported_format(const std::string& format) { return format == "raw" || format == "qcow2"; }

std::string create_options_help(const std::string& format) {
    if (format == "raw") {
        // preallocation is a protocol-level option, as in QEMU's listing.
        return "Supported raw options:\n"
               "  size=<size>            - Virtual disk size\n";
    }
    if (format == "qcow2") {
        return "Supported qcow2 options:\n"
               "  backing_file=<str>     - File name of a base image\n"
               "  backing_fmt=<str>      - Image format of the base image\n"
               "  cluster_size=<size>    - qcow2 cluster size\n"
               "  compat=<str>           - Compatibility level (v2 [0.10] or v3 [1.1])\n"
               "  compression_type=<str> - Compression method used for image cluster compression\n"
               "  extended_l2=<bool (on/off)> - Extended L2 tables\n"
               "  lazy_refcounts=<bool (on/off)> - Postpone refcount updates\n"
               "  preallocation=<str>    - Preallocation mode (allowed values: off, metadata, falloc, full)\n"
               "  refcount_bits=<num>    - Width of a reference count entry in bits\n"
               "  size=<size>            - Virtual disk size\n";
    }
    throw Error("Unknown file format '{}'", format);
}

std::string create_image(const CreateRequest& request) {
    const auto& opts = request.options;
    uint64_t size = request.size;
    bool size_given = request.size_given;
    if (auto* v = find_option(opts, "size")) {
        auto parsed = parse_size(*v);
        if (!parsed) throw Error("Parameter 'size' expects a non-negative number below 2^64");
        size = *parsed;
        size_given = true;
    }
    Prealloc prealloc = Prealloc::kOff;
    if (auto* v = find_option(opts, "preallocation")) prealloc = parse_prealloc(*v);
    std::string backing = request.backing_file;
    std::string backing_fmt = request.backing_format;
    if (auto* v = find_option(opts, "backing_file")) backing = *v;
    if (auto* v = find_option(opts, "backing_fmt")) backing_fmt = *v;

    if (request.format == "raw") {
        for (const auto& [k, v] : opts)
            if (k != "size" && k != "preallocation")
                throw Error("Invalid parameter '{}'", k);
        if (!backing.empty()) throw Error("Backing file not supported for file format 'raw'");
        if (prealloc == Prealloc::kMetadata)
            throw Error("Unsupported preallocation mode 'metadata'");
        if (!size_given) throw Error("Image creation needs a size parameter");
        FileNode::create(request.filename, size, prealloc);
        std::string line = fmt::format("fmt=raw size={}", size);
        if (find_option(opts, "preallocation")) line += fmt::format(" preallocation={}", prealloc_name(prealloc));
        return line;
    }
    if (request.format != "qcow2") throw Error("Unknown file format '{}'", request.format);

    qcow2::CreateParams p;
    p.prealloc = prealloc;
    std::string compat_given;
    for (const auto& [k, v] : opts) {
        if (k == "size" || k == "preallocation" || k == "backing_file" || k == "backing_fmt") continue;
        if (k == "compat") {
            if (v == "0.10" || v == "v2") p.version = 2;
            else if (v == "1.1" || v == "v3") p.version = 3;
            else throw Error("Invalid compatibility level: '{}'", v);
            compat_given = v;
        } else if (k == "cluster_size") {
            auto cs = parse_size(v);
            if (!cs || *cs < 512 || *cs > (2u << 20) || (*cs & (*cs - 1)))
                throw Error("Cluster size must be a power of two between 512 and 2048k");
            p.cluster_bits = static_cast<uint32_t>(__builtin_ctzll(*cs));
        } else if (k == "refcount_bits") {
            auto bits = parse_uint(v);
            if (!bits || *bits == 0 || *bits > 64 || (*bits & (*bits - 1)))
                throw Error("Refcount width must be a power of two and may not exceed 64 bits");
            p.refcount_order = static_cast<uint32_t>(__builtin_ctzll(*bits));
        } else if (k == "lazy_refcounts") {
            p.lazy_refcounts = parse_on_off(k, v);
        } else if (k == "extended_l2") {
            p.extended_l2 = parse_on_off(k, v);
        } else if (k == "compression_type") {
            if (v == "zlib") p.compression_type = qcow2::kCompressionZlib;
            else if (v == "zstd") p.compression_type = qcow2::kCompressionZstd;
            else throw Error("Parameter 'compression_type' does not accept value '{}'", v);
        } else if (k == "encryption" || k.rfind("encrypt.", 0) == 0) {
            throw Error("Encrypted qcow2 images are not supported");
        } else if (k == "data_file" || k == "data_file_raw") {
            throw Error("External data files are not supported");
        } else {
            throw Error("Invalid parameter '{}'", k);
        }
    }

    if (!backing.empty()) {
        // Check the backing file exists and learn its size and format,
        // unless -u says it need not exist yet.
        std::string path = backing;
        if (path[0] != '/') {
            auto slash = request.filename.rfind('/');
            if (slash != std::string::npos) path = request.filename.substr(0, slash + 1) + backing;
        }
        if (backing_fmt.empty() && !request.unsafe) {
            std::string detected;
            try { detected = probe_format(path); } catch (const Error&) {}
            throw Error("{}: Backing file specified without backing format\nDetected format of {}.",
                        request.filename, detected.empty() ? "unknown" : detected);
        }
        if (!request.unsafe || !size_given) {
            OpenOptions o;
            o.filename = path;
            o.format = backing_fmt;
            o.read_only = true;
            o.force_share = true;
            try {
                auto node = open_image(o);
                if (!size_given) {
                    size = node->size();
                    size_given = true;
                }
            } catch (const Error& e) {
                throw Error("{}: {}\nCould not open backing image.", request.filename, e.what());
            }
        }
    }
    if (!size_given) throw Error("Image creation needs a size parameter");
    p.backing_file = backing;
    p.backing_format = backing_fmt;

    FileNode::create(request.filename, 0, Prealloc::kOff);
    {
        // A half-created image is useless whether or not it reached the
        // disk, so creation skips the flushes that order metadata updates
        // (they cost seconds on a busy journaling filesystem).
        CacheFlags unsafe;
        unsafe.no_flush = true;
        auto file = FileNode::open(request.filename, false, unsafe, false);
        qcow2::Qcow2Node::create(*file, p);
        qcow2::Qcow2Node node(std::move(file), false);
        node.truncate(size, prealloc, false);
    }

    std::string line = fmt::format("fmt=qcow2 cluster_size={} extended_l2={}", 1u << p.cluster_bits,
                                   p.extended_l2 ? "on" : "off");
    if (find_option(opts, "preallocation")) line += fmt::format(" preallocation={}", prealloc_name(prealloc));
    line += fmt::format(" compression_type={} size={}", p.compression_type ? "zstd" : "zlib", size);
    if (!backing.empty()) line += fmt::format(" backing_file={}", backing);
    if (!backing_fmt.empty()) line += fmt::format(" backing_fmt={}", backing_fmt);
    if (!compat_given.empty()) line += fmt::format(" compat={}", compat_given);
    line += fmt::format(" lazy_refcounts={} refcount_bits={}", p.lazy_refcounts ? "on" : "off",
                        1u << p.refcount_order);
    return line;
}

}  // namespace mimic::block
