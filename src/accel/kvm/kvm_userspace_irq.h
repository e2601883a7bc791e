// kernel-irqchip=off: the machine's own PIC, IOAPIC and local APICs stay in
// charge, and each vCPU takes its interrupts from its userspace local APIC
// as QEMU's kvm_arch_pre_run()/post_run() do: an interrupt is injected with
// KVM_INTERRUPT when KVM says the guest can take one, otherwise KVM is
// asked for an exit as soon as it can (request_interrupt_window); HLT,
// INIT and SIPI are handled here, and CR8 follows the APIC's TPR.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace mimic::hw {
struct ApicCpuPort;
}
namespace mimic::x86 {
class LocalApic;
}

namespace mimic::accel::kvm {

class KvmVcpu;

class KvmUserspaceIrq {
public:
    // `kick` makes the vCPU's thread look at its interrupts soon (any thread).
    KvmUserspaceIrq(KvmVcpu& vcpu, x86::LocalApic& apic, bool bsp, std::function<void()> kick);

    // What the APIC bus calls (BQL held, any thread).
    hw::ApicCpuPort port();

    // On the vCPU thread before KVM_RUN: INIT, SIPI, NMI and interrupt
    // injection. False when the vCPU has nothing to run (halted, waiting
    // for a SIPI): the caller waits for a kick instead.
    bool pre_run();
    // On the vCPU thread after KVM_RUN returned.
    void post_run();
    // KVM_EXIT_HLT.
    void halt() { halted_ = true; }
    // Power-on: the BSP runs, APs wait for INIT/SIPI. Called paused.
    void reset();

private:
    KvmVcpu& vcpu_;
    x86::LocalApic& apic_;
    const bool bsp_;
    std::function<void()> kick_;
    std::atomic<bool> intr_{false}, nmi_{false}, init_{false};
    std::atomic<int> sipi_{-1};
    // vCPU thread only (and reset(), with the thread parked).
    bool halted_ = false;
    bool wait_for_sipi_ = false;
};

}  // namespace mimic::accel::kvm
