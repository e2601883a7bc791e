// PIIX3 function 0: the PCI-to-ISA bridge. The ISA bus and its devices hang
// off it; its PIRQ route control registers (0x60-0x63) steer the four
// shared PCI interrupt lines onto ISA IRQs; and the reset control register
// at I/O port 0xCF9 resets the system. (The ELCR at 0x4D0/0x4D1 is modelled
// by the PIC, which owns the edge/level decision.)
#include <array>

#include "mimic/hw/machine.h"
#include "mimic/hw/piix.h"
#include "mimic/system/runstate.h"
#include "mimic/util/log.h"

namespace mimic::hw {

namespace {

constexpr uint8_t kPirqDisabled = 0x80;
constexpr uint8_t kRcrSystemReset = 0x02;  // hard (1) vs soft (0) reset
constexpr uint8_t kRcrResetCpu = 0x04;

class Piix3Impl : public Piix3 {
public:
protected:
    void pci_realize() override {
        set_ids({.vendor = 0x8086, .device = 0x7000, .revision = 0x00, .class_code = 0x060100});
        set_interrupt_pin(0);
        // QEMU creates the PIIX3 as a multifunction device (IDE, USB and
        // power management are its other functions).
        set_byte(pci_config::kHeaderType, kPciHeaderTypeMultiFunction);
        for (int i = 0; i < kPiixPirqCount; ++i) set_wmask_byte(static_cast<uint8_t>(kPiixPirqRouting + i), 0x8f);

        if (PciHost* bridge = host()) {
            bridge->set_irq_routing({
                .pirq_count = kPiixPirqCount,
                // The conventional swizzle: INTA of slot 1 is PIRQA, of
                // slot 2 PIRQB... so neighbouring cards spread their pins.
                .map_irq = [](int devfn, int pin) { return (pin + (devfn >> 3) - 1) & 3; },
                .set_irq = [this](int, bool) { update_isa_irqs(); },
            });
        }

        // 0xCF9 lies inside the host bridge's CONFIG_ADDRESS dword; the
        // bridge forwards byte accesses there to us.
        if (PciHost* bridge = host()) {
            bridge->set_reset_control_port({
                .read = [this] { return rcr_; },
                .write = [this](uint8_t value) { write_rcr(value); },
            });
        }
        pci_reset();
    }

    void pci_unrealize() override {
        if (PciHost* bridge = host()) bridge->set_reset_control_port({});
    }

    void pci_reset() override {
        // Power-on values from the PIIX3 datasheet, as QEMU sets them.
        uint8_t* c = config();
        c[0x4c] = 0x4d;
        c[0x4e] = 0x03;
        c[0x4f] = 0x00;
        for (int i = 0; i < kPiixPirqCount; ++i) c[kPiixPirqRouting + i] = kPirqDisabled;
        c[0x69] = 0x02;
        c[0x70] = 0x80;
        c[0x76] = 0x0c;
        c[0x77] = 0x0c;
        c[0x78] = 0x02;
        c[0x79] = 0x00;
        c[0x80] = 0x00;
        c[0x82] = 0x00;
        c[0xa0] = 0x08;
        c[0xa2] = 0x00;
        c[0xa3] = 0x00;
        c[0xa4] = 0x00;
        c[0xa5] = 0x00;
        c[0xa6] = 0x00;
        c[0xa7] = 0x00;
        c[0xa8] = 0x0f;
        c[0xaa] = 0x00;
        c[0xab] = 0x00;
        c[0xac] = 0x00;
        c[0xae] = 0x00;
        rcr_ = 0;
        update_isa_irqs();
    }

    void config_written(uint8_t offset, uint32_t, unsigned size) override {
        if (offset < kPiixPirqRouting + kPiixPirqCount && offset + size > kPiixPirqRouting) update_isa_irqs();
    }

private:
    // Each ISA IRQ is the OR of the PIRQs routed to it. Only lines whose
    // level this bridge changed are driven, so ISA devices on unrelated
    // IRQs are left alone.
    void update_isa_irqs() {
        PciHost* bridge = host();
        std::array<bool, kIsaIrqCount> level{};
        for (int pirq = 0; pirq < kPiixPirqCount; ++pirq) {
            uint8_t route = get_byte(static_cast<uint8_t>(kPiixPirqRouting + pirq));
            if (route & kPirqDisabled || (route & 0x0f) >= kIsaIrqCount) continue;
            if (bridge && bridge->pirq_level(pirq)) level[route & 0x0f] = true;
        }
        Machine* machine = Machine::of(*this);
        for (int irq = 0; irq < kIsaIrqCount; ++irq) {
            if (level[static_cast<size_t>(irq)] == driven_[static_cast<size_t>(irq)]) continue;
            driven_[static_cast<size_t>(irq)] = level[static_cast<size_t>(irq)];
            if (machine) machine->isa_irq(irq).set(level[static_cast<size_t>(irq)]);
        }
    }

    void write_rcr(uint8_t value) {
        if (value & kRcrResetCpu) {
            // Hard and soft reset both restart the machine here: there is
            // no state that survives a soft (INIT-only) reset worth keeping.
            if (system::RunControl* control = Machine::of(*this)->run_control()) {
                control->request_reset(system::ShutdownCause::kGuestReset);
            } else {
                MIMIC_LOG(log::kUnimp, "PIIX3: reset through 0xCF9 with no run control\n");
            }
            return;
        }
        rcr_ = value & kRcrSystemReset;
    }

    uint8_t rcr_ = 0;
    std::array<bool, kIsaIrqCount> driven_{};
};

}  // namespace

Piix3::Piix3() { isa_bus_ = &add_bus(qom::kTypeIsaBus, "isa.0"); }

MIMIC_REGISTER_TYPE({
    .name = kTypePiix3,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<Piix3Impl>(),
    .description = "ISA bridge",
    .categories = {qom::DeviceCategory::kBridge},
    .user_creatable = false,
    .hotpluggable = false,  // as QEMU's: device_del refuses it
});

}  // namespace mimic::hw
