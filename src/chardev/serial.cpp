// "serial" (alias "tty") and "parallel": a host device node used as is.
// A host serial line is put into raw mode; its speed and framing stay as
// the host configured them.
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "backends.h"
#include "fd_chardev.h"
#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

class DeviceChardev : public FdChardev {
public:
    DeviceChardev(std::string id, int fd, const char* name) : FdChardev(std::move(id)), name_(name) {
        set_fds(fd, fd, true);
        set_open(true);
    }
    const char* backend_name() const override { return name_; }

private:
    const char* name_;
};

std::unique_ptr<Chardev> open_device(const std::string& id, const ChardevOptions& options, const char* name) {
    std::optional<std::string> path = opt_string(options, "path");
    if (!path || path->empty()) throw Error("chardev: {}: no device path given", name);
    int fd = open_or_throw(*path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (isatty(fd)) make_raw_termios(fd, false, false);
    return std::make_unique<DeviceChardev>(id, fd, name);
}

}  // namespace

std::unique_ptr<Chardev> create_serial(const std::string& id, const ChardevOptions& options) {
    return open_device(id, options, "serial");
}

std::unique_ptr<Chardev> create_parallel(const std::string& id, const ChardevOptions& options) {
    return open_device(id, options, "parallel");
}

}  // namespace mimic::chardev
