// An anonymous private host mapping: pages cost nothing until first touched,
// and read back as zero until written.
#pragma once

#include <cstdint>
#include <string>

namespace mimic::memory {

// Whether the kernel's overcommit accounting sees the mapping.
enum class Commit {
    // Counted like QEMU's guest RAM: a size the host could never provide
    // (more than its RAM and swap, with the default overcommit policy) fails
    // up front instead of the guest dying later when it touches the pages.
    kAccounted,
    // MAP_NORESERVE: for bookkeeping sized by the guest's address space.
    kUnaccounted,
};

class HostMapping {
  public:
    HostMapping() = default;
    // Throws mimic::Error "cannot set up guest memory 'NAME': <errno text>".
    // A zero size maps nothing.
    HostMapping(const std::string& name, uint64_t size, Commit commit);
    ~HostMapping();
    HostMapping(HostMapping&& other) noexcept;
    HostMapping& operator=(HostMapping&& other) noexcept;

    uint8_t* data() const { return data_; }
    uint64_t size() const { return size_; }

  private:
    uint8_t* data_ = nullptr;
    uint64_t size_ = 0;
    uint64_t mapped_ = 0;  // size rounded up to host pages
};

}  // namespace mimic::memory
