#include "mimic/system/firmware.h"

#include <unistd.h>

#include <climits>

namespace mimic::system {
namespace {

const char* const kSystemDirs[] = {"/usr/share/seabios", "/usr/share/qemu", "/usr/lib/ipxe/qemu"};

bool readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// The directory of the running executable ("" if unknown).
std::string executable_dir() {
    char buffer[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (length <= 0) return {};
    std::string path(buffer, static_cast<size_t>(length));
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

std::vector<std::string> FirmwarePath::search_dirs() const {
    std::vector<std::string> dirs = user_dirs_;
    // Mimic's own firmware (pc-bios/optionrom): beside the binary in a build
    // tree, in share/mimic when installed.
    std::string exe_dir = executable_dir();
    if (!exe_dir.empty()) {
        dirs.push_back(exe_dir + "/pc-bios");
        dirs.push_back(exe_dir + "/../share/mimic");
    }
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
