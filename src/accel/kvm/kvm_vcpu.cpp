#include "kvm_vcpu.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kvm_abi.h"
#include "kvm_vm.h"
#include "mimic/util/error.h"

namespace mimic::accel::kvm {
namespace {

// The MSRs a reset puts back, where KVM has them: SYSENTER, the long-mode
// syscall MSRs, PAT, MTRRs, MISC_ENABLE, TSC_AUX, the TSC deadline and
// KVM's paravirtual ones (kvmclock, async PF, steal time, PV EOI).
std::vector<uint32_t> reset_msr_candidates() {
    std::vector<uint32_t> list = {0x174, 0x175, 0x176, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
                                  0xc0000102, 0xc0000103, 0x277, 0x2ff, 0x1a0, 0x6e0, 0x250, 0x258, 0x259,
                                  0x11, 0x12, 0x4b564d00, 0x4b564d01, 0x4b564d02, 0x4b564d03, 0x4b564d04};
    for (uint32_t msr = 0x268; msr <= 0x26f; ++msr) list.push_back(msr);
    for (uint32_t msr = 0x200; msr <= 0x20f; ++msr) list.push_back(msr);
    return list;
}
constexpr uint32_t kMsrTsc = 0x10;

void check(int result, const char* what) {
    if (result < 0) throw Error("KVM: {} failed: {}", what, errno_string(errno));
}

x86::SegmentCache segment_from(const kvm_segment& s) {
    x86::SegmentCache out;
    out.selector = s.selector;
    out.base = s.base;
    out.limit = s.limit;
    out.flags = (uint32_t(s.type) << x86::kDescTypeShift) | (s.s ? x86::kDescS : 0) |
                (uint32_t(s.dpl) << x86::kDescDplShift) | (s.present ? x86::kDescP : 0) |
                (s.avl ? (1u << 20) : 0) | (s.l ? x86::kDescL : 0) | (s.db ? x86::kDescB : 0) |
                (s.g ? x86::kDescG : 0);
    return out;
}

}  // namespace

struct KvmVcpu::ResetState {
    kvm_regs regs{};
    kvm_sregs sregs{};
    kvm_fpu fpu{};
    std::unique_ptr<uint8_t[]> xsave;   // KVM_GET_XSAVE's area when KVM has XSAVE
    size_t xsave_size = 0;
    kvm_xcrs xcrs{};
    bool has_xcrs = false;
    kvm_lapic_state lapic{};
    bool has_lapic = false;
    kvm_mp_state mp_state{};
    kvm_vcpu_events events{};
    bool has_events = false;
    kvm_debugregs debugregs{};
    bool has_debugregs = false;
    std::vector<kvm_msr_entry> msrs;
};

KvmVcpu::KvmVcpu(const KvmVm& vm, uint32_t apic_id) : vm_(vm), apic_id_(apic_id) {
    fd_ = vm.vm_ioctl(KVM_CREATE_VCPU, static_cast<unsigned long>(apic_id));
    if (fd_ < 0) throw Error("kvm_init_vcpu: kvm_get_vcpu failed ({}): {}", apic_id, errno_string(-fd_));
    run_size_ = vm.vcpu_mmap_size();
    void* area = ::mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (area == MAP_FAILED) {
        int error = errno;
        ::close(fd_);
        throw Error("kvm_init_vcpu: mmap'ing vcpu state failed: {}", errno_string(error));
    }
    run_ = static_cast<kvm_run*>(area);
}

KvmVcpu::~KvmVcpu() {
    if (run_) ::munmap(run_, run_size_);
    if (fd_ >= 0) ::close(fd_);
}

void KvmVcpu::set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) {
    abi::CpuidArray cpuid(entries.size());
    std::copy(entries.begin(), entries.end(), cpuid.entries());
    check(::ioctl(fd_, abi::kSetCpuid2, cpuid.data()), "KVM_SET_CPUID2");
}

void KvmVcpu::get_msrs(std::vector<uint32_t> indices, std::vector<kvm_msr_entry>& out) const {
    abi::MsrArray msrs(indices.size());
    for (size_t i = 0; i < indices.size(); ++i) msrs.entries()[i].index = indices[i];
    int got = ::ioctl(fd_, abi::kGetMsrs, msrs.data());
    check(got, "KVM_GET_MSRS");
    out.assign(msrs.entries(), msrs.entries() + got);
}

