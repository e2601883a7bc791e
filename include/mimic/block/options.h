// How a drive is opened: the parts of "-drive file=...,format=...,cache=...,
// aio=...,readonly=...,snapshot=..." that the block layer understands.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mimic::block {

// QEMU's cache modes reduce to three independent switches; the mode names
// are only shorthands for combinations of them.
struct CacheFlags {
    bool writeback = true;   // false: every write is followed by a flush
    bool direct = false;     // O_DIRECT on the host file
    bool no_flush = false;   // flushes are dropped (cache=unsafe)
};

// "writeback", "none", "writethrough", "directsync", "unsafe".
CacheFlags parse_cache_mode(std::string_view mode);

enum class AioMode { kThreads, kNative, kIoUring };
AioMode parse_aio_mode(std::string_view mode);

enum class Prealloc { kOff, kMetadata, kFalloc, kFull };
Prealloc parse_prealloc(std::string_view text);
const char* prealloc_name(Prealloc mode);

struct OpenOptions {
    std::string filename;
    std::string format;          // empty: probe
    CacheFlags cache;
    AioMode aio = AioMode::kThreads;
    bool read_only = false;
    bool snapshot = false;       // writes go to a temporary qcow2 overlay
    bool force_share = false;    // -U: open even if another process writes
    bool no_backing = false;     // open only the top image (info, rebase -u)
    bool allow_corrupt = false;  // check -r: repair an image marked corrupt
    bool for_check = false;      // check: a dirty image is repaired by the check, not on open
    bool no_io = false;          // info: the image is described, never read through
};

}  // namespace mimic::block
