// PCI functions ("pci-device") and the host bridge contract they rely on.
//
// A PciDevice owns its 256-byte configuration space together with two masks
// that say how the guest may change it: wmask (bits a config write replaces)
// and w1cmask (bits a write of 1 clears, status-register style). Everything
// else is read-only to the guest, which is what lets the generic write path
// handle most registers without per-device code.
//
// A device model, typically:
//
//     class Vga : public PciDevice {
//     protected:
//         void pci_realize() override {
//             set_ids({.vendor = 0x1234, .device = 0x1111, .class_code = 0x030000});
//             vram_.init_ram("vga.vram", 16 << 20);
//             register_bar(0, kBarMem32 | kBarPrefetch, vram_);
//             set_interrupt_pin(0);      // no INTx
//         }
//     };
//     MIMIC_REGISTER_TYPE({.name = "VGA", .parent = kTypePciDevice, ...});
//
// BARs: register_bar() declares the size (the region's, a power of two) and
// kind; the base class implements sizing (all ones reads back the size mask),
// and maps the region into the host's PCI memory or I/O space whenever the
// BAR holds an address and the COMMAND register enables that decode. The
// expansion ROM (BAR index 6, offset 0x30) works the same way with its
// enable bit.
//
// Interrupts: set_irq() drives the function's INTx pin (the one in config
// 0x3d). The host bridge swizzles it by slot onto a PIRQ line and the
// board's router (PIIX3 registers 0x60-0x63) decides the ISA IRQ. COMMAND
// bit 10 (interrupt disable) and STATUS bit 3 (interrupt status) behave as
// the spec says.
//
// Properties every function has: addr (devfn, "01.1"), romfile, rombar,
// romsize, multifunction, and QEMU's acpi-index, failover_pair_id and
// x-pcie-* (accepted, not acted on).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mimic/hw/irq.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/standard_buses.h"
#include "mimic/system/firmware.h"

namespace mimic::memory {
class AddressSpace;
}

namespace mimic::hw {

inline constexpr const char* kTypePciDevice = "pci-device";

// Configuration-space offsets of the standard (type 0) header.
namespace pci_config {
inline constexpr uint8_t kVendorId = 0x00;
inline constexpr uint8_t kDeviceId = 0x02;
inline constexpr uint8_t kCommand = 0x04;
inline constexpr uint8_t kStatus = 0x06;
inline constexpr uint8_t kRevision = 0x08;
inline constexpr uint8_t kClassProg = 0x09;
inline constexpr uint8_t kClassDevice = 0x0a;  // class << 8 | subclass
inline constexpr uint8_t kCacheLineSize = 0x0c;
inline constexpr uint8_t kLatencyTimer = 0x0d;
inline constexpr uint8_t kHeaderType = 0x0e;
inline constexpr uint8_t kBar0 = 0x10;
inline constexpr uint8_t kSubsystemVendorId = 0x2c;
inline constexpr uint8_t kSubsystemId = 0x2e;
inline constexpr uint8_t kRomAddress = 0x30;
inline constexpr uint8_t kCapabilityList = 0x34;
inline constexpr uint8_t kInterruptLine = 0x3c;
inline constexpr uint8_t kInterruptPin = 0x3d;
inline constexpr uint8_t kMinGnt = 0x3e;
inline constexpr uint8_t kMaxLat = 0x3f;
}  // namespace pci_config

// COMMAND and STATUS bits.
inline constexpr uint16_t kPciCommandIo = 0x0001;
inline constexpr uint16_t kPciCommandMemory = 0x0002;
inline constexpr uint16_t kPciCommandMaster = 0x0004;
inline constexpr uint16_t kPciCommandSerr = 0x0100;
inline constexpr uint16_t kPciCommandIntxDisable = 0x0400;
inline constexpr uint16_t kPciStatusInterrupt = 0x0008;
inline constexpr uint16_t kPciStatusCapList = 0x0010;
inline constexpr uint16_t kPciStatusFastBackToBack = 0x0080;
inline constexpr uint16_t kPciStatusDevselMedium = 0x0200;
inline constexpr uint16_t kPciStatusReceivedMasterAbort = 0x2000;

inline constexpr uint8_t kPciHeaderTypeMultiFunction = 0x80;
inline constexpr int kPciNumBars = 6;
inline constexpr int kPciRomBar = 6;  // index of the expansion ROM in bar APIs
inline constexpr uint64_t kPciBarUnmapped = ~0ull;

// BAR kinds, combinable: kBarIo, or kBarMem32/kBarMem64 with kBarPrefetch.
enum PciBarFlags : unsigned {
    kBarIo = 1u << 0,
    kBarMem32 = 1u << 1,
    kBarMem64 = 1u << 2,
    kBarPrefetch = 1u << 3,
};

// The identity written into the header at realize.
struct PciIds {
    uint16_t vendor = 0;
    uint16_t device = 0;
    uint8_t revision = 0;
    uint32_t class_code = 0;  // 24 bits: class << 16 | subclass << 8 | prog-if
    uint16_t subsystem_vendor = 0;
    uint16_t subsystem = 0;
};

class PciDevice;
class Msi;
class Msix;

// An IOMMU in front of a host bridge's bus: what a requester's bus-master
// accesses (DMA and MSI writes) reach. `requester_id` is bus << 8 | devfn,
// the PCI source-id.
class PciIommu {
public:
    virtual ~PciIommu() = default;
    virtual memory::AddressSpace& requester_space(uint16_t requester_id) = 0;
};

// What the board's interrupt router gives the host bridge: how a device's
// pin becomes one of `pirq_count` shared lines, and where line levels go.
struct PciIrqRouting {
    int pirq_count = 4;
    std::function<int(int devfn, int pin)> map_irq;  // pin 0..3 = INTA..INTD
    std::function<void(int pirq, bool level)> set_irq;
};

// Implemented by a host bridge device (i440FX-pcihost): the address spaces
// its bus decodes, and interrupt routing with wired-OR sharing.
class PciHost {
public:
    virtual ~PciHost() = default;

