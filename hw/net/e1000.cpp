// "e1000": the Intel 82540EM gigabit Ethernet controller as a PCI function,
// QEMU's default PC network card. 8086:100e rev 3, class 0x020000, the
// registers in a 128 KiB memory BAR0 and the IOADDR/IODATA window in a
// 64-byte I/O BAR1, iPXE's efi-e1000.rom as the option ROM. As in QEMU,
// "e1000-82544gc" and "e1000-82545em" are the same MAC with another device
// ID (and PHY ID for the 82544). The MAC itself (registers, rings, offloads)
// is e1000_core.cpp / e1000_tx.cpp.
#include <memory>

#include "e1000_core.h"
#include "mimic/hw/boot_device.h"
#include "mimic/hw/pci.h"
#include "mimic/memory/memory_region.h"
#include "mimic/net/nic.h"
#include "mimic/qom/property.h"
#include "mimic/qom/type.h"

namespace mimic::hw {
namespace {

constexpr uint16_t kVendorIntel = 0x8086;

struct Model {
    uint16_t device_id;
    uint16_t phy_id2;
};
constexpr Model k82540em{0x100e, e1000::phy::kPhyId2_8254x};
constexpr Model k82544gc{0x1008, e1000::phy::kPhyId2_82544};
constexpr Model k82545em{0x100f, e1000::phy::kPhyId2_8254x};

class E1000 : public PciDevice, public BootDevice {
public:
    explicit E1000(Model model = k82540em) : model_(model) {}

    int32_t bootindex() const override { return bootindex_; }
    std::string boot_device_path() const override { return fw_dev_path() + "/ethernet-phy@0"; }

    qom::MacAddress mac_;
    qom::BackendLink netdev_;
    int32_t bootindex_ = -1;
    bool autonegotiation_ = true;
    bool mitigation_ = true;
    bool extra_mac_registers_ = true;
    bool migrate_tso_props_ = true;
    bool init_vet_ = true;

protected:
    void bus_master_space_changed() override {
        if (core_) core_->set_dma_space(bus_master_space());
    }

    std::string default_romfile() const override { return "efi-e1000.rom"; }

    void pci_realize() override {
        set_ids({.vendor = kVendorIntel, .device = model_.device_id, .revision = 3, .class_code = 0x020000,
                 .subsystem_vendor = 0x1af4, .subsystem = 0x1100});
        // QEMU presets the cache line size (its note: RST# should give 0).
        set_byte(pci_config::kCacheLineSize, 0x10);
        set_interrupt_pin(1);

        e1000::Options options;
        options.autonegotiation = autonegotiation_;
        options.mitigation = mitigation_;
        options.extra_mac_registers = extra_mac_registers_;
        options.init_vet = init_vet_;
        options.device_id = model_.device_id;
        options.phy_id2 = model_.phy_id2;
        e1000::BusInterface bus;
        bus.dma = bus_master_space();
        bus.bus_master = [this] { return (command() & kPciCommandMaster) != 0; };
        bus.set_irq = [this](bool level) { set_irq(level); };
        bus.master_abort = [this] { note_master_abort(); };
        mac_ = net::assign_default_mac(mac_);
        core_ = std::make_unique<e1000::Core>(net::nic_name(id(), type_name()), type_name(), mac_, options,
                                              std::move(bus));
        core_->nic().attach(netdev_);

        memory::MmioOps mmio;
        mmio.read = [this](uint64_t offset, unsigned size) -> uint64_t {
            return core_->mmio_read(static_cast<uint32_t>(offset), size);
        };
        mmio.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            core_->mmio_write(static_cast<uint32_t>(offset), static_cast<uint32_t>(value), size);
        };
        mmio.valid = {1, 4, false};
        mmio.impl = {1, 4, false};
        mmio_.init_io("e1000-mmio", e1000::Core::kMmioSize, std::move(mmio));
        register_bar(0, kBarMem32, mmio_);

        memory::MmioOps io;
        io.read = [this](uint64_t offset, unsigned size) -> uint64_t {
            return core_->io_read(static_cast<uint32_t>(offset), size);
        };
        io.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            core_->io_write(static_cast<uint32_t>(offset), static_cast<uint32_t>(value), size);
        };
        io.valid = {1, 4, false};
        io.impl = {1, 4, false};
        io_.init_io("e1000-io", e1000::Core::kIoSize, std::move(io));
        register_bar(1, kBarIo, io_);
    }

    void pci_unrealize() override { core_.reset(); }

    void pci_reset() override {
        if (core_) core_->reset();
    }

    void config_written(uint8_t offset, uint32_t, unsigned size) override {
        // Frames held back while the card could not master the bus may go.
        if (core_ && offset <= pci_config::kCommand && offset + size > pci_config::kCommand &&
            (command() & kPciCommandMaster))
            core_->bus_master_enabled();
    }

private:
    Model model_;
    std::unique_ptr<e1000::Core> core_;
    memory::MemoryRegion mmio_, io_;
};

template <const Model& model>
qom::Factory factory() {
    return [] { return std::unique_ptr<qom::Object>(new E1000(model)); };
}

MIMIC_REGISTER_TYPE({
    .name = "e1000-base",
    .parent = kTypePciDevice,
    .abstract = true,
    .properties = {
        qom::prop::mac("mac", &E1000::mac_, "Ethernet 6-byte MAC Address, example: 52:54:00:12:34:56"),
        qom::prop::netdev("netdev", &E1000::netdev_, "ID of a netdev to use as a backend"),
        qom::prop::bootindex(&E1000::bootindex_),
        qom::prop::boolean("autonegotiation", &E1000::autonegotiation_, true),
        qom::prop::boolean("mitigation", &E1000::mitigation_, true),
        qom::prop::boolean("extra_mac_registers", &E1000::extra_mac_registers_, true),
        qom::prop::boolean("migrate_tso_props", &E1000::migrate_tso_props_, true),
        qom::prop::boolean("init-vet", &E1000::init_vet_, true),
    },
    .categories = {qom::DeviceCategory::kNetwork},
});

MIMIC_REGISTER_TYPE({
    .name = "e1000",
    .parent = "e1000-base",
    .factory = factory<k82540em>(),
    .description = "Intel Gigabit Ethernet",
    .categories = {qom::DeviceCategory::kNetwork},
    .alias = "e1000-82540em",
});

MIMIC_REGISTER_TYPE({
    .name = "e1000-82544gc",
    .parent = "e1000-base",
    .factory = factory<k82544gc>(),
    .description = "Intel Gigabit Ethernet",
    .categories = {qom::DeviceCategory::kNetwork},
});

MIMIC_REGISTER_TYPE({
    .name = "e1000-82545em",
    .parent = "e1000-base",
    .factory = factory<k82545em>(),
    .description = "Intel Gigabit Ethernet",
    .categories = {qom::DeviceCategory::kNetwork},
});

}  // namespace
}  // namespace mimic::hw
