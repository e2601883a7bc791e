#include "kvm_irqchip.h"

#include <cstdio>
#include <memory>
#include <vector>

#include "kvm_abi.h"
#include "kvm_vm.h"
#include "mimic/hw/irq.h"
#include "mimic/hw/machine.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::accel::kvm {
namespace {

constexpr int kIoapicPins = 24;

void check(int result, const char* what) {
    if (result < 0) throw Error("KVM: {} failed: {}", what, errno_string(-result));
}

// QEMU's kvm_pc_setup_irq_routing(): ISA IRQs to both 8259s, every GSI to
// the IOAPIC pin of the same number except GSI 0, which the IOAPIC has on
// pin 2 (as the MADT's interrupt override says).
std::vector<kvm_irq_routing_entry> pc_routes() {
    std::vector<kvm_irq_routing_entry> routes;
    auto add = [&](uint32_t gsi, uint32_t chip, uint32_t pin) {
        kvm_irq_routing_entry e{};
        e.gsi = gsi;
        e.type = KVM_IRQ_ROUTING_IRQCHIP;
        e.u.irqchip.irqchip = chip;
        e.u.irqchip.pin = pin;
        routes.push_back(e);
    };
    for (uint32_t i = 0; i < 8; ++i) {
        if (i != 2) add(i, KVM_IRQCHIP_PIC_MASTER, i);
    }
    for (uint32_t i = 8; i < 16; ++i) add(i, KVM_IRQCHIP_PIC_SLAVE, i - 8);
    for (uint32_t i = 0; i < kIoapicPins; ++i) {
        if (i == 0) {
            add(0, KVM_IRQCHIP_IOAPIC, 2);
        } else if (i != 2) {
            add(i, KVM_IRQCHIP_IOAPIC, i);
        }
    }
    return routes;
}

void find_inputs(qom::Object& object, const std::string& name, hw::IrqInputs*& found) {
    if (auto* owner = dynamic_cast<hw::HasIrqInputs*>(&object)) {
        if (owner->irq_inputs().name() == name) found = &owner->irq_inputs();
    }
    for (qom::Object* child : object.children()) find_inputs(*child, name, found);
}

}  // namespace

// The intercepted inputs, given back when the accelerator goes.
class KvmIrqchip::Redirect {
public:
    explicit Redirect(hw::IrqInputs& inputs) : inputs_(inputs) {}
    ~Redirect() { inputs_.intercept({}); }

private:
    hw::IrqInputs& inputs_;
};

KvmIrqchip::KvmIrqchip(KvmVm& vm) : vm_(vm) {
    check(vm.vm_ioctl(KVM_CREATE_IRQCHIP, 0ul), "KVM_CREATE_IRQCHIP");
    // The speaker port's PIT channel 2 bits come from the kernel's PIT too.
    kvm_pit_config pit{};
    pit.flags = KVM_PIT_SPEAKER_DUMMY;
    check(vm.vm_ioctl(KVM_CREATE_PIT2, &pit), "KVM_CREATE_PIT2");
    std::vector<kvm_irq_routing_entry> routes = pc_routes();
    abi::RoutingArray routing(routes.size());
    std::copy(routes.begin(), routes.end(), routing.entries());
    check(vm.vm_ioctl(abi::kSetGsiRouting, routing.data()), "KVM_SET_GSI_ROUTING");
    const uint32_t chips[3] = {KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_IOAPIC};
    for (int i = 0; i < 3; ++i) {
        reset_chips_[i].chip_id = chips[i];
        check(vm.vm_ioctl(KVM_GET_IRQCHIP, &reset_chips_[i]), "KVM_GET_IRQCHIP");
    }
    check(vm.vm_ioctl(KVM_GET_PIT2, &reset_pit_), "KVM_GET_PIT2");
}

KvmIrqchip::~KvmIrqchip() = default;

void KvmIrqchip::connect(hw::Machine& machine) {
    hw::IrqInputs* ioapic = nullptr;
    find_inputs(machine, "ioapic", ioapic);
    if (!ioapic) throw Error("kernel-irqchip needs an IOAPIC; use kernel-irqchip=off");
    ioapic->intercept([this](int pin, bool level) { set_gsi(pin == 2 ? 0 : pin, level); });
    redirect_ = std::make_unique<Redirect>(*ioapic);
}

void KvmIrqchip::reset() {
    for (kvm_irqchip& chip : reset_chips_) check(vm_.vm_ioctl(KVM_SET_IRQCHIP, &chip), "KVM_SET_IRQCHIP");
    check(vm_.vm_ioctl(KVM_SET_PIT2, &reset_pit_), "KVM_SET_PIT2");
}

void KvmIrqchip::set_gsi(int gsi, bool level) {
    kvm_irq_level line{};
    line.irq = static_cast<uint32_t>(gsi);
    line.level = level ? 1 : 0;
    if (int r = vm_.vm_ioctl(KVM_IRQ_LINE, &line); r < 0)
        MIMIC_LOG(log::kGuestErrors, "KVM_IRQ_LINE {} failed: {}", gsi, errno_string(-r));
}

}  // namespace mimic::accel::kvm
