#include "mimic/util/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace mimic {

namespace {

constexpr size_t kBufferSize = 64 * 1024;

}  // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
    // Exclusive creation tells a file we made (ours to remove on failure)
    // from one that was there; a name that vanishes in between, or a
    // dangling symlink, gets the plain create-or-truncate at the end.
    for (int attempt = 0; attempt < 3 && fd_ < 0; ++attempt) {
        fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ >= 0) {
            created_ = true;
            break;
        }
        if (errno != EEXIST) throw OutputFileError(errno);
        fd_ = open(path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd_ < 0 && errno != ENOENT) throw OutputFileError(errno);
    }
    if (fd_ < 0) fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) throw OutputFileError(errno);
    buffer_.reserve(kBufferSize);
}

OutputFile::~OutputFile() {
    if (committed_) return;
    if (fd_ >= 0) close(fd_);
    if (created_) unlink(path_.c_str());
}

void OutputFile::write(std::span<const uint8_t> data) {
    while (!data.empty()) {
        size_t take = std::min(data.size(), kBufferSize - buffer_.size());
        buffer_.insert(buffer_.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(take));
        data = data.subspan(take);
        if (buffer_.size() == kBufferSize) flush();
    }
}

void OutputFile::flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
        ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw OutputFileError(errno);
        if (n == 0) throw OutputFileError(EIO);
        done += static_cast<size_t>(n);
    }
    buffer_.clear();
}

void OutputFile::commit() {
    flush();
    int fd = fd_;
    fd_ = -1;
    // The close's verdict counts (NFS reports write errors there); the fd
    // is gone either way.
    if (close(fd) != 0) throw OutputFileError(errno);
    committed_ = true;
}

}  // namespace mimic
