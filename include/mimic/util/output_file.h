// A file a command writes for the user (memsave, pmemsave, screendump):
// every write and the close are checked, so a full disk or /dev/full is an
// error rather than a silent success, and a file this object created is
// removed again unless commit() succeeded, so a failure leaves nothing
// half-written behind. A file that existed before is left in place.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mimic/util/error.h"

namespace mimic {

// what() is the reason in strerror's words; error_number() its errno.
class OutputFileError : public Error {
public:
    OutputFileError(int error_number) : Error(errno_string(error_number)), error_number_(error_number) {}
    int error_number() const { return error_number_; }

private:
    int error_number_;
};

class OutputFile {
public:
    // Creates `path`, or truncates it if it exists. Throws OutputFileError.
    explicit OutputFile(std::string path);
    // Without a successful commit(): closes, and removes a file it created.
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    // Buffered; throws OutputFileError.
    void write(std::span<const uint8_t> data);
    // Writes what is buffered and closes; throws OutputFileError (and the
    // destructor then cleans up as for any failure).
    void commit();

private:
    void flush();

    std::string path_;
    int fd_ = -1;
    bool created_ = false;
    bool committed_ = false;
    std::vector<uint8_t> buffer_;
};

}  // namespace mimic
