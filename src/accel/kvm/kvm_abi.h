// <linux/kvm.h> declares its variable-length structures with
// __DECLARE_FLEX_ARRAY, which in C++ puts an empty member before the array:
// the array moves (kvm_cpuid2's entries to offset 12, kvm_msrs' to 16) and
// the sizes encoded in the ioctl numbers change, so the kernel refuses them
// with EINVAL. These are the kernel's (C) layouts and numbers.
#pragma once

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mimic::accel::kvm::abi {

inline constexpr unsigned long kGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, 8);
inline constexpr unsigned long kSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, 8);
inline constexpr unsigned long kGetMsrIndexList = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x02, 4);
inline constexpr unsigned long kGetMsrs = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, 8);
inline constexpr unsigned long kSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, 8);
inline constexpr unsigned long kSetGsiRouting = _IOC(_IOC_WRITE, KVMIO, 0x6a, 8);
inline constexpr size_t kXsaveSize = 4096;   // struct kvm_xsave without its flexible tail
inline constexpr unsigned long kGetXsave = _IOC(_IOC_READ, KVMIO, 0xa4, kXsaveSize);
inline constexpr unsigned long kSetXsave = _IOC(_IOC_WRITE, KVMIO, 0xa5, kXsaveSize);
inline constexpr unsigned long kGetXsave2 = _IOC(_IOC_READ, KVMIO, 0xcf, kXsaveSize);

// A 32-bit count (and a 32-bit flags or padding word when kHeader is 8)
// followed by `Entry`s at offset kHeader, zero-filled.
template <class Entry, size_t kHeader>
class FlexArray {
public:
    explicit FlexArray(size_t capacity) : words_((kHeader + capacity * sizeof(Entry) + 7) / 8) {
        count() = static_cast<uint32_t>(capacity);
    }
    void* data() { return words_.data(); }
    uint32_t& count() { return *reinterpret_cast<uint32_t*>(words_.data()); }
    Entry* entries() { return reinterpret_cast<Entry*>(reinterpret_cast<uint8_t*>(words_.data()) + kHeader); }

private:
    std::vector<uint64_t> words_;
};

using CpuidArray = FlexArray<kvm_cpuid_entry2, 8>;           // struct kvm_cpuid2
using MsrArray = FlexArray<kvm_msr_entry, 8>;                // struct kvm_msrs
using MsrIndexArray = FlexArray<uint32_t, 4>;                // struct kvm_msr_list
using RoutingArray = FlexArray<kvm_irq_routing_entry, 8>;    // struct kvm_irq_routing

}  // namespace mimic::accel::kvm::abi
