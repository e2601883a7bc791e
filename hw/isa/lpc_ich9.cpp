// ICH9 function 1f.0: the LPC (PCI-to-ISA) bridge of the "q35" machine.
//
// Interrupts: each slot's INTA-D pins map onto one of eight PIRQs (slots
// 25-31 as the DnnIR registers of the root complex register block say,
// the others rotating over PIRQE-H as QEMU's and SeaBIOS's tables expect).
// PIRQA-H drive IOAPIC inputs 16-23, and each PIRQ whose route register
// (0x60-0x63, 0x68-0x6B) is enabled also drives that ISA IRQ for the 8259.
// The SCI goes to the IRQ ACPI_CNTL selects (9 by default).
//
// Registers: PMBASE (0x40) and ACPI_CNTL (0x44) place and enable the PM
// block (../acpi/ich9_pm.h), RCBA (0xF0) the 16 KiB root complex register
// block, GEN_PMCON (0xA0-0xA5) hold what firmware writes. Reset control
// is the byte at 0xCF9, as on PIIX3.
#include <array>

#include "../acpi/ich9_pm.h"
#include "mimic/hw/ich9.h"
#include "mimic/hw/machine.h"
#include "mimic/memory/transaction.h"
#include "mimic/system/runstate.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr uint8_t kPmBase = 0x40;
constexpr uint8_t kAcpiControl = 0x44;
constexpr uint8_t kAcpiEnabled = 0x80;
constexpr uint8_t kPirqaRoute = 0x60;
constexpr uint8_t kPirqeRoute = 0x68;
constexpr uint8_t kPirqRouteDisabled = 0x80;
constexpr uint8_t kGenPmcon = 0xa0;
constexpr uint8_t kRcba = 0xf0;
constexpr uint32_t kRcbaEnable = 1;

// The root complex register block: the interrupt route registers of
// devices 31..25 (2 bytes each, D30IR fixed at 0) and GCS.
constexpr uint64_t kRcbaSize = 16 * 1024;
constexpr int kD31InterruptRoute = 0x3140;
constexpr uint16_t kDnnIrDefault = 0x3210;  // INTA-D -> PIRQA-D
constexpr int kGcs = 0x3410;
constexpr uint16_t kGcsDefault = 0x20;  // no reboot on the second TCO timeout

constexpr uint8_t kRstCntSystemReset = 0x02;
constexpr uint8_t kRstCntResetCpu = 0x04;
constexpr uint8_t kRstCntFullReset = 0x08;

// ISA IRQs a PIRQ may be routed to (the others are reserved).
constexpr bool routable_isa_irq(int irq) {
    return irq >= 3 && irq < kIsaIrqCount && irq != 8 && irq != 13;
}

class Ich9LpcImpl : public Ich9Lpc {
public:
    Ich9LpcImpl()
        : pm_(*this, [this](bool level) {
              sci_level_ = level;
              update_irqs();
          }) {}

    ~Ich9LpcImpl() override { unmap(); }

    uint16_t pm_io_base() const override {
        if (!(get_byte(kAcpiControl) & kAcpiEnabled)) return 0;
        return static_cast<uint16_t>(get_long(kPmBase) & 0xff80);
    }

