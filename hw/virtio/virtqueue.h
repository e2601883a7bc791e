// A split virtqueue (virtio 1.1, 2.6) as the device side walks it:
// descriptor chains, indirect tables, the used ring and event index.
//
// Everything read from the guest is distrusted: a head beyond the ring, a
// chain that loops or is longer than the ring, an indirect table that is
// not a whole number of descriptors, nested or too long, a buffer outside
// RAM, or an available index that ran ahead by more than the ring size
// raises VirtqueueError, and the device then needs a reset. No host
// allocation is sized by a guest value beyond kQueueMaxSize segments.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "guest_memory.h"

namespace mimic::hw::virtio {

class VirtqueueError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Segment {
    uint64_t addr = 0;
    uint32_t len = 0;
};

// One request: the chain's device-readable ("out") buffers, then its
// device-writable ("in") ones.
struct Element {
    uint16_t head = 0;
    std::vector<Segment> out, in;
    uint64_t out_bytes = 0, in_bytes = 0;

    // Gather/scatter across the segments, from byte `offset` on; false when
    // the chain is shorter or memory went away under the request.
    bool read_out(const GuestMemory& mem, uint64_t offset, void* buf, uint64_t len) const;
    bool write_in(const GuestMemory& mem, uint64_t offset, const void* buf, uint64_t len) const;
};

class Virtqueue {
  public:
    // The size the device offers (QUEUE_SIZE reads before the driver picks).
    void set_max_size(uint16_t size) { max_size_ = size; }
    uint16_t max_size() const { return max_size_; }

    // Back to the state after a device reset: no rings, size = max.
    void reset();

    // Driver-side setup (modern common config).
    uint16_t size() const { return size_; }
    void set_size(uint16_t size) { size_ = size; }
    uint64_t desc() const { return desc_; }
    uint64_t avail() const { return avail_; }
    uint64_t used() const { return used_; }
    void set_desc(uint64_t addr) { desc_ = addr; }
    void set_avail(uint64_t addr) { avail_ = addr; }
    void set_used(uint64_t addr) { used_ = addr; }
    bool enabled() const { return enabled_; }
    void set_enabled(bool enabled) { enabled_ = enabled; }
    uint16_t vector() const { return vector_; }
    void set_vector(uint16_t vector) { vector_ = vector; }

    // Legacy setup: the page frame of a ring laid out at 4 KiB alignment;
    // 0 tears the queue down.
    void set_legacy_pfn(uint32_t pfn);
    uint32_t legacy_pfn() const { return static_cast<uint32_t>(desc_ >> 12); }

    // The negotiated ring features.
    void set_features(bool indirect, bool event_idx) {
        indirect_ = indirect;
        event_idx_ = event_idx;
    }

    // Ready to be walked: rings given and (modern) enabled.
    bool ready() const { return enabled_ && desc_ != 0 && size_ != 0; }

    // The next available chain, or nothing when the ring is empty.
    std::optional<Element> pop(const GuestMemory& mem);
    // Returns a chain to the driver with `written` bytes in its in-buffers.
    void push(const GuestMemory& mem, const Element& element, uint32_t written);
    // After pushes: should the driver be interrupted (event index or the
    // NO_INTERRUPT flag, and notify-on-empty)?
    bool should_notify(const GuestMemory& mem, bool notify_on_empty);

    uint16_t last_avail_idx() const { return last_avail_idx_; }
    uint16_t used_idx() const { return used_idx_; }
    unsigned in_flight() const { return in_flight_; }

  private:
    uint16_t avail_idx(const GuestMemory& mem) const;
    // Appends the buffers of descriptor table `table` (`count` entries)
    // starting at `index`.
    void walk(const GuestMemory& mem, uint64_t table, uint32_t count, uint16_t index, bool indirect,
              Element& element) const;

    uint16_t max_size_ = 256;
    uint16_t size_ = 256;
    uint64_t desc_ = 0, avail_ = 0, used_ = 0;
    bool enabled_ = false;
    uint16_t vector_ = 0xffff;
    bool indirect_ = false, event_idx_ = false;
    uint16_t last_avail_idx_ = 0;
    uint16_t used_idx_ = 0;
    uint16_t signalled_used_ = 0;
    bool signalled_used_valid_ = false;
    unsigned in_flight_ = 0;
};

}  // namespace mimic::hw::virtio
