#include "mimic/block/options.h"

#include "mimic/util/error.h"

namespace mimic::block {

CacheFlags parse_cache_mode(std::string_view mode) {
    if (mode == "writeback") return {true, false, false};
    if (mode == "none" || mode == "off") return {true, true, false};
    if (mode == "writethrough") return {false, false, false};
    if (mode == "directsync") return {false, true, false};
    if (mode == "unsafe") return {true, false, true};
    throw Error("Invalid cache mode '{}'", mode);
}

AioMode parse_aio_mode(std::string_view mode) {
    if (mode == "threads") return AioMode::kThreads;
    if (mode == "native") return AioMode::kNative;
    if (mode == "io_uring") return AioMode::kIoUring;
    throw Error("Invalid aio option '{}'", mode);
}

Prealloc parse_prealloc(std::string_view text) {
    if (text == "off") return Prealloc::kOff;
    if (text == "metadata") return Prealloc::kMetadata;
    if (text == "falloc") return Prealloc::kFalloc;
    if (text == "full") return Prealloc::kFull;
    throw Error("Parameter 'preallocation' does not accept value '{}'", text);
}

const char* prealloc_name(Prealloc mode) {
    switch (mode) {
    case Prealloc::kOff: return "off";
    case Prealloc::kMetadata: return "metadata";
    case Prealloc::kFalloc: return "falloc";
    case Prealloc::kFull: return "full";
    }
    return "off";
}

}  // namespace mimic::block
