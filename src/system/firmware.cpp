#include "mimic/system/firmware.h"

#include <unistd.h>

namespace mimic::system {
namespace {

const char* const kSystemDirs[] = {"/usr/share/seabios", "/usr/share/qemu", "/usr/lib/ipxe/qemu"};

bool readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

}  // namespace

std::vector<std::string> FirmwarePath::search_dirs() const {
    std::vector<std::string> dirs = user_dirs_;
    for (const char* dir : kSystemDirs) dirs.emplace_back(dir);
    return dirs;
}

std::optional<std::string> FirmwarePath::find(const std::string& name) const {
    if (name.empty()) return std::nullopt;
    if (name.find('/') != std::string::npos || readable(name)) {
        if (readable(name)) return name;
        return std::nullopt;
    }
    for (const std::string& dir : search_dirs()) {
        std::string candidate = dir + "/" + name;
        if (readable(candidate)) return candidate;
    }
    return std::nullopt;
}

}  // namespace mimic::system
