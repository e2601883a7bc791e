#include "file.h"

#include "aio_engine.h"
#include "native_aio_queue.h"

#include "mimic/util/error.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace mimic::block {
namespace {

uint64_t align_down(uint64_t v, uint64_t a) { return v / a * a; }
uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Writes zeros (not holes) over a range, for preallocation=full.
void write_zero_range(int fd, uint64_t offset, uint64_t length) {
    std::vector<char> zeros(1 << 20);
    while (length > 0) {
        size_t chunk = std::min<uint64_t>(length, zeros.size());
        ssize_t n = ::pwrite(fd, zeros.data(), chunk, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error("Could not write zeros for preallocation: {}", errno_string(errno));
        }
        offset += n;
        length -= n;
    }
}

void preallocate(int fd, uint64_t old_size, uint64_t new_size, Prealloc prealloc) {
    if (new_size <= old_size) return;
    switch (prealloc) {
    case Prealloc::kOff:
    case Prealloc::kMetadata:
        break;
    case Prealloc::kFalloc:
        if (posix_fallocate(fd, static_cast<off_t>(old_size), static_cast<off_t>(new_size - old_size)) != 0)
            throw Error("Could not preallocate data for the new file: {}", errno_string(errno));
        break;
    case Prealloc::kFull:
        write_zero_range(fd, old_size, new_size - old_size);
        break;
    }
}

}  // namespace

std::unique_ptr<FileNode> FileNode::open(const std::string& filename, bool read_only,
                                         const CacheFlags& cache, bool force_share, AioMode aio) {
    if (aio == AioMode::kNative && !cache.direct)
        throw Error("aio=native was specified, but it requires cache.direct=on, which was not specified.");
    engine_probe(aio);
    std::unique_ptr<FileNode> node(new FileNode());
    node->filename_ = filename;
    node->read_only_ = read_only;
    node->direct_ = cache.direct;
    node->no_flush_ = cache.no_flush;
    node->aio_ = aio;
    if (aio == AioMode::kNative) node->native_queue_ = std::make_unique<NativeAioQueue>();
    int flags = (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | (cache.direct ? O_DIRECT : 0);
    node->fd_ = ::open(filename.c_str(), flags);
    if (node->fd_ < 0) throw Error("Could not open '{}': {}", filename, errno_string(errno));
    struct stat st;
    if (fstat(node->fd_, &st) != 0) throw Error("Could not open '{}': {}", filename, errno_string(errno));
    node->block_device_ = S_ISBLK(st.st_mode);
    // QEMU's 'file' driver takes regular files only; names under /dev/ go to
    // its 'host_device' driver, which takes devices only.
    if (filename.starts_with("/dev/")) {
        if (!S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode))
            throw Error("'host_device' driver requires '{}' to be either a character or block device", filename);
    } else if (!S_ISREG(st.st_mode)) {
        throw Error("'file' driver requires '{}' to be a regular file", filename);
    }
    // A file whose end cannot be found (/proc/self/mem) has no usable size.
    if (lseek(node->fd_, 0, SEEK_END) < 0)
        throw Error("Could not refresh total sector count: {}", errno_string(errno));
    if (cache.direct) {
        // 4 KiB satisfies every host device we care about; probing the
        // logical block size is an optimisation for another day.
        node->align_ = 4096;
    }
    lock_image_file(node->fd_, filename, !read_only, force_share);
    return node;
}

