// mimic-io: run read/write/discard/flush commands against an image, in the
// spirit of qemu-io, for scripted tests.
//
//   mimic-io [-f FMT] [-r] [-U] [-n] [-t CACHE] [-i AIO] [-c CMD]... FILE
//
// Commands: read, write, discard, flush, length, aio_read, aio_write,
// aio_flush, map, alloc, sleep, quit.
//
// Each command prints the same lines qemu-io does, so test scripts written
// for one can be read against the other.
#include "mimic/block/image.h"
#include "mimic/util/error.h"
#include "mimic/util/size.h"

#include <fmt/format.h>
#include <getopt.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace mimic;
using namespace mimic::block;

namespace {

// qemu-io's number style: three decimals, trailing zeros dropped.
std::string cvtstr(double value) {
    static const char* const kUnits[] = {" bytes", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB"};
    int unit = 0;
    while (unit < 6 && value >= 1024.0) {
        value /= 1024.0;
        ++unit;
    }
    std::string text = fmt::format("{:.3f}", value);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text + kUnits[unit];
}

void print_report(const char* op, double seconds, uint64_t offset, uint64_t count, uint64_t total, int ops) {
    std::printf("%s %llu/%llu bytes at offset %llu\n", op, static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(offset));
    double rate = seconds > 0 ? total / seconds : 0;
    double ops_rate = seconds > 0 ? ops / seconds : 0;
    std::printf("%s, %d ops; %05.2f sec (%s/sec and %.4f ops/sec)\n", cvtstr(static_cast<double>(total)).c_str(), ops,
                seconds, cvtstr(rate).c_str(), ops_rate);
}

std::vector<std::string> split_words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

uint64_t parse_num(const std::string& text) {
    auto v = parse_size(text);
    if (!v) throw Error("invalid numeric argument -- '{}'", text);
    return *v;
}

class Session {
public:
    explicit Session(std::unique_ptr<BlockNode> node) : node_(std::move(node)) {}

    // Returns false if the command failed.
    bool run(const std::string& line) {
        auto words = split_words(line);
        if (words.empty()) return true;
        try {
            const std::string& cmd = words[0];
            if (cmd == "read" || cmd == "r") return read(words);
            if (cmd == "write" || cmd == "w") return write(words);
            if (cmd == "discard" || cmd == "d") return discard(words);
            if (cmd == "flush" || cmd == "f") return check("flush", node_->flush());
            if (cmd == "length" || cmd == "l") {
                std::printf("%s\n", format_size(node_->size()).c_str());
                return true;
            }
            if (cmd == "aio_read") return aio_read(words);
            if (cmd == "aio_write") return aio_write(words);
            if (cmd == "aio_flush") {
                drain();
                return true;
            }
            if (cmd == "map") return map();
            if (cmd == "alloc") return alloc(words);
            if (cmd == "quit" || cmd == "q") return true;
            if (cmd == "sleep" && words.size() == 2) {
                std::this_thread::sleep_for(std::chrono::milliseconds(parse_num(words[1])));
                return true;
            }
            std::printf("command \"%s\" not found\n", cmd.c_str());
            return false;
        } catch (const Error& e) {
            std::printf("%s\n", e.what());
            return false;
        }
    }

    // Reports the asynchronous requests that have finished; qemu-io prints
    // them whenever its main loop runs, which is between commands.
    bool poll() {
        std::vector<std::unique_ptr<AioRequest>> done;
        {
            std::lock_guard lock(aio_mutex_);
            done.swap(aio_done_);
        }
        bool ok = true;
        for (auto& req : done) {
            req->thread.join();
            ok = report_aio(*req) && ok;
        }
        return ok;
    }

    // Waits for every asynchronous request (aio_flush, and before exit).
    bool drain() {
        std::unique_lock lock(aio_mutex_);
        aio_cv_.wait(lock, [&] { return aio_in_flight_ == 0; });
        lock.unlock();
        return poll();
    }


private:
    bool check(const char* what, int ret) {
        if (ret < 0) {
            std::printf("%s failed: %s\n", what, errno_string(-ret).c_str());
            return false;
        }
        return true;
    }

    bool range_ok(uint64_t offset, uint64_t count) {
        if (offset > node_->size() || count > node_->size() - offset) {
            std::printf("%s failed: Input/output error\n", op_);
            return false;
        }
        return true;
    }

    struct Args {
        int pattern = -1;
        bool quiet = false, zero = false, unmap = false, compressed = false;
        std::vector<std::string> rest;
    };

    // What a command accepts besides -P -q -z -u: qemu-io's commands each
    // have their own option string.
    struct Syntax {
        bool compress;          // -c: compressed write
        const char* ignored;    // flags accepted without effect here, getopt-style ("l:" takes a value)
        bool vectored;          // offset and one or more lengths, else offset and length
    };
    static constexpr Syntax kRangeSyntax{true, "vCbfl:s:", false};   // read, write, discard
    static constexpr Syntax kAioSyntax{false, "Cvfi", true};          // aio_read, aio_write

    // The letter of a flag `syntax` ignores, with whether it takes a value.
    static std::optional<bool> ignored_flag(const Syntax& syntax, const std::string& word) {
        if (word.size() != 2 || word[0] != '-' || word[1] == ':') return std::nullopt;
        std::string_view letters = syntax.ignored;
        size_t at = letters.find(word[1]);
        if (at == std::string_view::npos) return std::nullopt;
        return at + 1 < letters.size() && letters[at + 1] == ':';
    }

    Args parse(const std::vector<std::string>& words, const Syntax& syntax) {
        Args a;
        for (size_t i = 1; i < words.size(); ++i) {
            const std::string& w = words[i];
            if (w == "-P" && i + 1 < words.size()) {
                auto v = parse_int(words[++i]);
                if (!v) throw Error("non-numeric pattern argument -- '{}'", words[i]);
                a.pattern = static_cast<int>(*v & 0xff);
            } else if (w == "-q") {
                a.quiet = true;
            } else if (w == "-z") {
                a.zero = true;
            } else if (w == "-u") {
                a.unmap = true;
            } else if (w == "-c" && syntax.compress) {
                a.compressed = true;
            } else if (auto takes_value = ignored_flag(syntax, w)) {
                if (*takes_value && i + 1 < words.size()) ++i;
            } else {
                a.rest.push_back(w);
            }
        }
        if (syntax.vectored ? a.rest.size() < 2 : a.rest.size() != 2)
            throw Error("{}: wrong number of arguments", words[0]);
        return a;
    }

    bool read(const std::vector<std::string>& words) {
        op_ = "read";
        Args a = parse(words, kRangeSyntax);
        uint64_t offset = parse_num(a.rest[0]), count = parse_num(a.rest[1]);
        if (!range_ok(offset, count)) return false;
        std::vector<uint8_t> buf(count);
        auto start = std::chrono::steady_clock::now();
        if (!check("read", node_->pread(offset, buf.data(), count))) return false;
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        bool ok = true;
        if (a.pattern >= 0) {
            for (uint64_t i = 0; i < count; ++i) {
                if (buf[i] != a.pattern) {
                    std::printf("Pattern verification failed at offset %llu, %llu bytes\n",
                                static_cast<unsigned long long>(offset + i), static_cast<unsigned long long>(count));
                    ok = false;
                    break;
                }
            }
        }
        if (!a.quiet) print_report("read", secs, offset, count, count, 1);
        return ok;
    }

    bool write(const std::vector<std::string>& words) {
        op_ = "write";
        Args a = parse(words, kRangeSyntax);
        uint64_t offset = parse_num(a.rest[0]), count = parse_num(a.rest[1]);
        if (!range_ok(offset, count)) return false;
        auto start = std::chrono::steady_clock::now();
        int ret;
        if (a.zero) {
            ret = node_->pwrite_zeroes(offset, count, a.unmap);
        } else {
            std::vector<uint8_t> buf(count, static_cast<uint8_t>(a.pattern >= 0 ? a.pattern : 0xcd));
            if (a.compressed) {
                uint32_t cs = node_->cluster_size() ? node_->cluster_size() : 65536;
                ret = 0;
                for (uint64_t done = 0; done < count && ret == 0; done += cs)
                    ret = node_->pwrite_compressed(offset + done, buf.data() + done, std::min<uint64_t>(cs, count - done));
            } else {
                ret = node_->pwrite(offset, buf.data(), count);
            }
        }
        if (!check("write", ret)) return false;
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!a.quiet) print_report("wrote", secs, offset, count, count, 1);
        return true;
    }

    bool discard(const std::vector<std::string>& words) {
        op_ = "discard";
        Args a = parse(words, kRangeSyntax);
        uint64_t offset = parse_num(a.rest[0]), count = parse_num(a.rest[1]);
        if (!range_ok(offset, count)) return false;
        auto start = std::chrono::steady_clock::now();
        if (!check("discard", node_->discard(offset, count))) return false;
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!a.quiet) print_report("discard", secs, offset, count, count, 1);
        return true;
    }

