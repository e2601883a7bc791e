// Host I/O submission for aio=threads (pread/pwrite) and aio=io_uring.
//
// The block layer's requests run on worker threads; with io_uring each
// worker owns one small ring and waits for its own request. aio=native
// goes through the file's shared NativeAioQueue (native_aio_queue.h).
#pragma once

#include "mimic/block/options.h"

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

namespace mimic::block {

// Bytes transferred (possibly short) or -errno. kThreads (and kNative,
// whose queue lives in FileNode) use pread/pwrite here.
ssize_t engine_rw(AioMode mode, bool write, int fd, void* buf, size_t bytes, uint64_t offset);

// Throws mimic::Error (QEMU's wording) if the engine cannot be used here.
void engine_probe(AioMode mode);

}  // namespace mimic::block
