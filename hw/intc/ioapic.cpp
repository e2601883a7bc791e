// ioapic: the 82093AA I/O APIC at 0xfec00000 (version 0x20, 24 pins), as
// QEMU's pc machines have it.
//
// Each pin has a 64-bit redirection entry that turns its input into an
// APIC bus message. Edge-triggered pins send one message per rising edge
// (an edge seen while the entry is masked is lost, as the 82093AA's manual
// says and QEMU and KVM do);
// level-triggered pins send one while the line is high and set remote IRR,
// which the local APIC's EOI for that vector clears (broadcast over the APIC
// bus, or written to the EOI register at 0x40), re-sending if the line is
// still high. Input polarity is not modelled, as in QEMU: a high input is an
// asserted one.
#include "mimic/hw/ioapic.h"

#include "mimic/hw/apic.h"
#include "mimic/hw/irq.h"
#include "mimic/hw/machine.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/property.h"
#include "mimic/qom/standard_buses.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr uint32_t kIoapicVersion = 0x20;
constexpr uint64_t kApicMsiBase = 0xfee00000;
constexpr uint64_t kMasked = 1ull << 16;
constexpr uint64_t kLevelTriggered = 1ull << 15;
constexpr uint64_t kRemoteIrr = 1ull << 14;
constexpr uint64_t kDeliveryStatus = 1ull << 12;
// Bits software may write: all but delivery status, remote IRR and 17..47.
// Bits 55:48, reserved on the 82093AA, hold the remappable format's
// interrupt index on VT-d platforms (the ICH9's IOAPIC), as in QEMU.
constexpr uint64_t kWritable = 0xffff000000000000ull | 0x1afffull;

class Ioapic : public qom::SysBusDevice, public HasIrqInputs {
public:
    Ioapic() {
        inputs_ = std::make_shared<IrqInputs>("ioapic", kIoapicPins,
                                              [this](int pin, bool level) { set_input(pin, level); });
    }

    IrqInputs& irq_inputs() override { return *inputs_; }
    const std::shared_ptr<IrqInputs>& inputs() const { return inputs_; }

    void connect(Machine& machine, ApicBus* bus) {
        bus_ = bus;
        if (bus_) bus_->add_eoi_listener([this](uint8_t vector) { eoi(vector); });
        memory::MmioOps ops;
        ops.read = [this](uint64_t offset, unsigned) -> uint64_t { return read(offset); };
        ops.write = [this](uint64_t offset, uint64_t value, unsigned) {
            write(offset, static_cast<uint32_t>(value));
        };
        ops.valid = {1, 4, false};
        ops.impl = {4, 4, false};
        mmio_.init_io("ioapic", 0x1000, std::move(ops));
        machine.system_memory().add_subregion(kIoapicBase, mmio_);
    }

protected:
    void do_reset() override {
        // The ID after the last CPU's, as the MADT and SeaBIOS's MP table say.
        id_ = bus_ ? static_cast<uint8_t>(bus_->cpu_count() & 0xf) : 0;
        select_ = 0;
        irr_ = 0;
        for (auto& entry : table_) entry = kMasked;
    }

private:
    uint64_t read(uint64_t offset) {
        if (offset == 0x00) return select_;
        if (offset != 0x10) return 0;
        switch (select_) {
        case 0x00: return static_cast<uint32_t>(id_) << 24;
        case 0x01: return kIoapicVersion | (kIoapicPins - 1) << 16;
        case 0x02: return static_cast<uint32_t>(id_) << 24;   // arbitration ID: the ID, read-only
        default: break;
        }
        unsigned index = (select_ - 0x10) >> 1;
        if (select_ < 0x10 || index >= kIoapicPins) {
            MIMIC_LOG(log::kGuestErrors, "ioapic: read of register {:#x}\n", select_);
            return 0;
        }
        uint64_t entry = table_[index];
        return static_cast<uint32_t>(select_ & 1 ? entry >> 32 : entry);
    }