    // One aio_read/aio_write: runs on its own thread, so several overlap
    // as in qemu-io (whose requests are coroutines).
    struct AioRequest {
        bool is_write = false;
        Args args;
        uint64_t offset = 0, count = 0;
        std::vector<uint8_t> buf;
        int ret = 0;
        double seconds = 0;
        std::thread thread;
    };

    bool aio_submit(const std::vector<std::string>& words, bool is_write) {
        op_ = is_write ? "aio_write" : "readv";
        auto req = std::make_unique<AioRequest>();
        req->is_write = is_write;
        // Several lengths make one vectored request of their sum.
        Args& a = req->args;
        a = parse(words, kAioSyntax);
        req->offset = parse_num(a.rest[0]);
        for (size_t i = 1; i < a.rest.size(); ++i) req->count += parse_num(a.rest[i]);
        // As in qemu-io, a request that fails is reported but does not fail
        // the command (nor the exit status).
        if (!range_ok(req->offset, req->count)) return true;
        req->buf.assign(req->count, static_cast<uint8_t>(a.pattern >= 0 ? a.pattern : 0xcd));
        {
            std::lock_guard lock(aio_mutex_);
            ++aio_in_flight_;
        }
        AioRequest* r = req.get();
        r->thread = std::thread([this, r, owned = std::move(req)]() mutable {
            auto start = std::chrono::steady_clock::now();
            if (!r->is_write) r->ret = node_->pread(r->offset, r->buf.data(), r->count);
            else if (r->args.zero) r->ret = node_->pwrite_zeroes(r->offset, r->count, r->args.unmap);
            else r->ret = node_->pwrite(r->offset, r->buf.data(), r->count);
            r->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::lock_guard lock(aio_mutex_);
            aio_done_.push_back(std::move(owned));
            --aio_in_flight_;
            aio_cv_.notify_all();
        });
        return true;
    }