void FileNode::create(const std::string& filename, uint64_t size, Prealloc prealloc) {
    int fd = ::open(filename.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("Could not create '{}': {}", filename, errno_string(errno));
    try {
        lock_image_file(fd, filename, true, false);
        if (ftruncate(fd, static_cast<off_t>(size)) != 0)
            throw Error("Could not resize file: {}", errno_string(errno));
        preallocate(fd, 0, size, prealloc);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

FileNode::~FileNode() {
    if (fd_ >= 0) ::close(fd_);
}

uint64_t FileNode::size() const {
    if (block_device_) {
        uint64_t bytes = 0;
        if (ioctl(fd_, BLKGETSIZE64, &bytes) == 0) return bytes;
    }
    struct stat st;
    if (fstat(fd_, &st) != 0) return 0;
    return static_cast<uint64_t>(st.st_size);
}

int FileNode::raw_io(bool write, uint64_t offset, void* buf, size_t bytes) {
    auto* p = static_cast<char*>(buf);
    while (bytes > 0) {
        ssize_t n = native_queue_ ? native_queue_->rw(write, fd_, p, bytes, offset)
                                  : engine_rw(aio_, write, fd_, p, bytes, offset);
        if (n < 0) {
            if (n == -EINTR) continue;
            return static_cast<int>(n);
        }
        if (n == 0) {
            if (write) return -EIO;
            // Reading past the end of a file yields zeros, as for a hole.
            std::memset(p, 0, bytes);
            return 0;
        }
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

// O_DIRECT needs aligned offsets, lengths and memory; unaligned requests
// (metadata updates of a few bytes) go through a bounce buffer with
// read-modify-write.
int FileNode::aligned_io(bool write, uint64_t offset, void* buf, size_t bytes) {
    bool aligned = offset % align_ == 0 && bytes % align_ == 0 &&
                   reinterpret_cast<uintptr_t>(buf) % align_ == 0;
    if (aligned) return raw_io(write, offset, buf, bytes);
    uint64_t start = align_down(offset, align_);
    uint64_t end = align_up(offset + bytes, align_);
    void* bounce = nullptr;
    if (posix_memalign(&bounce, align_, end - start) != 0) return -ENOMEM;
    std::unique_ptr<void, decltype(&std::free)> guard(bounce, &std::free);
    auto* b = static_cast<char*>(bounce);
    if (write) {
        // Only the partial edge blocks need their old contents.
        if (int ret = raw_io(false, start, b, align_); ret < 0) return ret;
        if (end - start > align_) {
            if (int ret = raw_io(false, end - align_, b + (end - start - align_), align_); ret < 0)
                return ret;
        }
        std::memcpy(b + (offset - start), buf, bytes);
        uint64_t file_end = size();
        int ret = raw_io(true, start, b, end - start);
        // The rounding must not grow a regular file beyond what was asked.
        if (ret == 0 && !block_device_ && end > file_end && offset + bytes < end &&
            ftruncate(fd_, static_cast<off_t>(std::max<uint64_t>(file_end, offset + bytes))) != 0)
            return -errno;
        return ret;
    }
    if (int ret = raw_io(false, start, b, end - start); ret < 0) return ret;
    std::memcpy(buf, b + (offset - start), bytes);
    return 0;
}

int FileNode::pread(uint64_t offset, void* buf, size_t bytes) {
    if (!request_in_range(offset, bytes)) return -EIO;
    return direct_ ? aligned_io(false, offset, buf, bytes) : raw_io(false, offset, buf, bytes);
}

int FileNode::pwrite(uint64_t offset, const void* buf, size_t bytes) {
    if (read_only_) return -EBADF;
    if (!request_in_range(offset, bytes)) return -EIO;
    auto* p = const_cast<void*>(buf);   // raw_io only reads from it when writing
    return direct_ ? aligned_io(true, offset, p, bytes) : raw_io(true, offset, p, bytes);
}

int FileNode::pwrite_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) {
    if (read_only_) return -EBADF;
    if (!block_device_) {
        uint64_t end = size();
        if (may_unmap && offset < end &&
            fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                      static_cast<off_t>(std::min(bytes, end - offset))) == 0) {
            if (offset + bytes > end && ftruncate(fd_, static_cast<off_t>(offset + bytes)) != 0)
                return -errno;
            return 0;
        }
        if (fallocate(fd_, FALLOC_FL_ZERO_RANGE, static_cast<off_t>(offset), static_cast<off_t>(bytes)) == 0)
            return 0;
    }
    return BlockNode::pwrite_zeroes(offset, bytes, may_unmap);
}

int FileNode::discard(uint64_t offset, uint64_t bytes) {
    if (read_only_) return -EBADF;
    if (block_device_) {
        uint64_t range[2] = {offset, bytes};
        return ioctl(fd_, BLKDISCARD, range) == 0 ? 0 : 0;   // advisory
    }
    fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
              static_cast<off_t>(bytes));
    return 0;   // discard is a hint; failure to punch is not an I/O error
}

int FileNode::flush() {
    if (no_flush_ || read_only_) return 0;
    return fdatasync(fd_) == 0 ? 0 : -errno;
}

BlockStatus FileNode::block_status(uint64_t offset, uint64_t bytes) {
    BlockStatus status;
    status.allocated = true;
    status.offset_valid = true;
    status.host_offset = offset;
    status.bytes = bytes;
    status.data = true;
    uint64_t end = size();
    if (block_device_ || offset >= end) {
        if (offset >= end) { status.data = false; status.zero = true; }
        return status;
    }
    off_t data = lseek(fd_, static_cast<off_t>(offset), SEEK_DATA);
    if (data < 0) {
        // ENXIO: only a hole until the end of the file.
        if (errno == ENXIO) { status.data = false; status.zero = true; }
        return status;
    }
    if (static_cast<uint64_t>(data) > offset) {
        status.data = false;
        status.zero = true;
        status.bytes = std::min<uint64_t>(bytes, data - offset);
        return status;
    }
    off_t hole = lseek(fd_, static_cast<off_t>(offset), SEEK_HOLE);
    if (hole > static_cast<off_t>(offset)) status.bytes = std::min<uint64_t>(bytes, hole - offset);
    return status;
}

void FileNode::truncate(uint64_t new_size, Prealloc prealloc, bool) {
    if (block_device_) {
        if (new_size > size()) throw Error("Cannot grow device files");
        return;
    }
    uint64_t old_size = size();
    if (ftruncate(fd_, static_cast<off_t>(new_size)) != 0)
        throw Error("Failed to resize file: {}", errno_string(errno));
    preallocate(fd_, old_size, new_size, prealloc);
}

int64_t FileNode::allocated_file_size() const {
    struct stat st;
    if (fstat(fd_, &st) != 0) return -1;
    return static_cast<int64_t>(st.st_blocks) * 512;
}

}  // namespace mimic::block