    // Where memory and I/O BARs are mapped (QEMU's "pci" container under
    // system memory, and the I/O port space).
    virtual memory::MemoryRegion& pci_memory() = 0;
    virtual memory::MemoryRegion& pci_io() = 0;
    // What bus-master DMA reads and writes, untranslated: guest memory as
    // the bridge decodes it. Devices use PciDevice::bus_master_space(),
    // which an IOMMU can stand in front of.
    virtual memory::AddressSpace& dma_space() = 0;
    virtual qom::PciBus& bus() = 0;

    void set_irq_routing(PciIrqRouting routing) { routing_ = std::move(routing); }
    // An IOMMU translating the bus's requests (nullptr: none). Set while
    // the machine is built; the functions already on the bus are told
    // (PciDevice::bus_master_space_changed) as QEMU resolves their bus
    // master address space only once the machine is complete.
    void set_iommu(PciIommu* iommu);
    PciIommu* iommu() const { return iommu_; }
    // The level of PIRQ line `pirq`: any of the INTx pins swizzled onto it.
    bool pirq_level(int pirq) const;

    // Device side: `device`'s pin `pin` changed level. Levels of devices
    // sharing a PIRQ are ORed, as the open-drain wires are.
    void device_irq_changed(PciDevice& device, int pin, bool level);
    // The router's pin-to-PIRQ map changed: recounts the asserted pins on
    // each PIRQ (the router then re-reads pirq_level()).
    void reroute_irqs();

    // Configuration mechanism #1 as seen from CONFIG_DATA: the function
    // named by bus 0/devfn; reads of absent functions give all ones.
    uint32_t config_read(int devfn, uint8_t offset, unsigned size);
    void config_write(int devfn, uint8_t offset, uint32_t value, unsigned size);