    int sci_gsi() const override {
        static constexpr std::array<int, 8> kSciIrqs = {9, 10, 11, -1, 20, 21, 22, 23};
        int gsi = kSciIrqs[get_byte(kAcpiControl) & 7];
        return gsi < 0 ? 9 : gsi;
    }

protected:
    void pci_realize() override {
        set_ids({.vendor = 0x8086, .device = 0x2918, .revision = 0x02, .class_code = 0x060100});
        set_interrupt_pin(0);
        set_byte(pci_config::kHeaderType, kPciHeaderTypeMultiFunction);
        set_wmask_long(kPmBase, 0x0000ff80);
        set_wmask_byte(kAcpiControl, kAcpiEnabled | 0x07);
        for (int i = 0; i < 4; ++i) {
            set_wmask_byte(static_cast<uint8_t>(kPirqaRoute + i), 0x8f);
            set_wmask_byte(static_cast<uint8_t>(kPirqeRoute + i), 0x8f);
        }
        for (uint8_t reg = kGenPmcon; reg < kGenPmcon + 6; ++reg) set_wmask_byte(reg, 0xff);
        set_wmask_long(kRcba, 0xffffc000 | kRcbaEnable);

        memory::MmioOps rcba;
        rcba.read = [this](uint64_t offset, unsigned size) -> uint64_t {
            uint64_t value = 0;
            for (unsigned i = 0; i < size; ++i) value |= uint64_t{chip_config_[offset + i]} << (8 * i);
            return value;
        };
        rcba.write = [this](uint64_t offset, uint64_t value, unsigned size) { write_chip_config(offset, value, size); };
        rcba.valid = {1, 4, false};
        rcba.impl = {1, 4, false};
        rcba_io_.init_io("lpc-rcrb-mmio", kRcbaSize, std::move(rcba));

        if (PciHost* bridge = host()) {
            bridge->set_irq_routing({
                .pirq_count = kIch9PirqCount,
                .map_irq = [this](int devfn, int pin) { return pirq_of(devfn >> 3, pin); },
                .set_irq = [this](int, bool) { update_irqs(); },
            });
            bridge->set_reset_control_port({
                .read = [this] { return rst_cnt_; },
                .write = [this](uint8_t value) { write_rst_cnt(value); },
            });
        }
        Machine* machine = Machine::of(*this);
        machine->io().add_subregion(ApmPorts::kBase, pm_.apm().io());
        if (system::RunControl* control = machine->run_control())
            control->set_powerdown_hook([this] { pm_.press_power_button(); });
        pci_reset();
    }

    void pci_unrealize() override {
        if (PciHost* bridge = host()) bridge->set_reset_control_port({});
        unmap();
    }

    void pci_reset() override {
        set_long(kPmBase, 0x00000001);  // bit 0: an I/O space BAR
        set_byte(kAcpiControl, 0);
        for (int i = 0; i < 4; ++i) {
            set_byte(static_cast<uint8_t>(kPirqaRoute + i), kPirqRouteDisabled);
            set_byte(static_cast<uint8_t>(kPirqeRoute + i), kPirqRouteDisabled);
        }
        for (uint8_t reg = kGenPmcon; reg < kGenPmcon + 6; ++reg) set_byte(reg, 0);
        set_long(kRcba, 0);
        chip_config_.fill(0);
        for (int slot : {31, 29, 28, 27, 26, 25}) set_chip_word(interrupt_route_register(slot), kDnnIrDefault);
        set_chip_word(kGcs, kGcsDefault);
        rst_cnt_ = 0;
        pm_.reset();
        update_mappings();
        update_irqs();
    }

    void config_written(uint8_t offset, uint32_t, unsigned size) override {
        auto overlaps = [&](uint8_t reg, unsigned length) { return offset < reg + length && offset + size > reg; };
        if (overlaps(kPmBase, 4) || overlaps(kAcpiControl, 1) || overlaps(kRcba, 4)) update_mappings();
        if (overlaps(kPirqaRoute, 4) || overlaps(kPirqeRoute, 4) || overlaps(kAcpiControl, 1)) update_irqs();
    }

private:
    // DnnIR registers sit at RCBA 0x3140 (D31), 0x3142 (D30), 0x3144 (D29),
    // 0x3146 (D28), 0x3148 (D27), 0x314C (D26), 0x3150 (D25): a nibble per
    // pin, the PIRQ number in its low three bits.
    static int interrupt_route_register(int slot) {
        switch (slot) {
        case 31: return kD31InterruptRoute;
        case 29: return 0x3144;
        case 28: return 0x3146;
        case 27: return 0x3148;
        case 26: return 0x314c;
        case 25: return 0x3150;
        default: return -1;
        }
    }

    int pirq_of(int slot, int pin) const {
        if (slot == 30) return pin + 4;  // the DMI-to-PCI bridge's slot: PIRQE-H
        int reg = interrupt_route_register(slot);
        if (reg < 0) return (slot + pin) % 4 + 4;
        uint16_t route = static_cast<uint16_t>(chip_config_[static_cast<size_t>(reg)] |
                                               chip_config_[static_cast<size_t>(reg) + 1] << 8);
        return (route >> (4 * pin)) & 7;
    }

