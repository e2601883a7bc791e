// An anonymous private host mapping made with MAP_NORESERVE: pages cost
// nothing until first touched, and read back as zero until written.
#pragma once

#include <cstdint>
#include <string>

namespace mimic::memory {

class HostMapping {
  public:
    HostMapping() = default;
    // Throws mimic::Error "cannot set up guest memory 'NAME': <errno text>".
    // A zero size maps nothing.
    HostMapping(const std::string& name, uint64_t size);
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
