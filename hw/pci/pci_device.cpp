// The generic PCI function: configuration space semantics, BAR decoding and
// INTx. Device models add only what is particular to them (see pci.h).
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "mimic/hw/machine.h"
#include "mimic/hw/pci.h"
#include "mimic/memory/transaction.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"
#include "mimic/util/load_file.h"
#include "mimic/util/log.h"

namespace mimic::hw {

namespace pc = pci_config;

MIMIC_REGISTER_TYPE({
    .name = kTypePciDevice,
    .parent = qom::kTypeDevice,
    .abstract = true,
    .properties =
        {
            qom::prop::pci_devfn("addr", &PciDevice::devfn_, -1, "Slot and optional function number, example: 06.0 or 06"),
            qom::prop::string("romfile", &PciDevice::romfile_),
            qom::prop::uint32("romsize", &PciDevice::romsize_, PciDevice::kRomSizeAuto),
            qom::prop::uint32("rombar", &PciDevice::rombar_, 1),
            qom::prop::boolean("multifunction", &PciDevice::multifunction_, false),
            // Accepted and kept as QEMU's generic PCI properties are; what
            // they steer (PCIe capability details, failover pairs, the ACPI
            // slot index) is not modelled.
            qom::prop::boolean("x-pcie-lnksta-dllla", &PciDevice::x_pcie_lnksta_dllla_, true),
            qom::prop::boolean("x-pcie-extcap-init", &PciDevice::x_pcie_extcap_init_, true),
            qom::prop::string("failover_pair_id", &PciDevice::failover_pair_id_),
            qom::prop::uint32("acpi-index", &PciDevice::acpi_index_, 0),
        },
    .bus_type = qom::kTypePciBus,
});

namespace {

// Status bits a guest clears by writing 1 (error reporting bits).
constexpr uint16_t kStatusW1c = 0xf900;

// QEMU's limit for romfile=: a 32-bit ROM BAR cannot map more.
constexpr uint64_t kMaxRomFileSize = 2ull << 30;

bool overlaps(unsigned a, unsigned a_len, unsigned b, unsigned b_len) {
    return a < b + b_len && b < a + a_len;
}

uint64_t round_up_pow2(uint64_t value) {
    uint64_t result = 1;
    while (result < value) result <<= 1;
    return result;
}

}  // namespace

PciDevice::PciDevice() = default;
PciDevice::~PciDevice() { unmap_all(); }

PciHost* PciDevice::host() const {
    qom::Bus* bus = parent_bus();
    return bus ? dynamic_cast<PciHost*>(bus->parent_device()) : nullptr;
}

memory::AddressSpace* PciDevice::bus_master_space() const {
    PciHost* bridge = host();
    if (!bridge) return nullptr;
    if (PciIommu* iommu = bridge->iommu()) return &iommu->requester_space(requester_id());
    return &bridge->dma_space();
}

uint16_t PciDevice::get_word(uint8_t offset) const {
    return static_cast<uint16_t>(config_[offset] | config_[(offset + 1) & 0xff] << 8);
}

uint32_t PciDevice::get_long(uint8_t offset) const {
    return static_cast<uint32_t>(get_word(offset)) |
           static_cast<uint32_t>(get_word(static_cast<uint8_t>(offset + 2))) << 16;
}

void PciDevice::set_word(uint8_t offset, uint16_t value) {
    config_[offset] = static_cast<uint8_t>(value);
    config_[(offset + 1) & 0xff] = static_cast<uint8_t>(value >> 8);
}

void PciDevice::set_long(uint8_t offset, uint32_t value) {
    set_word(offset, static_cast<uint16_t>(value));
    set_word(static_cast<uint8_t>(offset + 2), static_cast<uint16_t>(value >> 16));
}

void PciDevice::set_wmask_word(uint8_t offset, uint16_t mask) {
    wmask_[offset] = static_cast<uint8_t>(mask);
    wmask_[offset + 1] = static_cast<uint8_t>(mask >> 8);
}

void PciDevice::set_wmask_long(uint8_t offset, uint32_t mask) {
    set_wmask_word(offset, static_cast<uint16_t>(mask));
    set_wmask_word(static_cast<uint8_t>(offset + 2), static_cast<uint16_t>(mask >> 16));
}

void PciDevice::set_w1cmask_word(uint8_t offset, uint16_t mask) {
    w1cmask_[offset] = static_cast<uint8_t>(mask);
    w1cmask_[offset + 1] = static_cast<uint8_t>(mask >> 8);
}

void PciDevice::set_ids(const PciIds& ids) {
    set_word(pc::kVendorId, ids.vendor);
    set_word(pc::kDeviceId, ids.device);
    config_[pc::kRevision] = ids.revision;
    config_[pc::kClassProg] = static_cast<uint8_t>(ids.class_code);
    set_word(pc::kClassDevice, static_cast<uint16_t>(ids.class_code >> 8));
    // As QEMU: functions without their own subsystem IDs report Red Hat's
    // "QEMU" subsystem, which some guests' driver tables key on.
    bool has_subsystem = ids.subsystem_vendor || ids.subsystem;
    set_word(pc::kSubsystemVendorId, has_subsystem ? ids.subsystem_vendor : 0x1af4);
    set_word(pc::kSubsystemId, has_subsystem ? ids.subsystem : 0x1100);
}

uint32_t PciDevice::config_read(uint8_t offset, unsigned size) {
    uint32_t value = 0;
    for (unsigned i = 0; i < size && offset + i < 256; ++i) value |= uint32_t{config_[offset + i]} << (8 * i);
    return value;
}

void PciDevice::config_write(uint8_t offset, uint32_t value, unsigned size) {
    uint16_t old_command = command();
    for (unsigned i = 0; i < size && offset + i < 256; ++i) {
        unsigned at = offset + i;
        auto byte = static_cast<uint8_t>(value >> (8 * i));
        config_[at] = static_cast<uint8_t>((config_[at] & ~wmask_[at]) | (byte & wmask_[at]));
        config_[at] &= static_cast<uint8_t>(~(byte & w1cmask_[at]));
    }
    if (overlaps(offset, size, pc::kBar0, 24) || overlaps(offset, size, pc::kRomAddress, 4) ||
        overlaps(offset, size, pc::kCommand, 2)) {
        update_mappings();
    }
    if ((old_command ^ command()) & kPciCommandIntxDisable) update_irq_status();
    config_written(offset, value, size);
}

uint8_t PciDevice::bar_offset(int index) const {
    return index == kPciRomBar ? pc::kRomAddress : static_cast<uint8_t>(pc::kBar0 + 4 * index);
}

void PciDevice::register_bar(int index, unsigned flags, memory::MemoryRegion& region) {
    if (index < 0 || index > kPciRomBar) throw std::logic_error("pci: bad BAR index");
    Bar& bar = bars_[static_cast<size_t>(index)];
    bar.region = &region;
    bar.flags = flags;
    bar.size = region.size();
    uint8_t offset = bar_offset(index);
    uint64_t mask = ~(bar.size - 1);
    if (index == kPciRomBar) {
        set_long(offset, 0);
        set_wmask_long(offset, static_cast<uint32_t>(mask) | 1);  // bit 0: ROM enable
        return;
    }
    uint32_t type = 0;
    if (flags & kBarIo) {
        type = 0x1;
        mask &= ~uint64_t{0x3};
    } else {
        if (flags & kBarMem64) type |= 0x4;
        if (flags & kBarPrefetch) type |= 0x8;
        mask &= ~uint64_t{0xf};
    }
    set_long(offset, type);
    set_wmask_long(offset, static_cast<uint32_t>(mask));
    if (flags & kBarMem64) {
        set_long(static_cast<uint8_t>(offset + 4), 0);
        set_wmask_long(static_cast<uint8_t>(offset + 4), static_cast<uint32_t>(mask >> 32));
    }
}

// Where the BAR decodes under the current COMMAND register, following the
// rules guests and firmware rely on: address 0 and half-programmed (sizing)
// values decode nothing, I/O stays below 64 KiB, a 32-bit BAR below 4 GiB.
uint64_t PciDevice::decoded_address(int index) const {
    const Bar& bar = bars_[static_cast<size_t>(index)];
    uint8_t offset = bar_offset(index);
    uint16_t cmd = command();
    if (bar.flags & kBarIo) {
        if (!(cmd & kPciCommandIo)) return kPciBarUnmapped;
        uint64_t addr = get_long(offset) & ~uint64_t{0x3} & ~(bar.size - 1);
        uint64_t last = addr + bar.size - 1;
        if (addr == 0 || last >= 0x10000 || last < addr) return kPciBarUnmapped;
        return addr;
    }
    if (!(cmd & kPciCommandMemory)) return kPciBarUnmapped;
    uint64_t raw = get_long(offset);
    if (index == kPciRomBar) {
        if (!(raw & 1) || !rombar_) return kPciBarUnmapped;
        raw &= ~uint64_t{0x7ff};
    } else {
        if (bar.flags & kBarMem64) raw |= uint64_t{get_long(static_cast<uint8_t>(offset + 4))} << 32;
        raw &= ~uint64_t{0xf};
    }
    uint64_t addr = raw & ~(bar.size - 1);
    uint64_t last = addr + bar.size - 1;
    if (addr == 0 || last <= addr) return kPciBarUnmapped;
    if (!(bar.flags & kBarMem64) && last >= 0xffffffffull) return kPciBarUnmapped;
    return addr;
}

void PciDevice::update_mappings() {
    PciHost* bridge = host();
    if (!bridge || !realized()) return;
    memory::Transaction transaction;
    for (int index = 0; index <= kPciRomBar; ++index) {
        Bar& bar = bars_[static_cast<size_t>(index)];
        if (!bar.region) continue;
        uint64_t addr = decoded_address(index);
        if (addr == bar.mapped_at) continue;
        if (bar.mapped_in) {
            bar.mapped_in->del_subregion(*bar.region);
            bar.mapped_in = nullptr;
        }
        bar.mapped_at = addr;
        if (addr == kPciBarUnmapped) continue;
        // Priority 1 puts BARs over the chipset's fixed windows, as the
        // bus would decode a device claiming a legacy range.
        bar.mapped_in = (bar.flags & kBarIo) ? &bridge->pci_io() : &bridge->pci_memory();
        bar.mapped_in->add_subregion(addr, *bar.region, 1);
    }
}

void PciDevice::unmap_all() {
    memory::Transaction transaction;
    for (Bar& bar : bars_) {
        if (bar.mapped_in) bar.mapped_in->del_subregion(*bar.region);
        bar.mapped_in = nullptr;
        bar.mapped_at = kPciBarUnmapped;
    }
}

uint64_t PciDevice::bar_address(int index) const { return bars_.at(static_cast<size_t>(index)).mapped_at; }
uint64_t PciDevice::bar_size(int index) const { return bars_.at(static_cast<size_t>(index)).size; }

void PciDevice::set_irq(bool level) {
    if (level == irq_level_) return;
    irq_level_ = level;
    update_irq_status();
}

// STATUS.interrupt always shows the device's request; the pin is driven
// only while COMMAND.interrupt-disable is clear.
void PciDevice::update_irq_status() {
    uint16_t status = get_word(pc::kStatus);
    set_word(pc::kStatus, irq_level_ ? status | kPciStatusInterrupt : status & ~kPciStatusInterrupt);
    bool assert = irq_level_ && !(command() & kPciCommandIntxDisable);
    if (assert == irq_asserted_) return;
    irq_asserted_ = assert;
    uint8_t pin = config_[pc::kInterruptPin];
    if (PciHost* bridge = host(); bridge && pin >= 1 && pin <= 4) bridge->device_irq_changed(*this, pin - 1, assert);
}

void PciDevice::note_master_abort() {
    set_word(pc::kStatus, get_word(pc::kStatus) | kPciStatusReceivedMasterAbort);
}

uint8_t PciDevice::add_capability(uint8_t id, uint8_t offset, uint8_t size) {
    if (offset == 0) offset = next_capability_;
    config_[offset] = id;
    config_[offset + 1] = config_[pc::kCapabilityList];
    config_[pc::kCapabilityList] = offset;
    set_word(pc::kStatus, get_word(pc::kStatus) | kPciStatusCapList);
    next_capability_ = static_cast<uint8_t>(std::max<unsigned>(next_capability_, ((offset + size + 3u) & ~3u)));
    return offset;
}

void PciDevice::set_option_rom(const std::vector<uint8_t>& data) {
    uint64_t size = round_up_pow2(std::max<uint64_t>(data.size(), 2048));
    if (romsize_ != kRomSizeAuto) size = romsize_;  // checked against the file by load_option_rom
    romsize_ = static_cast<uint32_t>(size);  // what `info qtree` shows, as QEMU
    rom_ = memory::MemoryRegion::make_rom(fmt::format("{}.rom", type_name()), size);
    std::copy(data.begin(), data.end(), rom_->host());
    register_bar(kPciRomBar, 0, *rom_);
}

void PciDevice::load_option_rom(const std::string& name) {
    std::optional<std::string> path;
    if (auto* source = dynamic_cast<FirmwareSource*>(Machine::of(*this))) {
        path = source->firmware_path().find(name);
    } else {
        path = system::FirmwarePath().find(name);
    }
    if (!path) throw Error("failed to find romfile \"{}\"", name);
    std::vector<uint8_t> data;
    try {
        data = load_file_bounded(*path, kMaxRomFileSize);
    } catch (const FileLoadError& e) {
        // QEMU's words; what is not a file (a directory, /dev/zero) cannot be loaded.
        if (e.reason() == FileLoadError::Reason::kTooLarge)
            throw Error("romfile \"{}\" too large (size cannot exceed 2 GiB)", name);
        throw Error("failed to load romfile \"{}\"", name);
    }
    if (data.empty()) throw Error("romfile \"{}\" is empty", name);
    if (romsize_ != kRomSizeAuto && data.size() > romsize_)
        throw Error("romfile \"{}\" ({} bytes) is too large for ROM size {}", name, data.size(), romsize_);
    set_option_rom(data);
}

void PciDevice::do_realize() {
    config_.fill(0);
    wmask_.fill(0);
    w1cmask_.fill(0);
    bars_ = {};
    next_capability_ = 0x40;
    // The registers every function lets software program.
    set_wmask_word(pc::kCommand, kPciCommandIo | kPciCommandMemory | kPciCommandMaster |
                                     0x0040 /* parity */ | kPciCommandSerr | kPciCommandIntxDisable);
    wmask_[pc::kCacheLineSize] = 0xff;
    wmask_[pc::kInterruptLine] = 0xff;
    set_w1cmask_word(pc::kStatus, kStatusW1c);
    config_[pc::kInterruptPin] = 1;
    if (multifunction_) config_[pc::kHeaderType] = kPciHeaderTypeMultiFunction;
    if (romsize_ != kRomSizeAuto && (romsize_ == 0 || (romsize_ & (romsize_ - 1))))
        throw Error("ROM size {} is not a power of two", romsize_);
    pci_realize();
    // As QEMU: an unset romfile takes the device's default (and shows it),
    // an explicitly empty one means no ROM.
    if (!romfile_set_) romfile_ = default_romfile();
    const std::string& rom = romfile_;
    if (!rom.empty() && rombar_) {
        try {
            load_option_rom(rom);
        } catch (...) {
            pci_unrealize();
            throw;
        }
    }
}

void PciDevice::property_changed(const qom::Property& property) {
    if (property.name == "romfile") romfile_set_ = true;
}

void PciDevice::do_unrealize() {
    if (irq_asserted_) {
        irq_level_ = false;
        update_irq_status();
    }
    unmap_all();
    pci_unrealize();
}

void PciDevice::do_reset() {
    // What a bus reset returns to power-on values: the programmable parts
    // of COMMAND/STATUS, the BARs, the interrupt line; the rest is the
    // device's business (pci_reset).
    set_word(pc::kCommand, command() & ~get_word_mask(pc::kCommand));
    set_word(pc::kStatus, get_word(pc::kStatus) & ~kStatusW1c);
    config_[pc::kCacheLineSize] = 0;
    config_[pc::kInterruptLine] = 0;
    for (int index = 0; index <= kPciRomBar; ++index) {
        const Bar& bar = bars_[static_cast<size_t>(index)];
        if (!bar.region) continue;
        uint8_t offset = bar_offset(index);
        set_long(offset, get_long(offset) & ~static_cast<uint32_t>(wmask_[offset] | wmask_[offset + 1] << 8 |
                                                                   wmask_[offset + 2] << 16 |
                                                                   static_cast<uint32_t>(wmask_[offset + 3]) << 24));
        if (bar.flags & kBarMem64) set_long(static_cast<uint8_t>(offset + 4), 0);
    }
    irq_level_ = false;
    update_irq_status();
    update_mappings();
    pci_reset();
}

uint16_t PciDevice::get_word_mask(uint8_t offset) const {
    return static_cast<uint16_t>(wmask_[offset] | wmask_[offset + 1] << 8);
}

// ---------------------------------------------------------------------------
// info pci

std::string PciDevice::class_description() const {
    struct Entry {
        uint16_t code;
        const char* name;
    };
    // QEMU's names for the classes a PC shows.
    static constexpr Entry kClasses[] = {
        {0x0001, "VGA controller"},     {0x0100, "SCSI controller"},   {0x0101, "IDE controller"},
        {0x0102, "Floppy controller"},  {0x0103, "IPI controller"},    {0x0104, "RAID controller"},
        {0x0106, "SATA controller"},    {0x0108, "NVMe controller"},   {0x0180, "Storage controller"},
        {0x0200, "Ethernet controller"}, {0x0280, "Network controller"}, {0x0300, "VGA controller"},
        {0x0301, "XGA controller"},     {0x0302, "3D controller"},     {0x0380, "Display controller"},
        {0x0400, "Video controller"},   {0x0401, "Audio controller"},  {0x0403, "Audio controller"},
        {0x0480, "Multimedia controller"}, {0x0500, "RAM controller"}, {0x0580, "Memory controller"},
        {0x0600, "Host bridge"},        {0x0601, "ISA bridge"},        {0x0604, "PCI bridge"},
        {0x0680, "Bridge"},             {0x0700, "Serial port"},       {0x0701, "Parallel port"},
        {0x0780, "Communication controller"}, {0x0800, "PIC"},         {0x0801, "DMA controller"},
        {0x0802, "Timer"},              {0x0803, "RTC"},               {0x0880, "System peripheral"},
        {0x0c03, "USB controller"},     {0x0c05, "SMBus"},
    };
    uint16_t code = get_word(pc::kClassDevice);
    for (const Entry& entry : kClasses) {
        if (entry.code == code) return entry.name;
    }
    return {};
}

void PciDevice::print_pci_lines(int indent, std::string& out) const {
    const std::string pad(static_cast<size_t>(indent), ' ');
    // QEMU's qtree prints an unknown class in hex ("Class 00ff").
    std::string klass = class_description();
    if (klass.empty()) klass = fmt::format("Class {:04x}", get_word(pc::kClassDevice));
    out += fmt::format("{}class {}, addr 00:{:02x}.{:x}, pci id {:04x}:{:04x} (sub {:04x}:{:04x})\n", pad, klass,
                       slot(), function(), get_word(pc::kVendorId), get_word(pc::kDeviceId),
                       get_word(pc::kSubsystemVendorId), get_word(pc::kSubsystemId));
    for (int index = 0; index <= kPciRomBar; ++index) {
        const Bar& bar = bars_[static_cast<size_t>(index)];
        if (!bar.region) continue;
        // An unmapped BAR prints as QEMU's: address -1, end wrapping round.
        out += fmt::format("{}bar {}: {} at 0x{:x} [0x{:x}]\n", pad, index, (bar.flags & kBarIo) ? "i/o" : "mem",
                           bar.mapped_at, bar.mapped_at + bar.size - 1);
    }
}

std::string PciDevice::fw_dev_path() const {
    // QEMU's firmware names for the classes that have one.
    static constexpr std::pair<uint16_t, const char*> kNames[] = {
        {0x0100, "scsi"}, {0x0101, "ide"}, {0x0200, "ethernet"}, {0x0300, "display"},
    };
    std::string name;
    uint16_t code = get_word(pc::kClassDevice);
    for (const auto& [klass, fw_name] : kNames) {
        if (klass == code) name = fw_name;
    }
    if (name.empty()) name = fmt::format("pci{:04x},{:04x}", get_word(pc::kVendorId), get_word(pc::kDeviceId));
    // The i440FX host bridge's config ports, 0xcf8.
    std::string path = fmt::format("/pci@i0cf8/{}@{:x}", name, slot());
    if (function()) path += fmt::format(",{:x}", function());
    return path;
}

std::string PciDevice::info_pci() const {
    std::string out = fmt::format("  Bus {:2}, device {:3}, function {}:\n", 0, slot(), function());
    // QEMU prints an unknown class in decimal ("Class 0255" for 0x00ff).
    std::string description = class_description();
    if (description.empty()) description = fmt::format("Class {:04}", get_word(pc::kClassDevice));
    out += fmt::format("    {}: PCI device {:04x}:{:04x}\n", description, get_word(pc::kVendorId),
                       get_word(pc::kDeviceId));
    if ((config_[pc::kHeaderType] & 0x7f) == 0) {
        out += fmt::format("      PCI subsystem {:04x}:{:04x}\n", get_word(pc::kSubsystemVendorId),
                           get_word(pc::kSubsystemId));
    }
    if (uint8_t pin = config_[pc::kInterruptPin]; pin != 0)
        out += fmt::format("      IRQ {}, pin {}\n", config_[pc::kInterruptLine], static_cast<char>('A' + pin - 1));
    for (int index = 0; index <= kPciRomBar; ++index) {
        const Bar& bar = bars_[static_cast<size_t>(index)];
        if (!bar.region) continue;
        uint64_t addr = bar.mapped_at;
        uint64_t last = addr + bar.size - 1;
        if (bar.flags & kBarIo) {
            out += fmt::format("      BAR{}: I/O at 0x{:04x} [0x{:04x}].\n", index, addr, last);
        } else {
            out += fmt::format("      BAR{}: {} bit{} memory at 0x{:08x} [0x{:08x}].\n", index,
                               (bar.flags & kBarMem64) ? 64 : 32, (bar.flags & kBarPrefetch) ? " prefetchable" : "",
                               addr, last);
        }
    }
    out += fmt::format("      id \"{}\"\n", id());
    return out;
}

namespace {

void collect_pci(qom::Bus& bus, std::string& out) {
    for (qom::Device* device : bus.devices()) {
        for (qom::Bus* child : device->child_buses()) {
            if (child->is_a(qom::kTypePciBus)) {
                auto& pci = static_cast<qom::PciBus&>(*child);
                for (int devfn = 0; devfn < 256; ++devfn) {
                    auto* function = dynamic_cast<PciDevice*>(pci.device_at(devfn));
                    if (function && function->realized()) out += function->info_pci();
                }
            }
            collect_pci(*child, out);
        }
    }
}

}  // namespace

std::string info_pci(const qom::Object& object) {
    std::string out;
    qom::Machine* machine = dynamic_cast<qom::Machine*>(const_cast<qom::Object*>(&object));
    if (!machine) machine = qom::Machine::of(object);
    if (machine) collect_pci(machine->sysbus(), out);
    return out;
}

}  // namespace mimic::hw
