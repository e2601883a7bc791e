// The in-kernel interrupt controllers QEMU's pc uses under KVM: the 8259
// pair, the IOAPIC and the local APICs (KVM_CREATE_IRQCHIP), and the 8254
// PIT (KVM_CREATE_PIT2). The board's interrupt lines, which reach the
// userspace IOAPIC's inputs, are redirected to KVM's GSIs, routed as QEMU's
// pc routes them (GSI 0 to IOAPIC pin 2).
//
// The userspace models of these devices stay in the machine but the guest
// no longer reaches them: KVM answers their ports and MMIO itself.
#pragma once

#include <linux/kvm.h>

#include <memory>

namespace mimic::hw {
class Machine;
}

namespace mimic::accel::kvm {

class KvmVm;

class KvmIrqchip {
public:
    // Creates the controllers; call before the first vCPU. Throws mimic::Error.
    explicit KvmIrqchip(KvmVm& vm);
    ~KvmIrqchip();

    // Takes over the machine's interrupt lines (until destroyed).
    void connect(hw::Machine& machine);
    // The controllers' power-on state.
    void reset();
    // A GSI's level (any thread).
    void set_gsi(int gsi, bool level);

private:
    KvmVm& vm_;
    kvm_irqchip reset_chips_[3]{};
    kvm_pit_state2 reset_pit_{};
    class Redirect;
    std::unique_ptr<Redirect> redirect_;
};

}  // namespace mimic::accel::kvm
