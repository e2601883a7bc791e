#include "common.h"

#include <getopt.h>

#include <cstdio>
#include <cstring>

namespace mimic::img {

std::unique_ptr<block::BlockNode> open_image(const OpenRequest& request) {
    block::OpenOptions options;
    options.filename = request.filename;
    options.format = request.format;
    options.read_only = !request.writable;
    options.force_share = request.force_share;
    options.no_backing = request.no_backing;
    options.allow_corrupt = request.allow_corrupt;
    options.for_check = request.for_check;
    options.no_io = request.no_io;
    if (request.force_share && request.writable)
        throw Error("Could not open '{}': force-share=on can only be used with read-only images", request.filename);
    try {
        options.cache = block::parse_cache_mode(request.cache);
        return block::open_image(options);
    } catch (const Error& e) {
        throw Error("Could not open '{}': {}", request.filename, e.what());
    }
}

void parse_create_options(const std::string& text, block::CreateOptions& options) {
    std::string item;
    auto flush = [&] {
        if (item.empty()) return;
        auto eq = item.find('=');
        if (eq == std::string::npos) {
            if (item == "help" || item == "?") options.emplace_back("help", "");
            else options.emplace_back(item, "on");
        } else {
            options.emplace_back(item.substr(0, eq), item.substr(eq + 1));
        }
        item.clear();
    };
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == ',') {
            if (i + 1 < text.size() && text[i + 1] == ',') {
                item += ',';
                ++i;
                continue;
            }
            flush();
        } else {
            item += text[i];
        }
    }
    flush();
}

void read_or_throw(block::BlockNode& node, uint64_t offset, void* buf, size_t bytes, const std::string& name) {
    if (int ret = node.pread(offset, buf, bytes); ret < 0)
        throw Error("Could not read '{}' at byte {}: {}", name, offset, errno_string(-ret));
}

void write_or_throw(block::BlockNode& node, uint64_t offset, const void* buf, size_t bytes, const std::string& name) {
    if (int ret = node.pwrite(offset, buf, bytes); ret < 0)
        throw Error("Could not write '{}' at byte {}: {}", name, offset, errno_string(-ret));
}

bool is_zero(const uint8_t* buf, size_t bytes) {
    if (bytes == 0) return true;
    if (buf[0] != 0) return false;
    return std::memcmp(buf, buf + 1, bytes - 1) == 0;
}

Progress::~Progress() {
    if (enabled_) {
        update(100.0);
        std::printf("\n");
        std::fflush(stdout);
    }
}

void Progress::update(double percent) {
    if (!enabled_) return;
    if (percent - last_ < 1.0 && percent < 100.0 && last_ >= 0) return;
    last_ = percent;
    std::printf("    (%3.2f/100%%)\r", percent);
    std::fflush(stdout);
}

void missing_filename() { throw Error("Expecting filename"); }

void check_output_format(const std::string& output) {
    if (output != "human" && output != "json") throw Error("--output must be used with human or json as argument.");
}

void bad_option(char** argv) {
    (void)argv;
    throw Error("Try 'mimic-img --help' for more information");
}

}  // namespace mimic::img
