// One bit per guest page of a RAM block, safe to test and set from any thread.
//
// Used to remember which pages hold translated code (see code_tracking.h).
// Each bit is updated atomically: a set() racing with a clear() of another
// page never loses either. The bits live in a NORESERVE mapping, so a huge
// guest pays for the bitmap only where code is actually tracked.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "mimic/memory/host_mapping.h"

namespace mimic::memory {

inline constexpr unsigned kPageBits = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageBits;

class PageBitmap {
  public:
    // `name` is only for the error should the host refuse the mapping.
    PageBitmap(const std::string& name, uint64_t pages);

    uint64_t pages() const { return pages_; }

    bool test(uint64_t page) const;
    void set(uint64_t page);
    void clear(uint64_t page);
    // Pages [first, last] inclusive; pages past the end are ignored.
    void set_range(uint64_t first, uint64_t last);
    void clear_range(uint64_t first, uint64_t last);
    bool any(uint64_t first, uint64_t last) const;
    // Clears the range and says whether any page in it was set; a page set
    // concurrently is either reported now or stays set for the next call.
    bool test_and_clear_range(uint64_t first, uint64_t last);
    // Nothing set: lets writes to RAM without translated code (all DMA during
    // boot, most guest stores) skip the scan.
    bool empty() const { return count_.load(std::memory_order_relaxed) == 0; }

  private:
    std::atomic_ref<uint64_t> word(uint64_t index) const {
        return std::atomic_ref<uint64_t>(reinterpret_cast<uint64_t*>(words_.data())[index]);
    }

    uint64_t pages_;
    HostMapping words_;
    std::atomic<uint64_t> count_{0};  // number of set bits
};

}  // namespace mimic::memory