void KvmVcpu::save_reset_state(uint32_t version, bool bsp, bool apic_in_kernel) {
    auto saved = std::make_unique<ResetState>();
    check(::ioctl(fd_, KVM_GET_REGS, &saved->regs), "KVM_GET_REGS");
    saved->regs.rdx = version;
    check(::ioctl(fd_, KVM_GET_SREGS, &saved->sregs), "KVM_GET_SREGS");
    saved->sregs.apic_base = 0xfee00000 | (1u << 11) | (bsp ? (1u << 8) : 0);
    check(::ioctl(fd_, KVM_GET_FPU, &saved->fpu), "KVM_GET_FPU");
    // The SDM's power-on MXCSR (all exceptions masked); KVM starts from 0.
    constexpr uint32_t kResetMxcsr = 0x1f80;
    constexpr size_t kXsaveMxcsrOffset = 24;   // in the legacy FXSAVE region
    saved->fpu.mxcsr = kResetMxcsr;
    if (vm_.check_extension(KVM_CAP_XSAVE)) {
        int size = vm_.check_extension(KVM_CAP_XSAVE2);
        saved->xsave_size = std::max<size_t>(abi::kXsaveSize, size > 0 ? static_cast<size_t>(size) : 0);
        saved->xsave = std::make_unique<uint8_t[]>(saved->xsave_size);
        check(::ioctl(fd_, saved->xsave_size > abi::kXsaveSize ? abi::kGetXsave2 : abi::kGetXsave,
                      saved->xsave.get()),
              "KVM_GET_XSAVE");
        std::memcpy(saved->xsave.get() + kXsaveMxcsrOffset, &kResetMxcsr, sizeof(kResetMxcsr));
        // KVM takes MXCSR from the area only with the SSE component present.
        constexpr size_t kXstateBvOffset = 512;
        saved->xsave[kXstateBvOffset] |= 2;
    }
    if (vm_.check_extension(KVM_CAP_XCRS)) {
        check(::ioctl(fd_, KVM_GET_XCRS, &saved->xcrs), "KVM_GET_XCRS");
        saved->has_xcrs = true;
    }
    if (apic_in_kernel) {
        check(::ioctl(fd_, KVM_GET_LAPIC, &saved->lapic), "KVM_GET_LAPIC");
        saved->has_lapic = true;
    }
    // Without the in-kernel APIC userspace parks APs itself; KVM sees them runnable.
    saved->mp_state.mp_state = bsp || !apic_in_kernel ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED;
    if (vm_.check_extension(KVM_CAP_VCPU_EVENTS)) {
        check(::ioctl(fd_, KVM_GET_VCPU_EVENTS, &saved->events), "KVM_GET_VCPU_EVENTS");
        saved->has_events = true;
    }
    if (vm_.check_extension(KVM_CAP_DEBUGREGS)) {
        check(::ioctl(fd_, KVM_GET_DEBUGREGS, &saved->debugregs), "KVM_GET_DEBUGREGS");
        saved->has_debugregs = true;
    }
    // The MSRs this KVM knows, and the TSC, which restarts at 0.
    std::vector<uint32_t> known;
    {
        abi::MsrIndexArray probe(0);
        ::ioctl(vm_.system_fd(), abi::kGetMsrIndexList, probe.data());   // E2BIG: tells the count
        abi::MsrIndexArray list(probe.count());
        check(::ioctl(vm_.system_fd(), abi::kGetMsrIndexList, list.data()), "KVM_GET_MSR_INDEX_LIST");
        for (uint32_t candidate : reset_msr_candidates()) {
            for (uint32_t i = 0; i < list.count(); ++i) {
                if (list.entries()[i] == candidate) known.push_back(candidate);
            }
        }
    }
    get_msrs(known, saved->msrs);
    saved->msrs.push_back(kvm_msr_entry{.index = kMsrTsc, .reserved = 0, .data = 0});
    reset_state_ = std::move(saved);
    reset();
}