    bool report_aio(const AioRequest& r) {
        const char* name = r.is_write ? "aio_write" : "readv";   // qemu-io's words
        if (r.ret < 0) {
            std::printf("%s failed: %s\n", name, errno_string(-r.ret).c_str());
            return false;
        }
        if (!r.is_write && r.args.pattern >= 0) {
            for (uint64_t i = 0; i < r.count; ++i) {
                if (r.buf[i] != r.args.pattern) {
                    std::printf("Pattern verification failed at offset %llu, %llu bytes\n",
                                static_cast<unsigned long long>(r.offset + i), static_cast<unsigned long long>(r.count));
                    break;
                }
            }
        }
        if (!r.args.quiet) print_report(r.is_write ? "wrote" : "read", r.seconds, r.offset, r.count, r.count, 1);
        return true;
    }

    bool aio_read(const std::vector<std::string>& words) { return aio_submit(words, false); }
    bool aio_write(const std::vector<std::string>& words) { return aio_submit(words, true); }

    // qemu-io's map: runs allocated in this image (not its backing file).
    bool map() {
        uint64_t size = node_->size();
        uint64_t offset = 0;
        while (offset < size) {
            bool allocated = false;
            uint64_t run = 0;
            while (offset + run < size) {
                BlockStatus st = node_->block_status(offset + run, size - offset - run);
                if (st.bytes == 0) break;
                if (run == 0) allocated = st.allocated;
                else if (st.allocated != allocated) break;
                run += st.bytes;
            }
            if (run == 0) break;
            std::printf("%s (0x%llx) bytes %s at offset %s (0x%llx)\n", cvtstr(static_cast<double>(run)).c_str(),
                        static_cast<unsigned long long>(run), allocated ? "    allocated" : "not allocated",
                        cvtstr(static_cast<double>(offset)).c_str(), static_cast<unsigned long long>(offset));
            offset += run;
        }
        return true;
    }

