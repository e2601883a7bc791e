#include "kvm_userspace_irq.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "kvm_vcpu.h"
#include "mimic/hw/apic.h"
#include "mimic/main_loop/bql.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::accel::kvm {

KvmUserspaceIrq::KvmUserspaceIrq(KvmVcpu& vcpu, x86::LocalApic& apic, bool bsp, std::function<void()> kick)
    : vcpu_(vcpu), apic_(apic), bsp_(bsp), kick_(std::move(kick)) {
    reset();
}

hw::ApicCpuPort KvmUserspaceIrq::port() {
    hw::ApicCpuPort port;
    port.intr = [this](bool level) {
        intr_ = level;
        if (level) kick_();
    };
    port.nmi = [this] {
        nmi_ = true;
        kick_();
    };
    port.init = [this] {
        init_ = true;
        kick_();
    };
    port.sipi = [this](uint8_t vector) {
        sipi_ = vector;
        kick_();
    };
    return port;
}

void KvmUserspaceIrq::reset() {
    intr_ = nmi_ = init_ = false;
    sipi_ = -1;
    halted_ = false;
    wait_for_sipi_ = !bsp_;
}

bool KvmUserspaceIrq::pre_run() {
    if (init_.exchange(false)) {
        // INIT: the power-on register state; an AP then waits for its SIPI.
        vcpu_.reset();
        halted_ = false;
        wait_for_sipi_ = !bsp_;
    }
    int sipi = sipi_.exchange(-1);
    if (wait_for_sipi_) {
        if (sipi < 0) return false;
        vcpu_.start_at_sipi(static_cast<uint8_t>(sipi));
        wait_for_sipi_ = false;
    }
    kvm_run& run = vcpu_.run_area();
    if (nmi_.exchange(false)) {
        if (::ioctl(vcpu_.fd(), KVM_NMI) < 0)
            MIMIC_LOG(log::kGuestErrors, "KVM_NMI failed: {}", errno_string(errno));
        halted_ = false;
    }
    if (halted_) {
        // HLT ends with an interrupt the guest takes (IF set) or an NMI.
        if (!(intr_ && run.if_flag)) return false;
        halted_ = false;
    }
    BqlGuard locked;
    if (intr_ && run.ready_for_interrupt_injection && run.if_flag && apic_.has_interrupt()) {
        kvm_interrupt interrupt{};
        interrupt.irq = apic_.acknowledge();
        if (::ioctl(vcpu_.fd(), KVM_INTERRUPT, &interrupt) < 0)
            MIMIC_LOG(log::kGuestErrors, "KVM_INTERRUPT failed: {}", errno_string(errno));
    }
    run.request_interrupt_window = intr_ ? 1 : 0;
    run.cr8 = apic_.tpr() >> 4;
    return true;
}

void KvmUserspaceIrq::post_run() {
    BqlGuard locked;
    apic_.set_tpr(static_cast<uint8_t>(vcpu_.run_area().cr8 << 4));
}

}  // namespace mimic::accel::kvm
