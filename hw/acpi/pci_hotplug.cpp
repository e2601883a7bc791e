#include "pci_hotplug.h"

#include <nlohmann/json.hpp>

#include <bit>

#include "mimic/hw/machine.h"
#include "mimic/hw/pci.h"
#include "mimic/main_loop/bottom_half.h"
#include "mimic/system/runstate.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr uint64_t kUp = 0x00;
constexpr uint64_t kDown = 0x04;
constexpr uint64_t kEject = 0x08;
constexpr uint64_t kRemovable = 0x0c;
constexpr uint64_t kSelect = 0x10;
constexpr uint64_t kAcpiIndex = 0x14;
// QEMU's ACPI_PCIHP_MAX_HOTPLUG_BUS: selects past it read as zero.
constexpr uint32_t kMaxBusSelect = 256;

uint32_t slot_bit(const qom::Device& device) {
    auto* function = dynamic_cast<const PciDevice*>(&device);
    return function ? 1u << function->slot() : 0;
}

// Removes the device at `path` if it is still there, then reports it as
// QEMU does when an unplugged device is finalized. Runs from a bottom half:
// the eject comes in the middle of a guest I/O write (and a reset walks the
// bus), so the device is not destroyed under either.
void remove_now(hw::Machine* machine, const std::string& path) {
    qom::Object* object = machine->resolve_path(path);
    auto* device = dynamic_cast<qom::Device*>(object);
    if (!device) return;
    std::string id = device->id();
    qom::Bus::remove_device(*device);
    if (system::RunControl* control = machine->run_control()) {
        nlohmann::json data = nlohmann::json::object();
        if (!id.empty()) data["device"] = id;
        data["path"] = path;
        control->emit({"DEVICE_DELETED", data});
    }
}

}  // namespace

AcpiPciHotplug::AcpiPciHotplug(qom::Bus& bus, std::function<void()> raise_event)
    : bus_(bus), raise_event_(std::move(raise_event)) {
    memory::MmioOps ops;
    ops.read = [this](uint64_t offset, unsigned) -> uint64_t { return read(offset); };
    ops.write = [this](uint64_t offset, uint64_t value, unsigned) { write(offset, static_cast<uint32_t>(value)); };
    ops.valid = {4, 4, false};
    ops.impl = {4, 4, false};
    io_.init_io("acpi-pci-hotplug", kAcpiPciHotplugSize, std::move(ops));
    bus_.set_hotplug_handler(this);
}

AcpiPciHotplug::~AcpiPciHotplug() {
    if (bus_.hotplug_handler() == this) bus_.set_hotplug_handler(nullptr);
    if (io_.parent()) io_.parent()->del_subregion(io_);
}

void AcpiPciHotplug::reset() {
    eject_pending(down_);
    up_ &= ~down_;
    down_ = 0;
}

void AcpiPciHotplug::plugged(qom::Device& device) {
    // Devices present at start-up are found by the guest's own scan.
    if (!device.hotplugged()) return;
    up_ |= slot_bit(device);
    raise_event_();
}

void AcpiPciHotplug::unplug_request(qom::Device& device) {
    down_ |= slot_bit(device);
    raise_event_();
}

uint32_t AcpiPciHotplug::removable_slots() const {
    uint32_t slots = ~0u;
    for (qom::Device* device : bus_.devices()) {
        if (!device->type().hotpluggable()) slots &= ~slot_bit(*device);
    }
    return slots;
}

uint32_t AcpiPciHotplug::read(uint64_t offset) {
    if (offset == kSelect) return select_;
    if (select_ >= kMaxBusSelect) return 0;
    const bool root = select_ == 0;  // the only hot-pluggable bus
    switch (offset) {
    case kUp: {
        uint32_t value = root ? up_ : 0;
        if (root) up_ = 0;
        return value;
    }
    case kDown: return root ? down_ : 0;
    case kRemovable: return root ? removable_slots() : ~0u;
    default: return 0;  // eject reads as zero; no device has an ACPI index
    }
}

void AcpiPciHotplug::write(uint64_t offset, uint32_t value) {
    switch (offset) {
    case kEject:
        if (select_ == 0) eject(value);
        break;
    case kSelect: select_ = value; break;
    case kAcpiIndex: break;  // nothing to latch: no device has an ACPI index
    default:
        MIMIC_LOG(log::kGuestErrors, "acpi-pci-hotplug: write {:#x} to read-only register {:#x}\n", value, offset);
        break;
    }
}

// As QEMU: the lowest slot written is ejected, whether or not it was asked
// for; devices that cannot be unplugged stay.
void AcpiPciHotplug::eject(uint32_t slots) {
    if (!slots) return;
    uint32_t bit = 1u << std::countr_zero(slots);
    up_ &= ~bit;
    down_ &= ~bit;
    eject_pending(bit);
}

void AcpiPciHotplug::eject_pending(uint32_t slots) {
    hw::Machine* machine = hw::Machine::of(bus_);
    if (!machine) return;
    for (qom::Device* device : bus_.devices()) {
        if (!(slot_bit(*device) & slots) || !device->type().hotpluggable()) continue;
        schedule_oneshot([machine, path = device->canonical_path()] { remove_now(machine, path); });
    }
}

}  // namespace mimic::hw
