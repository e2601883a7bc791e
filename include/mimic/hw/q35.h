// The Q35 host bridge: "q35-pcihost" (the system-bus side, see
// pc_pci_host.h, with the PCI Express root bus pcie.0 and the MMCONFIG
// window) and "mch" (its PCI function 00.0, the memory controller hub:
// PCIEXBAR places MMCONFIG, PAM and SMRAM steer the legacy windows).
#pragma once

#include <array>

#include "mimic/hw/pc_pci_host.h"

namespace mimic::hw {

inline constexpr const char* kTypeQ35Host = "q35-pcihost";
inline constexpr const char* kTypeMch = "mch";

// Where SeaBIOS (and QEMU's MCFG table) put MMCONFIG: 256 buses of 1 MiB.
inline constexpr uint64_t kQ35MmconfigBase = 0xb0000000;
inline constexpr uint64_t kQ35MmconfigSize = 256ull << 20;

class Q35Host : public PcPciHost {
public:
    Q35Host();
    ~Q35Host() override;

    // The enhanced configuration access window (PCI Express ECAM): bus in
    // address bits 27:20, devfn in 19:12, register in 11:0. The MCH maps
    // it where PCIEXBAR says, or unmaps it (size 0).
    void map_mmconfig(uint64_t base, uint64_t size);
    uint64_t mmconfig_base() const { return mmconfig_base_; }
    uint64_t mmconfig_size() const { return mmconfig_size_; }

protected:
    void do_unrealize() override;

private:
    uint64_t ecam_read(uint64_t offset, unsigned size);
    void ecam_write(uint64_t offset, uint64_t value, unsigned size);

    // One window per PCIEXBAR length (256, 128, 64 MiB), made once: a
    // config write through MMCONFIG may move MMCONFIG itself, and the
    // region doing that access must outlive it.
    std::array<memory::MemoryRegion, 3> mmconfig_windows_;
    memory::MemoryRegion* mmconfig_ = nullptr;  // the one mapped
    uint64_t mmconfig_base_ = 0, mmconfig_size_ = 0;
};

}  // namespace mimic::hw
