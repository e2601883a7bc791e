// Host memory backing a RAM, ROM or ROM-device region, plus the per-page
// state the translator keeps about it.
//
// The memory is a HostMapping: a 16 GiB guest costs nothing until it touches
// its pages, exactly like QEMU's -m, and fresh pages read as zero.
#pragma once

#include <cstdint>
#include <string>

#include "mimic/memory/host_mapping.h"
#include "mimic/memory/page_bitmap.h"

namespace mimic::memory {

class RamBlock {
  public:
    // Throws mimic::Error "cannot set up guest memory 'NAME': <errno text>"
    // when the host cannot provide the address space.
    RamBlock(const std::string& name, uint64_t size);

    uint8_t* host() const { return memory_.data(); }
    uint64_t size() const { return memory_.size(); }

    // Pages that hold translated code; writes to them through an
    // AddressSpace call the code write hook (code_tracking.h).
    PageBitmap& code_pages() { return code_pages_; }
    const PageBitmap& code_pages() const { return code_pages_; }

    // Pages the guest wrote while the region's dirty logging was on
    // (MemoryRegion::set_dirty_logging()); how a display finds what to redraw.
    PageBitmap& dirty_pages() { return dirty_pages_; }

  private:
    HostMapping memory_;
    PageBitmap code_pages_;
    PageBitmap dirty_pages_;
};

}  // namespace mimic::memory
