// Host I/O submission for aio=native (Linux AIO) and aio=io_uring.
//
// The block layer's requests already run on worker threads, so each worker
// owns one small context/ring and waits for its own request; the engines
// change which kernel interface carries the I/O (with O_DIRECT, native AIO
// is truly asynchronous in the kernel), not the threading model.
#pragma once

#include "mimic/block/options.h"

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

namespace mimic::block {

// Bytes transferred (possibly short) or -errno. kThreads uses pread/pwrite.
ssize_t engine_rw(AioMode mode, bool write, int fd, void* buf, size_t bytes, uint64_t offset);

// Throws mimic::Error (QEMU's wording) if the engine cannot be used here.
void engine_probe(AioMode mode);

}  // namespace mimic::block
