#include "mimic/memory/host_mapping.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "mimic/util/error.h"

namespace mimic::memory {

namespace {

// Guest RAM of 2 MiB or more starts on a 2 MiB boundary and asks for
// transparent huge pages, as QEMU's does: the host's TLB then covers guest
// memory with one entry per 2 MiB, and generated code feels every access
// that misses it.
constexpr uint64_t kHugePage = 2u << 20;

}  // namespace

HostMapping::HostMapping(const std::string& name, uint64_t size, Commit commit) : size_(size) {
    if (size == 0) return;
    uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    int err = ENOMEM;  // for sizes so large that rounding up would wrap
    if (size <= UINT64_MAX - page - kHugePage) {
        const uint64_t mapped = (size + page - 1) & ~(page - 1);
        const bool huge = commit == Commit::kAccounted && mapped >= kHugePage;
        const uint64_t slack = huge ? kHugePage - page : 0;   // room to align the start
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | (commit == Commit::kUnaccounted ? MAP_NORESERVE : 0);
        void* data = mmap(nullptr, mapped + slack, PROT_READ | PROT_WRITE, flags, -1, 0);
        if (data != MAP_FAILED) {
            auto* start = static_cast<uint8_t*>(data);
            if (huge) {
                const uint64_t head = (kHugePage - reinterpret_cast<uintptr_t>(start) % kHugePage) % kHugePage;
                if (head) munmap(start, head);
                if (slack - head) munmap(start + head + mapped, slack - head);
                start += head;
                madvise(start, mapped, MADV_HUGEPAGE);   // a hint: without it the mapping works the same
            }
            data_ = start;
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
