#include "mimic/block/drive.h"

#include "thread_pool.h"

#include "mimic/block/image.h"
#include "mimic/util/error.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>

namespace mimic::block {
namespace {

// snapshot=on: a temporary qcow2 over the image takes every write; the
// image itself is only read and is left untouched.
std::string make_temp_overlay(const std::string& backing, const std::string& backing_format,
                              uint64_t size) {
    const char* dir = std::getenv("TMPDIR");
    std::string path = std::string(dir && *dir ? dir : "/var/tmp") + "/mimic.snapshot.XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) throw Error("Could not create temporary overlay '{}': {}", path, errno_string(errno));
    ::close(fd);
    CreateRequest request;
    request.filename = path;
    request.format = "qcow2";
    request.size = size;
    request.size_given = true;
    request.backing_file = backing;
    request.backing_format = backing_format;
    request.unsafe = true;
    create_image(request);
    return path;
}

std::string absolute_path(const std::string& name) {
    if (!name.empty() && name[0] == '/') return name;
    char* cwd = getcwd(nullptr, 0);
    std::string result = std::string(cwd ? cwd : ".") + "/" + name;
    std::free(cwd);
    return result;
}

uint64_t now_ns() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

enum RequestKind { kRead, kWrite, kFlush };

}  // namespace

void Drive::account(int kind, uint64_t bytes, uint64_t end_offset, int ret, uint64_t start_ns) {
    uint64_t end = now_ns();
    std::lock_guard lock(stats_mutex_);
    last_access_ns_ = static_cast<int64_t>(end);
    if (ret < 0) {
        ++(kind == kRead ? stats_.failed_rd_operations
                         : kind == kWrite ? stats_.failed_wr_operations : stats_.failed_flush_operations);
        return;
    }
    switch (kind) {
        case kRead:
            stats_.rd_bytes += bytes;
            ++stats_.rd_operations;
            stats_.rd_total_time_ns += end - start_ns;
            break;
        case kWrite:
            stats_.wr_bytes += bytes;
            ++stats_.wr_operations;
            stats_.wr_total_time_ns += end - start_ns;
            stats_.wr_highest_offset = std::max(stats_.wr_highest_offset, end_offset);
            break;
        default:
            ++stats_.flush_operations;
            stats_.flush_total_time_ns += end - start_ns;
            break;
    }
}

IoStats Drive::stats() const {
    std::lock_guard lock(stats_mutex_);
    IoStats result = stats_;
    if (last_access_ns_ >= 0) result.idle_time_ns = static_cast<int64_t>(now_ns()) - last_access_ns_;
    return result;
}

std::unique_ptr<Drive> Drive::open(const OpenOptions& options, CompletionQueue* completions) {
    std::unique_ptr<Drive> drive(new Drive());
    drive->completions_ = completions;
    drive->writethrough_ = !options.cache.writeback;
    drive->cache_ = options.cache;
    if (options.snapshot) {
        OpenOptions base = options;
        base.read_only = true;
        base.snapshot = false;
        auto image = open_image(base);
        std::string format = image->format_name();
        uint64_t size = image->size();
        image.reset();
        drive->temp_overlay_ = make_temp_overlay(absolute_path(options.filename), format, size);
        OpenOptions overlay = options;
        overlay.filename = drive->temp_overlay_;
        overlay.format = "qcow2";
        overlay.snapshot = false;
        overlay.read_only = false;
        overlay.force_share = true;
        try {
            drive->root_ = open_image(overlay);
        } catch (...) {
            unlink(drive->temp_overlay_.c_str());
            throw;
        }
        // The overlay stays reachable through our fd only.
        unlink(drive->temp_overlay_.c_str());
    } else {
        drive->root_ = open_image(options);
    }
    drive->read_only_ = drive->root_->read_only();
    // As many requests in flight as QEMU's thread pool allows (64); the
    // workers start only as the queue deepens.
    drive->pool_ = std::make_unique<ThreadPool>(64);
    return drive;
}

Drive::~Drive() {
    if (pool_) pool_->wait_idle();
    pool_.reset();
    if (root_ && !read_only_) root_->flush();
}

int Drive::read(uint64_t offset, void* buf, size_t bytes) {
    uint64_t start = now_ns();
    // The image may have shrunk under the guest (the size is not cached).
    int ret = offset > size() || bytes > size() - offset ? -EIO : root_->pread(offset, buf, bytes);
    account(kRead, bytes, offset + bytes, ret, start);
    return ret;
}

int Drive::write(uint64_t offset, const void* buf, size_t bytes) {
    if (read_only_) return -EACCES;
    uint64_t start = now_ns();
    int ret = offset > size() || bytes > size() - offset ? -EIO : root_->pwrite(offset, buf, bytes);
    if (ret == 0 && writethrough_) ret = root_->flush();
    account(kWrite, bytes, offset + bytes, ret, start);
    return ret;
}

int Drive::flush() {
    if (read_only_) return 0;
    uint64_t start = now_ns();
    int ret = root_->flush();
    account(kFlush, 0, 0, ret, start);
    return ret;
}

int Drive::discard(uint64_t offset, uint64_t bytes) {
    if (read_only_) return -EACCES;
    if (offset > size() || bytes > size() - offset) return -EIO;
    return root_->discard(offset, bytes);
}

int Drive::write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) {
    if (read_only_) return -EACCES;
    if (offset > size() || bytes > size() - offset) return -EIO;
    uint64_t start = now_ns();
    int ret = root_->pwrite_zeroes(offset, bytes, may_unmap);
    if (ret == 0 && writethrough_) ret = root_->flush();
    account(kWrite, bytes, offset + bytes, ret, start);
    return ret;
}

void Drive::submit(std::function<int()> work, Callback done) {
    CompletionQueue* queue = completions_;
    pool_->submit([work = std::move(work), done = std::move(done), queue]() mutable {
        int ret = work();
        if (queue) queue->post(std::move(done), ret);
        else if (done) done(ret);
    });
}

void Drive::aio_read(uint64_t offset, void* buf, size_t bytes, Callback done) {
    submit([=, this] { return read(offset, buf, bytes); }, std::move(done));
}

void Drive::aio_write(uint64_t offset, const void* buf, size_t bytes, Callback done) {
    submit([=, this] { return write(offset, buf, bytes); }, std::move(done));
}

void Drive::aio_flush(Callback done) {
    submit([this] { return flush(); }, std::move(done));
}

void Drive::aio_discard(uint64_t offset, uint64_t bytes, Callback done) {
    submit([=, this] { return read_only_ ? -EACCES : root_->discard(offset, bytes); }, std::move(done));
}

void Drive::aio_write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap, Callback done) {
    submit([=, this] {
        if (read_only_) return -EACCES;
        int ret = root_->pwrite_zeroes(offset, bytes, may_unmap);
        if (ret == 0 && writethrough_) ret = root_->flush();
        return ret;
    }, std::move(done));
}

void Drive::drain() { pool_->wait_idle(); }

}  // namespace mimic::block