    // The byte register at 0xCF9 (PIIX reset control) shares the dword
    // CONFIG_ADDRESS port: the bridge decodes it by access size, so the
    // south bridge hands its handlers to the host rather than mapping an
    // overlapping region (which would split dword accesses).
    struct BytePort {
        std::function<uint8_t()> read;
        std::function<void(uint8_t)> write;
    };
    void set_reset_control_port(BytePort port) { reset_control_ = std::move(port); }
    const BytePort& reset_control_port() const { return reset_control_; }

private:
    BytePort reset_control_;
    PciIommu* iommu_ = nullptr;
    PciIrqRouting routing_;
    std::array<int, 8> pirq_count_{};  // asserted pins per PIRQ
};

class PciDevice : public qom::Device, public qom::PciQtreeLines {
public:
    PciDevice();
    ~PciDevice() override;

    int devfn() const { return devfn_; }
    int slot() const { return devfn_ >> 3; }
    int function() const { return devfn_ & 7; }

    // The host bridge of the bus this function sits on (nullptr if none).
    PciHost* host() const;
    // What this function's bus-master cycles (DMA, MSI messages) reach:
    // through the bus's IOMMU when there is one (nullptr off a bus).
    memory::AddressSpace* bus_master_space() const;
    // The PCI source-id: bus << 8 | devfn (the root bus is bus 0).
    uint16_t requester_id() const { return static_cast<uint16_t>(devfn_ & 0xff); }

    // Configuration cycles (from the host bridge). Sizes 1, 2, 4; the
    // access never crosses the 256-byte space. Devices with side effects
    // override these and call the base for the generic behaviour.
    virtual uint32_t config_read(uint8_t offset, unsigned size);
    virtual void config_write(uint8_t offset, uint32_t value, unsigned size);

    // Raw access to the configuration space, for the device itself and for
    // tests; no masks, no side effects.
    uint8_t* config() { return config_.data(); }
    const uint8_t* config() const { return config_.data(); }
    uint8_t get_byte(uint8_t offset) const { return config_[offset]; }
    uint16_t get_word(uint8_t offset) const;
    uint32_t get_long(uint8_t offset) const;
    void set_byte(uint8_t offset, uint8_t value) { config_[offset] = value; }
    void set_word(uint8_t offset, uint16_t value);
    void set_long(uint8_t offset, uint32_t value);

    uint16_t command() const { return get_word(pci_config::kCommand); }

    // INTx. The pin number is the one in config 0x3d, minus one.
    void set_irq(bool level);
    bool irq_level() const { return irq_level_; }

    // A bus-master access of this function that nothing decoded: a PCI
    // master abort, which the function records in its status register
    // (Received Master Abort, write 1 to clear) as PCI hardware does.
    void note_master_abort();

    // Where BAR `index` (0-5, or kPciRomBar) is mapped now, or
    // kPciBarUnmapped when it is not decoded.
    uint64_t bar_address(int index) const;
    uint64_t bar_size(int index) const;
    bool bar_registered(int index) const { return bars_[static_cast<size_t>(index)].region; }
    unsigned bar_flags(int index) const { return bars_[static_cast<size_t>(index)].flags; }

    // The function's OpenFirmware path as QEMU writes it for "bootorder":
    // "/pci@i0cf8/scsi@4", "/pci@i0cf8/pci1af4,1001@6,2" for a class
    // without a firmware name.
    std::string fw_dev_path() const;

    // `info pci` for this function, QEMU's layout:
    //   "  Bus  0, device   1, function 1:\n    IDE controller: PCI device 8086:7010\n..."
    std::string info_pci() const;
    // QEMU's name for the function's class ("IDE controller"), or "" for
    // a class it has no name for.
    std::string class_description() const;
    // `info qtree`'s lines for this function, QEMU's layout:
    //   "class IDE controller, addr 00:01.1, pci id 8086:7010 (sub 1af4:1100)"
    //   "bar 4: i/o at 0xc040 [0xc04f]"
    void print_pci_lines(int indent, std::string& out) const override;

protected:
    // The device's realize: set IDs, register BARs, capabilities. The base
    // has already zeroed the space and set the defaults (writable COMMAND
    // bits, cache line, latency, interrupt line); pin defaults to INTA.
    virtual void pci_realize() {}
    virtual void pci_unrealize() {}
    // Device reset after the base's (COMMAND, BARs, interrupt line cleared).
    virtual void pci_reset() {}
    // bus_master_space() now answers differently (an IOMMU arrived): a
    // device that keeps the space must fetch it again.
    virtual void bus_master_space_changed() {}
    // After a guest config write that went through the generic path.
    virtual void config_written(uint8_t offset, uint32_t value, unsigned size) {
        (void)offset, (void)value, (void)size;
    }

