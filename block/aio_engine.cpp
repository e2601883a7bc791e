#include "aio_engine.h"

#include "mimic/util/error.h"

#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mimic::block {
namespace {

struct UringContext {
    io_uring ring;
    bool ready = false;
    int init_error = 0;
    UringContext() {
        int ret = io_uring_queue_init(8, &ring, 0);
        if (ret == 0) ready = true;
        else init_error = -ret;
    }
    ~UringContext() {
        if (ready) io_uring_queue_exit(&ring);
    }
};

UringContext& uring() {
    thread_local UringContext context;
    return context;
}

ssize_t uring_rw(bool write, int fd, void* buf, size_t bytes, uint64_t offset) {
    UringContext& c = uring();
    if (!c.ready) return -c.init_error;
    io_uring_sqe* sqe = io_uring_get_sqe(&c.ring);
    if (!sqe) return -EAGAIN;
    if (write) io_uring_prep_write(sqe, fd, buf, static_cast<unsigned>(bytes), offset);
    else io_uring_prep_read(sqe, fd, buf, static_cast<unsigned>(bytes), offset);
    int ret = io_uring_submit(&c.ring);
    if (ret < 0) return ret;
    io_uring_cqe* cqe = nullptr;
    do {
        ret = io_uring_wait_cqe(&c.ring, &cqe);
    } while (ret == -EINTR);
    if (ret < 0) return ret;
    ssize_t result = cqe->res;
    io_uring_cqe_seen(&c.ring, cqe);
    return result;
}

}  // namespace

ssize_t engine_rw(AioMode mode, bool write, int fd, void* buf, size_t bytes, uint64_t offset) {
    switch (mode) {
    case AioMode::kIoUring: return uring_rw(write, fd, buf, bytes, offset);
    case AioMode::kNative:    // FileNode's NativeAioQueue carries these
    case AioMode::kThreads: break;
    }
    ssize_t n = write ? ::pwrite(fd, buf, bytes, static_cast<off_t>(offset))
                      : ::pread(fd, buf, bytes, static_cast<off_t>(offset));
    return n < 0 ? -errno : n;
}

void engine_probe(AioMode mode) {
    if (mode == AioMode::kIoUring && !uring().ready)
        throw Error("Unable to use io_uring: failed to init linux io_uring ring: {}",
                    errno_string(uring().init_error));
}

}  // namespace mimic::block
