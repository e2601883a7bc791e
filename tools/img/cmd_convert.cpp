// "convert": copy one or more images (concatenated) into a new image of any
// format, keeping it sparse: zero ranges of the source are skipped when the
// target is known to read as zeros, and zero-filled data blocks of -S bytes
// are not written.
#include "common.h"

#include "mimic/util/size.h"

#include <getopt.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace mimic::img {
namespace {

// Metadata that cannot be read or is corrupt ends the copy, as in qemu-img;
// `offset` is within the source image.
void check_status(const block::BlockStatus& st, uint64_t offset) {
    if (st.error)
        throw Error("error while reading block status at offset {}: {}", offset, errno_string(-st.error));
}

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
        check_status(st, pos);
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

struct CopyParams {
    uint64_t chunk;        // largest request
    uint64_t sparse;       // -S granularity (0: write everything)
    bool target_zero;      // the target reads as zeros already
    bool skip_backing;     // -B: leave what lies below the top layer
    unsigned workers;      // -m: requests in flight
    bool out_of_order;     // -W
};

// Writes data read from the source, leaving zero-filled blocks of the -S
// granularity sparse.
void write_sparse(block::BlockNode& out, uint64_t at, const uint8_t* buf, uint64_t n, const CopyParams& p,
                  const std::string& target) {
    uint64_t g = p.sparse ? p.sparse : n;
    for (uint64_t off = 0; off < n;) {
        uint64_t len = std::min<uint64_t>(g - (at + off) % g, n - off);
        uint64_t run = len;
        bool zero = p.sparse && is_zero(buf + off, len);
        // Coalesce consecutive blocks of the same kind.
        while (off + run < n) {
            uint64_t l2 = std::min<uint64_t>(g, n - off - run);
            if ((p.sparse && is_zero(buf + off + run, l2)) != zero) break;
            run += l2;
        }
        if (zero) {
            if (!p.target_zero) {
                if (int ret = out.pwrite_zeroes(at + off, run, true); ret < 0)
                    throw Error("error while writing at byte {}: {}", at + off, errno_string(-ret));
            }
        } else {
            write_or_throw(out, at + off, buf + off, run, target);
        }
        off += run;
    }
}

// The uncompressed copy, pipelined as qemu-img's coroutines are: up to
// `workers` requests in flight, each reading one segment of uniform
// allocation; reads overlap freely, writes go out in source order unless
// -W (in order keeps a qcow2 target unfragmented).
template <typename OnProgress>
void copy_pipelined(block::BlockNode& src, block::BlockNode& out, uint64_t dst_base, const CopyParams& p,
                    const std::string& target, OnProgress&& progress) {
    const uint64_t size = src.size();
    std::mutex mutex;
    std::condition_variable turn_cv;
    uint64_t next_pos = 0;        // first byte not yet claimed
    uint64_t next_seq = 0;        // sequence number of the next claim
    uint64_t write_turn = 0;      // sequence number allowed to write
    std::exception_ptr failure;

    auto worker = [&] {
        std::vector<uint8_t> buf(p.chunk);
        for (;;) {
            uint64_t pos, n, seq;
            block::BlockStatus st;
            {
                std::lock_guard lock(mutex);
                if (failure || next_pos >= size) return;
                pos = next_pos;
                uint64_t want = std::min<uint64_t>(p.chunk, size - pos);
                st = src.block_status(pos, want);
                if (st.error) {
                    try {
                        check_status(st, pos);
                    } catch (...) {
                        failure = std::current_exception();
                        turn_cv.notify_all();
                        return;
                    }
                }
                n = std::min<uint64_t>(st.bytes ? st.bytes : want, want);
                next_pos += n;
                seq = next_seq++;
            }
            try {
                bool skip = p.skip_backing && st.depth > 0;
                bool zeros = !skip && st.zero && !st.data;
                if (!skip && !zeros) read_or_throw(src, pos, buf.data(), n, src.filename());
                {
                    std::unique_lock lock(mutex);
                    if (!p.out_of_order) turn_cv.wait(lock, [&] { return write_turn == seq || failure; });
                    if (failure) return;
                }
                if (zeros) {
                    if (!p.target_zero) {
                        if (int ret = out.pwrite_zeroes(dst_base + pos, n, true); ret < 0)
                            throw Error("error while writing at byte {}: {}", dst_base + pos, errno_string(-ret));
                    }
                } else if (!skip) {
                    write_sparse(out, dst_base + pos, buf.data(), n, p, target);
                }
                std::lock_guard lock(mutex);
                ++write_turn;
                progress(n);
                turn_cv.notify_all();
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!failure) failure = std::current_exception();
                turn_cv.notify_all();
                return;
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < p.workers; ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
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
    unsigned coroutines = 8;     // qemu-img's default -m
    bool out_of_order = false;   // -W
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
            coroutines = static_cast<unsigned>(*v);
            break;
        }
        case 'W': out_of_order = true; break;
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
        copy_pipelined(*src, *out, dst_base, CopyParams{chunk, sparse, target_zero, !backing.empty(), coroutines,
                                                          out_of_order},
                       target, [&](uint64_t n) {
                           done += n;
                           meter.update(total ? 100.0 * done / total : 100.0);
                       });
        dst_base += size;
    }
    if (int ret = out->flush(); ret < 0) throw Error("error while flushing: {}", errno_string(-ret));
    return 0;
}

}  // namespace mimic::img