    // qemu-io's alloc: how many bytes of a range this image allocates.
    bool alloc(const std::vector<std::string>& words) {
        if (words.size() < 2 || words.size() > 3) throw Error("alloc: wrong number of arguments");
        uint64_t offset = parse_num(words[1]);
        uint64_t count = words.size() == 3 ? parse_num(words[2]) : 512;
        uint64_t start = offset, remaining = count, allocated = 0;
        while (remaining > 0) {
            if (offset >= node_->size()) {
                count -= remaining;   // past the end: the range is cut short
                break;
            }
            BlockStatus st = node_->block_status(offset, std::min(remaining, node_->size() - offset));
            uint64_t n = std::min(st.bytes, remaining);
            if (n == 0) {
                count -= remaining;
                break;
            }
            if (st.allocated) allocated += n;
            offset += n;
            remaining -= n;
        }
        std::printf("%llu/%llu bytes allocated at offset %s\n", static_cast<unsigned long long>(allocated),
                    static_cast<unsigned long long>(count), cvtstr(static_cast<double>(start)).c_str());
        return true;
    }

    std::unique_ptr<BlockNode> node_;
    const char* op_ = "";
    std::mutex aio_mutex_;
    std::condition_variable aio_cv_;
    std::vector<std::unique_ptr<AioRequest>> aio_done_;
    unsigned aio_in_flight_ = 0;
};

void usage() {
    std::printf("Usage: mimic-io [OPTIONS]... [-c STRING]... [file]\n\n"
                "  -c, --cmd STRING     execute command with its arguments from the given string\n"
                "  -f, --format FMT     specifies the block driver to use\n"
                "  -r, --read-only      export read-only\n"
                "  -n, --nocache        disable host cache, short for -t none\n"
                "  -t, --cache=MODE     use the given cache mode for the image\n"
                "  -i, --aio=MODE       use AIO mode (threads, native or io_uring)\n"
                "  -U, --force-share    force shared permissions\n"
                "  -h, --help           display this help and exit\n");
}

}  // namespace

int main(int argc, char** argv) {
    OpenOptions options;
    std::vector<std::string> commands;
    static const option kLong[] = {
        {"cmd", required_argument, nullptr, 'c'}, {"format", required_argument, nullptr, 'f'},
        {"read-only", no_argument, nullptr, 'r'}, {"nocache", no_argument, nullptr, 'n'},
        {"cache", required_argument, nullptr, 't'}, {"aio", required_argument, nullptr, 'i'},
        {"force-share", no_argument, nullptr, 'U'}, {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0}};
    try {
        int c;
        while ((c = getopt_long(argc, argv, "c:f:rnt:i:Uh", kLong, nullptr)) != -1) {
            switch (c) {
            case 'c': commands.emplace_back(optarg); break;
            case 'f': options.format = optarg; break;
            case 'r': options.read_only = true; break;
            case 'n': options.cache = parse_cache_mode("none"); break;
            case 't': options.cache = parse_cache_mode(optarg); break;
            case 'i': options.aio = parse_aio_mode(optarg); break;
            case 'U': options.force_share = true; break;
            case 'h': usage(); return 0;
            default: return 1;
            }
        }
        if (optind != argc - 1) {
            std::fprintf(stderr, "mimic-io: expected one image file argument\n");
            return 1;
        }
        options.filename = argv[optind];
        if (options.force_share && !options.read_only)
            throw Error("force-share=on can only be used with read-only images");
        std::unique_ptr<BlockNode> node;
        try {
            node = open_image(options);
        } catch (const Error& e) {
            throw Error("can't open device {}: {}", options.filename, e.what());
        }
        Session session(std::move(node));
        bool ok = true;
        if (commands.empty()) {
            // Scripts driving us through a pipe watch each reply, so every
            // command's output is flushed before the next is read.
            for (std::string line; std::getline(std::cin, line);) {
                ok = session.run(line) && ok;
                session.poll();
                std::fflush(stdout);
            }
        } else {
            for (const auto& cmd : commands) {
                ok = session.run(cmd) && ok;
                session.poll();
                std::fflush(stdout);
            }
        }
        session.drain();
        std::fflush(stdout);
        return ok ? 0 : 1;
    } catch (const Error& e) {
        std::fprintf(stderr, "mimic-io: %s\n", e.what());
        return 1;
    }
}
