#include "kvm_memory_slots.h"

#include <linux/kvm.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "kvm_vm.h"
#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/util/error.h"

namespace mimic::accel::kvm {
namespace {

constexpr uint64_t kPage = 4096;

struct Mapping {
    uint64_t start = 0, size = 0;
    uint8_t* host = nullptr;
    bool readonly = false;
};

// The page-aligned part of `range` KVM can map, if any; its unaligned
// edges keep exiting to userspace (QEMU trims them the same way).
std::optional<Mapping> mappable(const memory::FlatRange& range) {
    memory::MemoryRegion* region = range.region;
    if (!region || !region->host() || range.dirty_log) return std::nullopt;
    bool readonly = range.readonly;
    switch (region->kind()) {
    case memory::RegionKind::kRam:
        break;
    case memory::RegionKind::kRom:
        readonly = true;
        break;
    case memory::RegionKind::kRomDevice:
        // Writes always reach the device; reads come from memory in romd mode only.
        if (!range.romd) return std::nullopt;
        readonly = true;
        break;
    default:
        return std::nullopt;
    }
    uint64_t start = (range.start + kPage - 1) & ~(kPage - 1);
    if (range.last == UINT64_MAX || start < range.start) return std::nullopt;
    uint64_t end = (range.last + 1) & ~(kPage - 1);
    if (end <= start) return std::nullopt;
    uint8_t* host = region->host() + range.offset_of(start);
    if (reinterpret_cast<uintptr_t>(host) % kPage != 0) return std::nullopt;
    return Mapping{start, end - start, host, readonly};
}

}  // namespace

KvmMemorySlots::KvmMemorySlots(KvmVm& vm, memory::AddressSpace& space) : vm_(vm), space_(space) {
    current_ = std::make_shared<memory::FlatView>();
    apply(*space.view());
    listener_id_ = space.add_listener([this](const memory::AddressSpace&, const memory::FlatView& view) { apply(view); });
}

KvmMemorySlots::~KvmMemorySlots() { space_.remove_listener(listener_id_); }

void KvmMemorySlots::apply(const memory::FlatView& view) {
    memory::FlatViewDiff diff = memory::diff_views(*current_, view);
    for (const memory::FlatRange& range : diff.removed) remove(range);
    for (const memory::FlatRange& range : diff.added) add(range);
    current_ = space_.view();
}

void KvmMemorySlots::add(const memory::FlatRange& range) {
    std::optional<Mapping> mapping = mappable(range);
    if (!mapping) return;
    uint32_t id;
    if (!free_ids_.empty()) {
        id = free_ids_.back();
        free_ids_.pop_back();
    } else {
        id = next_id_++;
    }
    kvm_userspace_memory_region slot{};
    slot.slot = id;
    slot.flags = mapping->readonly ? KVM_MEM_READONLY : 0;
    slot.guest_phys_addr = mapping->start;
    slot.memory_size = mapping->size;
    slot.userspace_addr = reinterpret_cast<uintptr_t>(mapping->host);
    if (int r = vm_.vm_ioctl(KVM_SET_USER_MEMORY_REGION, &slot); r < 0) {
        // QEMU aborts here too: the guest would see memory vanish.
        std::fprintf(stderr, "kvm_set_phys_mem: error registering slot: %s\n", errno_string(-r).c_str());
        std::abort();
    }
    slots_[mapping->start] = {id, mapping->size};
}

// By address only: the range's region may already be gone (a device unplugged).
void KvmMemorySlots::remove(const memory::FlatRange& range) {
    uint64_t start = (range.start + kPage - 1) & ~(kPage - 1);
    auto it = slots_.find(start);
    if (it == slots_.end() || start < range.start || start + it->second.size - 1 > range.last) return;
    kvm_userspace_memory_region slot{};
    slot.slot = it->second.id;
    slot.guest_phys_addr = start;
    slot.memory_size = 0;   // deletes the slot
    if (int r = vm_.vm_ioctl(KVM_SET_USER_MEMORY_REGION, &slot); r < 0) {
        std::fprintf(stderr, "kvm_set_phys_mem: error unregistering slot: %s\n", errno_string(-r).c_str());
        std::abort();
    }
    free_ids_.push_back(it->second.id);
    slots_.erase(it);
}

}  // namespace mimic::accel::kvm
