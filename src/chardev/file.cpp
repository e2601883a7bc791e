// "file": output to a file (truncated, or appended with append=on), and
// optionally input from another (input-path=).
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "backends.h"
#include "fd_chardev.h"
#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

class FileChardev : public FdChardev {
public:
    FileChardev(std::string id, int in_fd, int out_fd) : FdChardev(std::move(id)) {
        set_fds(in_fd, out_fd, true);
        set_open(true);
    }
    const char* backend_name() const override { return "file"; }
};

}  // namespace

std::unique_ptr<Chardev> create_file(const std::string& id, const ChardevOptions& options) {
    std::optional<std::string> path = opt_string(options, "path");
    if (!path || path->empty()) throw Error("chardev: file: no filename given");
    bool append = opt_bool(options, "append").value_or(false);
    int out = open_or_throw(*path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC));
    int in = -1;
    if (auto input = opt_string(options, "input-path")) {
        try {
            in = open_or_throw(*input, O_RDONLY | O_NONBLOCK);
        } catch (...) {
            close(out);
            throw;
        }
    }
    return std::make_unique<FileChardev>(id, in, out);
}

}  // namespace mimic::chardev