void KvmVcpu::reset() {
    ResetState& saved = *reset_state_;
    check(::ioctl(fd_, KVM_SET_SREGS, &saved.sregs), "KVM_SET_SREGS");
    check(::ioctl(fd_, KVM_SET_REGS, &saved.regs), "KVM_SET_REGS");
    if (saved.xsave) {
        check(::ioctl(fd_, abi::kSetXsave, saved.xsave.get()), "KVM_SET_XSAVE");
    } else {
        check(::ioctl(fd_, KVM_SET_FPU, &saved.fpu), "KVM_SET_FPU");
    }
    if (saved.has_xcrs) check(::ioctl(fd_, KVM_SET_XCRS, &saved.xcrs), "KVM_SET_XCRS");
    abi::MsrArray msrs(saved.msrs.size());
    std::copy(saved.msrs.begin(), saved.msrs.end(), msrs.entries());
    int set = ::ioctl(fd_, abi::kSetMsrs, msrs.data());
    check(set, "KVM_SET_MSRS");
    if (static_cast<size_t>(set) != saved.msrs.size())
        throw Error("KVM: KVM_SET_MSRS refused MSR {:#x}", saved.msrs[static_cast<size_t>(set)].index);
    if (saved.has_lapic) check(::ioctl(fd_, KVM_SET_LAPIC, &saved.lapic), "KVM_SET_LAPIC");
    check(::ioctl(fd_, KVM_SET_MP_STATE, &saved.mp_state), "KVM_SET_MP_STATE");
    if (saved.has_events) check(::ioctl(fd_, KVM_SET_VCPU_EVENTS, &saved.events), "KVM_SET_VCPU_EVENTS");
    if (saved.has_debugregs) check(::ioctl(fd_, KVM_SET_DEBUGREGS, &saved.debugregs), "KVM_SET_DEBUGREGS");
}

