// Opening and creating images: the entry points of tools and devices.
#pragma once

#include "mimic/block/node.h"
#include "mimic/block/options.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mimic::block {

// Opens the format node named by `options` with its protocol node and its
// backing chain. Throws mimic::Error with QEMU's text, without the
// "Could not open 'x': " prefix that callers add.
std::unique_ptr<BlockNode> open_image(const OpenOptions& options);

// The format name a probe of the file's first bytes yields ("raw" when
// nothing else matches).
std::string probe_format(const std::string& filename);

using CreateOptions = std::vector<std::pair<std::string, std::string>>;

struct CreateRequest {
    std::string filename;
    std::string format = "raw";
    uint64_t size = 0;
    bool size_given = false;
    std::string backing_file;
    std::string backing_format;
    bool unsafe = false;         // -u: backing file need not exist
    CreateOptions options;       // -o key=value in order given
};

// Creates an image; returns the "Formatting ..." line's option part
// ("fmt=qcow2 cluster_size=65536 ... size=67108864").
std::string create_image(const CreateRequest& request);

// Help text for "-o help" of `format`.
std::string create_options_help(const std::string& format);

bool is_supported_format(const std::string& format);

}  // namespace mimic::block
