// Where firmware files (bios.bin, vgabios-stdvga.bin, option ROMs) are found.
//
// As QEMU: a name that is a path, or that exists relative to the current
// directory, is used as given; otherwise the -L directories are searched in
// order, then Mimic's own firmware directory (<binary's dir>/pc-bios in a
// build tree, <binary's dir>/../share/mimic installed), then the system's
// firmware directories (Debian's seabios package installs into
// /usr/share/seabios).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mimic::system {

class FirmwarePath {
public:
    FirmwarePath() = default;
    explicit FirmwarePath(std::vector<std::string> user_dirs) : user_dirs_(std::move(user_dirs)) {}

    std::optional<std::string> find(const std::string& name) const;
    // The directories searched, in order (for messages and `-L help`).
    std::vector<std::string> search_dirs() const;

private:
    std::vector<std::string> user_dirs_;
};

}  // namespace mimic::system
