// "convert": copy one or more images (concatenated) into a new image of any
// format, keeping it sparse: zero ranges of the source are skipped when the
// target is known to read as zeros, and zero-filled data blocks of -S bytes
// are not written.
#include "common.h"

#include "mimic/util/size.h"

#include <getopt.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace mimic::img {
namespace {

// Compressed copy: clusters are read in batches and compressed by several
// threads at once (the driver compresses outside its lock); zero clusters
// stay unallocated.
template <typename OnProgress>
void compress_copy(block::BlockNode& src, block::BlockNode& out, uint64_t dst_base, uint64_t cluster,
                   bool target_zero, OnProgress&& progress) {
    const uint64_t batch_bytes = std::max<uint64_t>(256 * cluster, 16 << 20);
    std::vector<uint8_t> batch(batch_bytes);
    // More workers than cores, as QEMU's thread pool does: compression
    // competes for CPU with everything else on the host.
    unsigned workers = std::clamp(2 * std::thread::hardware_concurrency(), 2u, 16u);
    uint64_t size = src.size();
    for (uint64_t pos = 0; pos < size; pos += batch_bytes) {
        uint64_t n = std::min(batch_bytes, size - pos);
        block::BlockStatus st = src.block_status(pos, n);
        if (target_zero && st.zero && !st.data && st.bytes >= n) {
            progress(n);
            continue;
        }
        read_or_throw(src, pos, batch.data(), n, src.filename());
        std::atomic<uint64_t> next{0};
        std::atomic<int> error{0};
        std::atomic<uint64_t> error_at{0};
        auto work = [&] {
            for (uint64_t i; (i = next++) * cluster < n;) {
                uint64_t off = i * cluster, len = std::min(cluster, n - off);
                const uint8_t* data = batch.data() + off;
                int ret = 0;
                if (is_zero(data, len)) {
                    if (!target_zero) ret = out.pwrite_zeroes(dst_base + pos + off, len, true);
                } else {
                    ret = out.pwrite_compressed(dst_base + pos + off, data, len);
                }
                if (ret < 0) {
                    error = ret;
                    error_at = dst_base + pos + off;
                }
            }
        };
        std::vector<std::thread> threads;
        for (unsigned t = 1; t < workers; ++t) threads.emplace_back(work);
        work();
        for (auto& t : threads) t.join();
        if (error < 0)
            throw Error("error while compressing sector {}: {}", error_at / 512, errno_string(-error));
        progress(n);
    }
}

}  // namespace