void KvmVcpu::start_at_sipi(uint8_t vector) {
    kvm_sregs sregs{};
    kvm_regs regs{};
    check(::ioctl(fd_, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
    check(::ioctl(fd_, KVM_GET_REGS, &regs), "KVM_GET_REGS");
    sregs.cs.selector = static_cast<uint16_t>(vector << 8);
    sregs.cs.base = static_cast<uint64_t>(vector) << 12;
    regs.rip = 0;
    check(::ioctl(fd_, KVM_SET_SREGS, &sregs), "KVM_SET_SREGS");
    check(::ioctl(fd_, KVM_SET_REGS, &regs), "KVM_SET_REGS");
}

const x86::CpuState& KvmVcpu::synchronize() {
    kvm_regs regs{};
    kvm_sregs sregs{};
    kvm_fpu fpu{};
    check(::ioctl(fd_, KVM_GET_REGS, &regs), "KVM_GET_REGS");
    check(::ioctl(fd_, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
    check(::ioctl(fd_, KVM_GET_FPU, &fpu), "KVM_GET_FPU");
    x86::CpuState& s = state_;
    const uint64_t gprs[16] = {regs.rax, regs.rcx, regs.rdx, regs.rbx, regs.rsp, regs.rbp, regs.rsi, regs.rdi,
                               regs.r8,  regs.r9,  regs.r10, regs.r11, regs.r12, regs.r13, regs.r14, regs.r15};
    std::copy(std::begin(gprs), std::end(gprs), s.regs);
    s.eip = regs.rip;
    s.eflags = static_cast<uint32_t>(regs.rflags);
    s.cc_op = x86::kCcOpEflags;
    s.cc_src = regs.rflags & x86::kFlagsArith;
    s.df = (regs.rflags & x86::kFlagDF) ? static_cast<uint32_t>(-1) : 1;
    const kvm_segment* segs[6] = {&sregs.es, &sregs.cs, &sregs.ss, &sregs.ds, &sregs.fs, &sregs.gs};
    for (int i = 0; i < 6; ++i) s.seg[i] = segment_from(*segs[i]);
    s.ldtr = segment_from(sregs.ldt);
    s.tr = segment_from(sregs.tr);
    s.gdtr = {sregs.gdt.base, sregs.gdt.limit};
    s.idtr = {sregs.idt.base, sregs.idt.limit};
    s.cr[0] = sregs.cr0;
    s.cr[2] = sregs.cr2;
    s.cr[3] = sregs.cr3;
    s.cr[4] = sregs.cr4;
    s.cr[8] = sregs.cr8;
    s.efer = sregs.efer;
    s.msr.apic_base = sregs.apic_base;
    kvm_debugregs debug{};
    if (vm_.check_extension(KVM_CAP_DEBUGREGS) && ::ioctl(fd_, KVM_GET_DEBUGREGS, &debug) == 0) {
        for (int i = 0; i < 4; ++i) s.dr[i] = debug.db[i];
        s.dr[6] = debug.dr6;
        s.dr[7] = debug.dr7;
    }
    kvm_mp_state mp{};
    s.halted = ::ioctl(fd_, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_HALTED;
    // The mode bits readers look at (CPL, operand sizes, paging, long mode).
    uint32_t hflags = s.seg[x86::kCS].dpl();
    if (sregs.cr0 & x86::kCr0PE) hflags |= x86::kHfPe;
    if (sregs.cr0 & x86::kCr0PG) hflags |= x86::kHfPg;
    if (regs.rflags & x86::kFlagVM) hflags |= x86::kHfVm;
    if (sregs.efer & x86::kEferLMA) hflags |= x86::kHfLma;
    if ((sregs.efer & x86::kEferLMA) && sregs.cs.l) {
        hflags |= x86::kHfCs64 | x86::kHfCs32 | x86::kHfSs32;
    } else {
        if (sregs.cs.db) hflags |= x86::kHfCs32;
        if (sregs.ss.db) hflags |= x86::kHfSs32;
    }
    if (!(sregs.cr0 & x86::kCr0PE) || (regs.rflags & x86::kFlagVM)) hflags = (hflags & ~x86::kHfCplMask) | ((regs.rflags & x86::kFlagVM) ? 3 : 0);
    s.hflags = hflags;
    s.a20_mask = ~0ull;
    if (reset_state_ && reset_state_->xsave) {
        // As QEMU: from the XSAVE area, KVM's complete copy (KVM_GET_FPU
        // may leave MXCSR out); its first 512 bytes are FXSAVE's layout.
        std::vector<uint8_t> area(reset_state_->xsave_size);
        check(::ioctl(fd_, reset_state_->xsave_size > abi::kXsaveSize ? abi::kGetXsave2 : abi::kGetXsave, area.data()),
              "KVM_GET_XSAVE");
        auto field = [&](size_t offset, auto& out) { std::memcpy(&out, area.data() + offset, sizeof(out)); };
        field(0, s.fpu.fcw);
        field(2, s.fpu.fsw);
        uint8_t abridged_tags = 0;
        field(4, abridged_tags);
        s.fpu.ftw = abridged_tags;
        field(6, s.fpu.fop);
        field(8, s.fpu.fip);
        field(16, s.fpu.fdp);
        field(24, s.fpu.mxcsr);
        // Stack order there (ST(i)); physical registers here.
        for (unsigned i = 0; i < 8; ++i) std::memcpy(s.fpu.st_reg(i), area.data() + 32 + 16 * i, 16);
        std::memcpy(s.fpu.xmm, area.data() + 160, sizeof(s.fpu.xmm));
    } else {
        s.fpu.fcw = fpu.fcw;
        s.fpu.fsw = fpu.fsw;
        for (unsigned i = 0; i < 8; ++i) std::memcpy(s.fpu.st_reg(i), fpu.fpr[i], 16);   // ST(i) -> physical
        s.fpu.ftw = fpu.ftwx;
        s.fpu.fop = fpu.last_opcode;
        s.fpu.fip = fpu.last_ip;
        s.fpu.fdp = fpu.last_dp;
        s.fpu.mxcsr = fpu.mxcsr;
        std::memcpy(s.fpu.xmm, fpu.xmm, sizeof(s.fpu.xmm));
    }
    kvm_xcrs xcrs{};
    if (vm_.check_extension(KVM_CAP_XCRS) && ::ioctl(fd_, KVM_GET_XCRS, &xcrs) == 0) {
        for (uint32_t i = 0; i < xcrs.nr_xcrs; ++i) {
            if (xcrs.xcrs[i].xcr == 0) s.fpu.xcr0 = xcrs.xcrs[i].value;
        }
    }
    return s;
}

int KvmVcpu::run() {
    int r = ::ioctl(fd_, KVM_RUN, 0);
    return r < 0 ? -errno : r;
}

}  // namespace mimic::accel::kvm
