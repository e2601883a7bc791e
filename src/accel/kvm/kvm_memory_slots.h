// KVM memory slots that mirror an address space's flat view: every range
// of RAM, ROM or ROM device in romd mode becomes a slot (read-only where
// the guest must not write), everything else stays unmapped so that the
// guest's accesses exit to userspace and reach the devices.
//
// Dirty-logged RAM (the VGA's) is left unmapped too: its writes then go
// through the address space, which records them, as TCG's do.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "mimic/memory/flat_view.h"

namespace mimic::memory {
class AddressSpace;
}

namespace mimic::accel::kvm {

class KvmVm;

class KvmMemorySlots {
public:
    // Maps the current view and follows the space's changes (main loop
    // thread, BQL held) until destroyed.
    KvmMemorySlots(KvmVm& vm, memory::AddressSpace& space);
    ~KvmMemorySlots();
    KvmMemorySlots(const KvmMemorySlots&) = delete;
    KvmMemorySlots& operator=(const KvmMemorySlots&) = delete;

    size_t slot_count() const { return slots_.size(); }

private:
    struct Slot {
        uint32_t id;
        uint64_t size;
    };

    void apply(const memory::FlatView& view);
    void add(const memory::FlatRange& range);
    void remove(const memory::FlatRange& range);

    KvmVm& vm_;
    memory::AddressSpace& space_;
    uint64_t listener_id_ = 0;
    std::shared_ptr<const memory::FlatView> current_;
    std::map<uint64_t, Slot> slots_;   // by guest-physical start
    std::vector<uint32_t> free_ids_;
    uint32_t next_id_ = 0;
};

}  // namespace mimic::accel::kvm
