// Shared pieces of mimic-img's subcommands.
#pragma once

#include "mimic/block/image.h"
#include "mimic/block/node.h"
#include "mimic/util/error.h"

#include <memory>
#include <string>

namespace mimic::img {

// Each subcommand: argv[0] is the subcommand name; returns the exit code.
// User errors are thrown as mimic::Error and printed by main().
int cmd_create(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_check(int argc, char** argv);
int cmd_convert(int argc, char** argv);
int cmd_snapshot(int argc, char** argv);
int cmd_resize(int argc, char** argv);
int cmd_map(int argc, char** argv);
int cmd_compare(int argc, char** argv);
int cmd_rebase(int argc, char** argv);
int cmd_commit(int argc, char** argv);
int cmd_amend(int argc, char** argv);
int cmd_measure(int argc, char** argv);
int cmd_dd(int argc, char** argv);
int cmd_bench(int argc, char** argv);

struct OpenRequest {
    std::string filename;
    std::string format;
    bool writable = false;
    bool force_share = false;
    bool no_backing = false;
    bool allow_corrupt = false;
    bool for_check = false;
    bool no_io = false;   // info: described, never read through
    std::string cache = "writeback";
};

// Opens an image; errors read "Could not open 'x': ...".
std::unique_ptr<block::BlockNode> open_image(const OpenRequest& request);

// "-o a=b,c=d" with ",," for a literal comma, appended to `options`.
void parse_create_options(const std::string& text, block::CreateOptions& options);

// Reads the whole range, turning I/O errors into mimic::Error.
void read_or_throw(block::BlockNode& node, uint64_t offset, void* buf, size_t bytes, const std::string& name);
void write_or_throw(block::BlockNode& node, uint64_t offset, const void* buf, size_t bytes, const std::string& name);

bool is_zero(const uint8_t* buf, size_t bytes);

// "    (12.34/100%)" progress, redrawn in place.
class Progress {
public:
    explicit Progress(bool enabled) : enabled_(enabled) { update(0.0); }
    ~Progress();
    void update(double percent);

private:
    bool enabled_;
    double last_ = -1;
};

// Missing argument and bad option messages as qemu-img prints them.
[[noreturn]] void missing_filename();
[[noreturn]] void bad_option(char** argv);
// --output: "human" or "json", else qemu-img's error.
void check_output_format(const std::string& output);

}  // namespace mimic::img