    void set_chip_word(int reg, uint16_t value) {
        chip_config_[static_cast<size_t>(reg)] = static_cast<uint8_t>(value);
        chip_config_[static_cast<size_t>(reg) + 1] = static_cast<uint8_t>(value >> 8);
    }

    void write_chip_config(uint64_t offset, uint64_t value, unsigned size) {
        for (unsigned i = 0; i < size; ++i) {
            uint64_t at = offset + i;
            if (at == kD31InterruptRoute + 2u || at == kD31InterruptRoute + 3u) continue;  // D30IR is read-only 0
            chip_config_[at] = static_cast<uint8_t>(value >> (8 * i));
        }
        // A new route moves asserted pins to other PIRQs: recount them.
        if (PciHost* bridge = host()) bridge->reroute_irqs();
        update_irqs();
    }

    void update_mappings() {
        memory::Transaction transaction;
        Machine* machine = Machine::of(*this);
        if (pm_.io().parent()) pm_.io().parent()->del_subregion(pm_.io());
        if (uint16_t base = pm_io_base()) machine->io().add_subregion(base, pm_.io());
        if (rcba_io_.parent()) rcba_io_.parent()->del_subregion(rcba_io_);
        uint32_t rcba = get_long(kRcba);
        if (rcba & kRcbaEnable) machine->system_memory().add_subregion(rcba & 0xffffc000, rcba_io_, 1);
    }

    // Drives GSIs 16-23 from the PIRQ levels and each ISA IRQ from the
    // PIRQs routed to it, with the SCI ORed into its line. Only lines whose
    // level this bridge changed are driven: ISA devices share them.
    void update_irqs() {
        PciHost* bridge = host();
        Machine* machine = Machine::of(*this);
        if (!machine) return;
        std::array<bool, kIch9FirstPirqGsi + kIch9PirqCount> level{};
        for (int pirq = 0; pirq < kIch9PirqCount; ++pirq) {
            bool asserted = bridge && bridge->pirq_level(pirq);
            level[static_cast<size_t>(kIch9FirstPirqGsi + pirq)] = asserted;
            uint8_t route = get_byte(static_cast<uint8_t>(pirq < 4 ? kPirqaRoute + pirq : kPirqeRoute + pirq - 4));
            int irq = route & 0x0f;
            if (asserted && !(route & kPirqRouteDisabled) && routable_isa_irq(irq)) level[static_cast<size_t>(irq)] = true;
        }
        if (sci_level_) level[static_cast<size_t>(sci_gsi())] = true;
        for (size_t gsi = 0; gsi < level.size(); ++gsi) {
            if (level[gsi] == driven_[gsi]) continue;
            driven_[gsi] = level[gsi];
            machine->gsi(static_cast<int>(gsi)).set(level[gsi]);
        }
    }

    void write_rst_cnt(uint8_t value) {
        if (value & kRstCntResetCpu) {
            if (system::RunControl* control = Machine::of(*this)->run_control()) {
                control->request_reset(system::ShutdownCause::kGuestReset);
            } else {
                MIMIC_LOG(log::kUnimp, "ICH9-LPC: reset through 0xCF9 with no run control\n");
            }
            return;
        }
        rst_cnt_ = value & (kRstCntSystemReset | kRstCntFullReset);
    }

    void unmap() {
        for (memory::MemoryRegion* region : {&pm_.io(), &pm_.apm().io(), &rcba_io_}) {
            if (region->parent()) region->parent()->del_subregion(*region);
        }
    }

    Ich9Pm pm_;
    memory::MemoryRegion rcba_io_;
    std::array<uint8_t, kRcbaSize> chip_config_{};
    std::array<bool, kIch9FirstPirqGsi + kIch9PirqCount> driven_{};
    uint8_t rst_cnt_ = 0;
    bool sci_level_ = false;
};

}  // namespace

Ich9Lpc::Ich9Lpc() { isa_bus_ = &add_bus(qom::kTypeIsaBus, "isa.0"); }

MIMIC_REGISTER_TYPE({
    .name = kTypeIch9Lpc,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<Ich9LpcImpl>(),
    .description = "ICH9 LPC bridge",
    .categories = {qom::DeviceCategory::kBridge},
    .user_creatable = false,
    .hotpluggable = false,
});

}  // namespace mimic::hw