int cmd_convert(int argc, char** argv) {
    std::string src_format, out_format = "raw", backing, backing_format;
    std::string dst_cache = "unsafe", src_cache = "writeback";
    block::CreateOptions options;
    bool compress = false, progress = false, quiet = false, no_create = false, force_share = false;
    uint64_t sparse = 4096;
    std::string snapshot;
    optind = 1;
    enum { kTargetIsZero = 256, kSalvage, kBitmaps };
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {"target-is-zero", no_argument, nullptr, kTargetIsZero},
                                   {"salvage", no_argument, nullptr, kSalvage},
                                   {"bitmaps", no_argument, nullptr, kBitmaps},
                                   {nullptr, 0, nullptr, 0}};
    bool target_is_zero_flag = false;
    int c;
    while ((c = getopt_long(argc, argv, "hf:O:B:CcF:o:l:S:pt:T:qnm:WUr:s:", kLong, nullptr)) != -1) {
        switch (c) {
        case 'f': src_format = optarg; break;
        case 'O': out_format = optarg; break;
        case 'B': backing = optarg; break;
        case 'F': backing_format = optarg; break;
        case 'C': break;   // copy offloading: we always copy through memory
        case 'c': compress = true; break;
        case 'o': parse_create_options(optarg, options); break;
        case 'l':
        case 's': snapshot = optarg; break;
        case 'S': {
            auto v = parse_size(optarg);
            if (!v || (*v % 512) != 0)
                throw Error("Invalid buffer size for sparse output specified. Valid sizes are multiples of 512 up to 2147483136.");
            sparse = *v;
            break;
        }
        case 'p': progress = true; break;
        case 't': dst_cache = optarg; break;
        case 'T': src_cache = optarg; break;
        case 'q': quiet = true; break;
        case 'n': no_create = true; break;
        case 'm': {
            auto v = parse_uint(optarg);
            if (!v || *v < 1 || *v > 16) throw Error("Invalid number of coroutines. Allowed number of coroutines is between 1 and 16");
            break;
        }
        case 'W': break;   // out-of-order writes: ours are in order anyway
        case 'U': force_share = true; break;
        case 'r': break;
        case kTargetIsZero: target_is_zero_flag = true; break;
        case kSalvage:
        case kBitmaps: break;
        default: bad_option(argv);
        }
    }
    if (quiet) progress = false;
    for (const auto& [k, v] : options)
        if (k == "help") {
            std::printf("%s", block::create_options_help(out_format).c_str());
            return 0;
        }
    if (argc - optind < 2) throw Error("Expecting at least one source and a target filename");
    if (!snapshot.empty() && argc - optind > 2) throw Error("No support for concatenating multiple snapshot");
    // -l accepts "snapshot.id=X", "snapshot.name=Y" or a bare name.
    for (const char* prefix : {"snapshot.id=", "snapshot.name="})
        if (snapshot.rfind(prefix, 0) == 0) snapshot = snapshot.substr(std::strlen(prefix));
    std::string target = argv[argc - 1];
    if (!block::is_supported_format(out_format)) throw Error("Unknown file format '{}'", out_format);
    if (compress && out_format != "qcow2") throw Error("Compression not supported for this file format");
    if (!backing.empty() && no_create) throw Error("Specifying backing image makes no sense when not creating an image");

    std::vector<std::unique_ptr<block::BlockNode>> sources;
    uint64_t total = 0;
    for (int i = optind; i < argc - 1; ++i) {
        OpenRequest r;
        r.filename = argv[i];
        r.format = src_format;
        r.force_share = force_share;
        r.cache = src_cache;
        sources.push_back(open_image(r));
        if (!snapshot.empty()) {
            try {
                sources.back()->load_snapshot(snapshot);
            } catch (const Error& e) {
                throw Error("Failed to load snapshot '{}': {}", snapshot, e.what());
            }
        }
        total += sources.back()->size();
    }

    if (!no_create) {
        block::CreateRequest create;
        create.filename = target;
        create.format = out_format;
        create.size = total;
        create.size_given = true;
        create.backing_file = backing;
        create.backing_format = backing_format;
        create.options = options;
        try {
            block::create_image(create);
        } catch (const Error& e) {
            throw Error("{}: error while converting {}: {}", target, out_format, e.what());
        }
    }
    OpenRequest tr;
    tr.filename = target;
    tr.format = out_format;
    tr.writable = true;
    tr.cache = dst_cache;
    auto out = open_image(tr);
    if (no_create && out->size() < total) throw Error("Target image is too small");
    // A fresh image without a backing file reads as zeros everywhere.
    bool target_zero = (!no_create && backing.empty()) || target_is_zero_flag;
    uint32_t cluster = out->cluster_size() ? out->cluster_size() : 65536;
    uint64_t chunk = std::max<uint64_t>(2 << 20, cluster);
    std::vector<uint8_t> buf(chunk);

    Progress meter(progress);
    uint64_t dst_base = 0, done = 0;
    for (auto& src : sources) {
        uint64_t size = src->size();
        if (compress) {
            if (dst_base % cluster) throw Error("Compressed output needs cluster-aligned source sizes");
            compress_copy(*src, *out, dst_base, cluster, target_zero, [&](uint64_t n) {
                done += n;
                meter.update(total ? 100.0 * done / total : 100.0);
            });
            dst_base += size;
            continue;
        }
        for (uint64_t pos = 0; pos < size;) {
            uint64_t want = std::min<uint64_t>(chunk, size - pos);
            block::BlockStatus st = src->block_status(pos, want);
            uint64_t n = std::min<uint64_t>(st.bytes ? st.bytes : want, want);
            if (!backing.empty() && st.depth > 0) {
                // -B: data below the top layer is expected in the new backing file.
                pos += n;
                continue;
            }
            if (st.zero && !st.data) {
                if (!target_zero) {
                    if (int ret = out->pwrite_zeroes(dst_base + pos, n, true); ret < 0)
                        throw Error("error while writing at byte {}: {}", dst_base + pos, errno_string(-ret));
                }
            } else {
                read_or_throw(*src, pos, buf.data(), n, src->filename());
                // Write data, but leave zero-filled blocks sparse.
                uint64_t g = sparse ? sparse : n;
                for (uint64_t off = 0; off < n;) {
                    uint64_t len = std::min<uint64_t>(g - (pos + off) % g, n - off);
                    uint64_t run = len;
                    bool zero = sparse && is_zero(buf.data() + off, len);
                    // Coalesce consecutive blocks of the same kind.
                    while (off + run < n) {
                        uint64_t l2 = std::min<uint64_t>(g, n - off - run);
                        if ((sparse && is_zero(buf.data() + off + run, l2)) != zero) break;
                        run += l2;
                    }
                    if (zero) {
                        if (!target_zero) {
                            if (int ret = out->pwrite_zeroes(dst_base + pos + off, run, true); ret < 0)
                                throw Error("error while writing at byte {}: {}", dst_base + pos + off, errno_string(-ret));
                        }
                    } else {
                        write_or_throw(*out, dst_base + pos + off, buf.data() + off, run, target);
                    }
                    off += run;
                }
            }
            pos += n;
            done += n;
            meter.update(total ? 100.0 * done / total : 100.0);
        }
        dst_base += size;
    }
    if (int ret = out->flush(); ret < 0) throw Error("error while flushing: {}", errno_string(-ret));
    return 0;
}

}  // namespace mimic::img
