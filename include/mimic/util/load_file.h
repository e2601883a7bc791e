// Reading a user's whole file into memory: firmware, option ROMs, kernels,
// initrds, multiboot modules, secrets. Every such loader goes through
// load_file_bounded(), which checks what the file is and how large before
// reading a byte: a directory, a device such as /dev/zero or a file larger
// than the caller can use fails with a FileLoadError instead of aborting the
// process or filling host memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mimic/util/error.h"

namespace mimic {

// Why a file could not be loaded. what() is the reason alone, in the words
// of strerror ("No such file or directory", "Is a directory", "File too
// large"), so each loader can put it into its own QEMU-style message.
class FileLoadError : public Error {
public:
    enum class Reason {
        kOpen,        // open() failed: error_number() says why
        kNotRegular,  // a directory, device or socket where a file was expected
        kTooLarge,    // larger than the caller's bound: size() is the file's size
        kRead,        // read() failed: error_number() says why
    };

    FileLoadError(Reason reason, int error_number, uint64_t size, const std::string& message)
        : Error(message), reason_(reason), error_number_(error_number), size_(size) {}

    Reason reason() const { return reason_; }
    int error_number() const { return error_number_; }
    uint64_t size() const { return size_; }

private:
    Reason reason_;
    int error_number_;
    uint64_t size_;
};

enum class FileKind {
    kRegular,          // only a regular file (its size is known up front)
    kRegularOrStream,  // also a pipe, FIFO or character device, read up to the bound
};

// The contents of `path`, which must hold at most `max_size` bytes.
// Throws FileLoadError.
std::vector<uint8_t> load_file_bounded(const std::string& path, uint64_t max_size,
                                       FileKind kind = FileKind::kRegular);

}  // namespace mimic