    void set_ids(const PciIds& ids);
    // 0: no interrupt pin; 1-4: INTA-INTD.
    void set_interrupt_pin(uint8_t pin) { config_[pci_config::kInterruptPin] = pin; }
    // Which bits of config space the guest may write / clear by writing 1.
    void set_wmask_byte(uint8_t offset, uint8_t mask) { wmask_[offset] = mask; }
    void set_wmask_word(uint8_t offset, uint16_t mask);
    void set_wmask_long(uint8_t offset, uint32_t mask);
    void set_w1cmask_word(uint8_t offset, uint16_t mask);

    // Declares BAR `index` backed by `region`, whose size (a power of two,
    // at least 4 bytes for I/O, 16 for memory) is the BAR's size. A 64-bit
    // BAR also takes index+1. The region stays owned by the device.
    void register_bar(int index, unsigned flags, memory::MemoryRegion& region);
    // Loads `data` as the expansion ROM (BAR 6), rounded up to a power of two.
    void set_option_rom(const std::vector<uint8_t>& data);
    // Finds a firmware file (-L path) and loads it as the option ROM;
    // throws mimic::Error when it cannot be read.
    void load_option_rom(const std::string& name);
    // Firmware the device carries unless romfile= says otherwise ("" none).
    virtual std::string default_romfile() const { return {}; }

    // Adds capability `id` of `size` bytes at `offset` (0: first free place
    // after 0x40) to the list; returns the offset.
    uint8_t add_capability(uint8_t id, uint8_t offset, uint8_t size);

    // Re-evaluates the BAR mappings (after a COMMAND or BAR change made
    // outside the generic write path).
    void update_mappings();

    void do_realize() final;
    void do_unrealize() final;
    void do_reset() final;
    void property_changed(const qom::Property& property) override;

public:
    // Properties (public so the type registration can name them).
    int32_t devfn_ = -1;
    std::string romfile_;
    bool romfile_set_ = false;  // given by the user or -global, even if empty
    uint32_t rombar_ = 1;
    bool multifunction_ = false;
    static constexpr uint32_t kRomSizeAuto = 0xffffffff;  // the file's size, rounded up
    uint32_t romsize_ = kRomSizeAuto;
    uint32_t acpi_index_ = 0;
    std::string failover_pair_id_;
    bool x_pcie_extcap_init_ = true;
    bool x_pcie_lnksta_dllla_ = true;

private:
    friend class PciHost;
    friend class Msi;   // adds its capability and wmask bits to the function
    friend class Msix;  // adds its capability and table BAR to the function
    struct Bar {
        memory::MemoryRegion* region = nullptr;
        unsigned flags = 0;
        uint64_t size = 0;
        uint64_t mapped_at = kPciBarUnmapped;
        memory::MemoryRegion* mapped_in = nullptr;
    };

    uint8_t bar_offset(int index) const;
    uint16_t get_word_mask(uint8_t offset) const;
    uint64_t decoded_address(int index) const;
    void unmap_all();
    void update_irq_status();

    std::array<uint8_t, 256> config_{};
    std::array<uint8_t, 256> wmask_{};
    std::array<uint8_t, 256> w1cmask_{};
    std::array<Bar, kPciNumBars + 1> bars_{};
    std::unique_ptr<memory::MemoryRegion> rom_;
    uint8_t next_capability_ = 0x40;
    bool irq_level_ = false;
    bool irq_asserted_ = false;  // level as last reported to the host
};

// Implemented by machines that know where firmware files are (-L), so
// devices can load option ROMs (romfile=).
class FirmwareSource {
public:
    virtual ~FirmwareSource() = default;
    virtual const system::FirmwarePath& firmware_path() const = 0;
};

// `info pci`: every function on every PCI bus of the machine `object`
// belongs to, in slot order.
std::string info_pci(const qom::Object& object);

}  // namespace mimic::hw
