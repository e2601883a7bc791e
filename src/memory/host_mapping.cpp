#include "mimic/memory/host_mapping.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "mimic/util/error.h"

namespace mimic::memory {

HostMapping::HostMapping(const std::string& name, uint64_t size, Commit commit) : size_(size) {
    if (size == 0) return;
    uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    int err = ENOMEM;  // for sizes so large that rounding up would wrap
    if (size <= UINT64_MAX - page) {
        uint64_t mapped = (size + page - 1) & ~(page - 1);
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | (commit == Commit::kUnaccounted ? MAP_NORESERVE : 0);
        void* data = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, flags, -1, 0);
        if (data != MAP_FAILED) {
            data_ = static_cast<uint8_t*>(data);
            mapped_ = mapped;
            return;
        }
        err = errno;
    }
    throw Error("cannot set up guest memory '{}': {}", name, errno_string(err));
}

HostMapping::~HostMapping() {
    if (data_) munmap(data_, mapped_);
}

HostMapping::HostMapping(HostMapping&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

HostMapping& HostMapping::operator=(HostMapping&& other) noexcept {
    if (this != &other) {
        if (data_) munmap(data_, mapped_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        mapped_ = std::exchange(other.mapped_, 0);
    }
    return *this;
}

}  // namespace mimic::memory
