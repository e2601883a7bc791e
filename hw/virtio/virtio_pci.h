// virtio-pci: the PCI transport of a virtio device, as QEMU 7.2's pc
// machine offers it.
//
// One PCI function (vendor 1af4) owns a "virtio-pci-bus" with the virtio
// device on it, created with the function (its properties are aliased on
// the function, so `-device virtio-blk-pci,drive=d0` reaches the device).
// The guest may drive it through
//   - the legacy interface (BAR0, I/O): the 0.9.5 register block, ring by
//     page frame number; offered unless disable-legacy=on;
//   - the modern interface (BAR4, 64-bit prefetchable, 16 KiB): common,
//     ISR, device and notify structures found through vendor capabilities,
//     plus the PCI-configuration access window; offered unless
//     disable-modern=on;
// with interrupts by MSI-X (BAR1: table and PBA; vectors=0 leaves it out)
// or, while MSI-X is disabled, INTA from ISR bit 0.
// Both interfaces: transitional (PCI device 0x1000 + n, revision 0,
// subsystem = virtio ID); modern only: 0x1040 + virtio ID, revision 1.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "guest_memory.h"
#include "mimic/hw/boot_device.h"
#include "mimic/hw/pci.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/property.h"
#include "msix.h"
#include "virtio_device.h"

namespace mimic::hw::virtio {

inline constexpr const char* kTypeVirtioPci = "virtio-pci";

class VirtioPciProxy : public PciDevice, public Transport, public BootDevice {
  public:
    int32_t bootindex() const override { return bootindex_; }
    std::string boot_device_path() const override { return fw_dev_path() + boot_suffix(); }

    // Which interfaces a type offers: the generic type follows
    // disable-legacy/disable-modern, the -transitional and
    // -non-transitional types are fixed.
    enum class Flavor { kGeneric, kTransitional, kNonTransitional };

    VirtioDevice& vdev() const { return *vdev_; }

    // Transport
    void notify(uint16_t vector) override;
    const GuestMemory& memory() const override { return memory_; }

    uint32_t config_read(uint8_t offset, unsigned size) override;
    void config_write(uint8_t offset, uint32_t value, unsigned size) override;

    // Properties.
    qom::OnOffAuto disable_legacy_ = qom::OnOffAuto::kAuto;
    bool disable_modern_ = false;
    uint32_t class_code_ = 0;
    bool ioeventfd_ = true;
    uint32_t vectors_ = 0;
    int32_t bootindex_ = -1;
    bool bus_master_bug_migration_ = false;
    bool migrate_extra_ = true;
    bool modern_pio_notify_ = false;
    bool x_disable_pcie_ = false;
    bool page_per_vq_ = false;
    bool x_ignore_backend_features_ = false;
    bool ats_ = false;
    bool x_ats_page_aligned_ = true;
    bool x_pcie_deverr_init_ = true;
    bool x_pcie_lnkctl_init_ = true;
    bool x_pcie_pm_init_ = true;
    bool x_pcie_flr_init_ = true;
    bool aer_ = false;

    static constexpr uint32_t kVectorsAuto = 0xffffffff;

    // The function's own properties (virtio-pci), and the generic type's
    // disable-legacy/disable-modern.
    static std::vector<qom::Property> transport_properties();
    static std::vector<qom::Property> mode_properties();
    // `properties` of the backend type as aliases on the function: set
    // through the function, stored in (and shown by `info qtree` under) the
    // device.
    static std::vector<qom::Property> aliases(std::vector<qom::Property> properties);
    // "virtio-backend=<child<T>>" and "iothread=<link<iothread>>" for help.
    static qom::Property backend_child_property(const std::string& backend_type);
    static qom::Property iothread_property();

  protected:
    VirtioPciProxy(const std::string& backend_type, Flavor flavor);

    // The transitional PCI device ID (0x1001 for block) and the class.
    virtual uint16_t transitional_device_id() const = 0;
    virtual uint32_t pci_class() const = 0;
    // vectors=<auto>: how many MSI-X vectors the device wants.
    virtual uint32_t auto_vectors() const { return 2; }
    // What QEMU appends to the function's path for the boot device.
    virtual std::string boot_suffix() const = 0;

    void pci_realize() override;
    void pci_unrealize() override;
    void pci_reset() override;
    void config_written(uint8_t offset, uint32_t value, unsigned size) override;

  private:
    bool msix_enabled() const { return msix_.present() && msix_.enabled(); }
    uint64_t legacy_read(uint64_t offset, unsigned size);
    void legacy_write(uint64_t offset, uint64_t value, unsigned size);
    uint64_t common_read(uint64_t offset, unsigned size);
    void common_write(uint64_t offset, uint64_t value, unsigned size);
    uint64_t modern_read(uint64_t offset, unsigned size);
    void modern_write(uint64_t offset, uint64_t value, unsigned size);
    uint64_t device_config_read(uint64_t offset, unsigned size) const;
    void write_status(uint8_t status, bool modern);
    void add_vendor_cap(uint8_t type, uint64_t offset, uint32_t length, unsigned extra);
    void reset_transport();

    Flavor flavor_;
    VirtioDevice* vdev_ = nullptr;
    qom::Bus* virtio_bus_ = nullptr;
    bool legacy_ = true;
    bool modern_ = true;
    GuestMemory memory_;
    Msix msix_;
    memory::MemoryRegion legacy_io_, modern_bar_;
    uint8_t pci_cfg_cap_ = 0;

    // Modern common configuration state.
    uint32_t device_feature_select_ = 0;
    uint32_t driver_feature_select_ = 0;
    uint64_t driver_features_ = 0;
    uint16_t queue_select_ = 0;
    std::vector<bool> queue_reset_pending_;
};

}  // namespace mimic::hw::virtio
