#include "mimic/util/load_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace mimic {

namespace {

using Reason = FileLoadError::Reason;

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

FileLoadError errno_error(Reason reason, int err) { return FileLoadError(reason, err, 0, errno_string(err)); }

FileLoadError too_large(uint64_t size) { return FileLoadError(Reason::kTooLarge, EFBIG, size, errno_string(EFBIG)); }

// Reads until EOF or until `limit` bytes are in; returns what was read.
std::vector<uint8_t> read_up_to(int fd, uint64_t limit, uint64_t expected) {
    std::vector<uint8_t> data;
    data.reserve(static_cast<size_t>(std::min(limit, expected)));
    constexpr size_t kChunk = 64 * 1024;
    while (data.size() < limit) {
        size_t old_size = data.size();
        size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, limit - old_size));
        data.resize(old_size + want);
        ssize_t n = read(fd, data.data() + old_size, want);
        if (n < 0 && errno == EINTR) {
            data.resize(old_size);
            continue;
        }
        if (n < 0) throw errno_error(Reason::kRead, errno);
        data.resize(old_size + static_cast<size_t>(n));
        if (n == 0) break;
    }
    return data;
}

}  // namespace

std::vector<uint8_t> load_file_bounded(const std::string& path, uint64_t max_size, FileKind kind) {
    // Where only a regular file will do, a FIFO with no writer must not
    // hang the open (reads go back to blocking below); a stream's reader
    // waits for its writer as usual.
    int nonblock = kind == FileKind::kRegular ? O_NONBLOCK : 0;
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | nonblock));
    if (fd.get() < 0) throw errno_error(Reason::kOpen, errno);
    struct stat st;
    if (fstat(fd.get(), &st) != 0) throw errno_error(Reason::kOpen, errno);
    if (S_ISDIR(st.st_mode)) throw FileLoadError(Reason::kNotRegular, EISDIR, 0, errno_string(EISDIR));
    bool regular = S_ISREG(st.st_mode);
    bool stream = S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode);
    if (!regular && !(stream && kind == FileKind::kRegularOrStream))
        throw FileLoadError(Reason::kNotRegular, 0, 0, "Not a regular file");
    if (regular && static_cast<uint64_t>(st.st_size) > max_size) throw too_large(static_cast<uint64_t>(st.st_size));
    int flags = fcntl(fd.get(), F_GETFL);
    if (flags < 0 || fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) < 0) throw errno_error(Reason::kOpen, errno);

    // One byte past the bound tells a file that grew, or a stream that is
    // longer than allowed.
    uint64_t limit = max_size == UINT64_MAX ? max_size : max_size + 1;
    uint64_t expected = regular ? static_cast<uint64_t>(st.st_size) : 0;
    std::vector<uint8_t> data = read_up_to(fd.get(), limit, expected);
    if (data.size() > max_size) throw too_large(std::max<uint64_t>(data.size(), expected));
    return data;
}

}  // namespace mimic