    void write(uint64_t offset, uint32_t value) {
        if (offset == 0x00) {
            select_ = static_cast<uint8_t>(value);
            return;
        }
        if (offset == 0x40) {   // EOI register (version 0x20)
            eoi(static_cast<uint8_t>(value));
            return;
        }
        if (offset != 0x10) return;
        if (select_ == 0x00) {
            id_ = (value >> 24) & 0xf;
            return;
        }
        unsigned index = (select_ - 0x10) >> 1;
        if (select_ < 0x10 || index >= kIoapicPins) {
            MIMIC_LOG(log::kGuestErrors, "ioapic: write {:#x} to register {:#x}\n", value, select_);
            return;
        }
        uint64_t& entry = table_[index];
        uint64_t updated = select_ & 1 ? (entry & 0xffffffffull) | static_cast<uint64_t>(value) << 32
                                       : (entry & ~0xffffffffull) | value;
        updated = (updated & kWritable) | (entry & kRemoteIrr);
        // Remote IRR means nothing for an edge-triggered pin.
        if (!(updated & kLevelTriggered)) updated &= ~kRemoteIrr;
        entry = updated;
        service();
    }

    void set_input(int pin, bool level) {
        uint32_t mask = 1u << pin;
        uint64_t entry = table_[static_cast<size_t>(pin)];
        if (entry & kLevelTriggered) {
            if (level) {
                irr_ |= mask;
            } else {
                irr_ &= ~mask;
            }
        } else if (level && !(lines_ & mask) && !(entry & kMasked)) {
            irr_ |= mask;   // a rising edge
        }
        if (level) {
            lines_ |= mask;
        } else {
            lines_ &= ~mask;
        }
        service();
    }

    // Sends a message for every pending, unmasked pin.
    void service() {
        for (unsigned pin = 0; pin < kIoapicPins; ++pin) {
            uint32_t mask = 1u << pin;
            if (!(irr_ & mask)) continue;
            uint64_t& entry = table_[pin];
            if (entry & kMasked) continue;
            if (entry & kLevelTriggered) {
                if (entry & kRemoteIrr) continue;
                entry |= kRemoteIrr;
            } else {
                irr_ &= ~mask;
            }
            send(entry);
        }
    }

    void send(uint64_t entry) {
        if (!bus_) return;
        if (InterruptRemapper* remapper = bus_->interrupt_remapper()) {
            // Behind interrupt remapping the entry becomes an MSI, as the
            // IOAPIC of a VT-d platform sends it: bits 63:48 (the
            // destination, or the remappable format's index) go to address
            // bits 19:4 and bit 11 to address bit 2.
            uint64_t address = kApicMsiBase | ((entry >> 48) & 0xffff) << 4 | ((entry >> 11) & 1) << 2;
            auto data = static_cast<uint32_t>((entry & 0xff) | ((entry >> 8) & 7) << 8 | ((entry >> 15) & 1) << 15);
            if (auto message = remapper->remap_interrupt(address, data, -1)) bus_->deliver(*message);
            return;
        }
        ApicMessage m;
        m.vector = static_cast<uint8_t>(entry);
        m.delivery = static_cast<ApicDelivery>((entry >> 8) & 7);
        m.logical = (entry >> 11) & 1;
        m.level_triggered = entry & kLevelTriggered;
        m.dest = static_cast<uint8_t>(entry >> 56);
        bus_->deliver(m);
    }

    void eoi(uint8_t vector) {
        bool any = false;
        for (auto& entry : table_) {
            if ((entry & 0xff) == vector && (entry & kLevelTriggered) && (entry & kRemoteIrr)) {
                entry &= ~kRemoteIrr;
                any = true;
            }
        }
        if (any) service();
    }

    std::shared_ptr<IrqInputs> inputs_;
    memory::MemoryRegion mmio_;
    ApicBus* bus_ = nullptr;
    uint8_t id_ = 0;
    uint8_t select_ = 0;
    uint32_t irr_ = 0;     // pins asking for service
    uint32_t lines_ = 0;   // input levels, for edge detection
    uint64_t table_[kIoapicPins] = {};
};

MIMIC_REGISTER_TYPE({
    .name = "ioapic",
    .parent = qom::kTypeSysBusDevice,
    .factory = qom::factory_of<Ioapic>(),
    .description = "82093AA I/O APIC",
    .user_creatable = false,
});

}  // namespace

std::shared_ptr<IrqInputs> create_ioapic(Machine& machine, qom::Object& parent) {
    auto device = qom::new_object<Ioapic>("ioapic");
    device->set_parent_bus(machine.sysbus());
    auto& placed = parent.add_child("ioapic", std::move(device));
    placed.realize();
    placed.connect(machine, apic_bus(machine));
    placed.reset();
    return placed.inputs();
}

}  // namespace mimic::hw
