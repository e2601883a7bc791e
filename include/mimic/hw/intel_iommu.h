// The "intel-iommu" device (VT-d) as the rest of the board sees it: what
// the ACPI DMAR table describes.
#pragma once

#include <cstdint>
#include <optional>

namespace mimic::hw {

class Machine;

inline constexpr uint64_t kIntelIommuBase = 0xfed90000;
// Where QEMU's q35 puts the IOAPIC in DMAR device scopes: a pseudo bus.
inline constexpr uint8_t kQ35PseudoBusPlatform = 0xff;
inline constexpr uint8_t kQ35PseudoDevfnIoapic = 0x00;

struct IntelIommuInfo {
    uint8_t host_address_width = 39;  // aw-bits
    bool interrupt_remapping = false;
    bool device_iotlb = false;
};

// The machine's intel-iommu, if one was created.
std::optional<IntelIommuInfo> find_intel_iommu(const Machine& machine);

}  // namespace mimic::hw
