// System helpers: exceptions from generated code, EFLAGS rules (POPF, CLI,
// STI), CPUID, time stamp counter, MSRs, control and debug registers,
// descriptor table registers, port I/O with the I/O permission bitmap, HLT,
// INVLPG and CMPXCHG8B.
#include <algorithm>
#include <chrono>
#include <string_view>

#include "cpu_impl.h"
#include "helper_decls.h"
#include "cpuid_cache_topology.h"
#include "fpu/xsave_layout.h"
#include "helpers.h"
#include "mimic/main_loop/clock.h"
#include "mimic/util/log.h"
#include "mimic/x86/mce.h"

namespace mimic::x86 {

// ---- exceptions ----

void helper_raise_exception(CpuState* env, uint32_t vector, uint32_t error_code) {
    raise_exception_err(env, static_cast<int>(vector), error_code, MIMIC_GETPC());
}

void helper_raise_gp_at(CpuState* env, uintptr_t retaddr) { raise_exception_err(env, kExcGP, 0, retaddr); }

// A trap-like exception: eip was synced past the instruction, and stays.
void helper_raise_trap(CpuState* env, uint32_t vector) { raise_exception_err(env, static_cast<int>(vector), 0, 0); }

void helper_raise_interrupt(CpuState* env, uint32_t vector, uint32_t next_eip_delta) {
    // eip was synced to the instruction; software interrupts return after it.
    raise_interrupt(env, static_cast<int>(vector), env->eip + next_eip_delta);
}

void helper_into(CpuState* env, uint32_t next_eip_delta) {
    if (compute_arith_flags(env) & kFlagOF) raise_interrupt(env, kExcOF, env->eip + next_eip_delta);
}

void helper_single_step(CpuState* env) {
    env->dr[6] |= kDr6Bs;
    env->exception_index = kExcDB;
    env->error_code = 0;
    env->exception_is_int = false;
    env->exception_next_eip = env->eip;
    cpu_loop_exit(env);
}

void helper_set_inhibit_irq(CpuState* env) { env->hflags |= kHfInhibitIrq; }

void helper_bound(CpuState* env, uint64_t index, uint64_t addr, uint32_t size) {
    const uintptr_t ra = MIMIC_GETPC();
    unsigned mmu = cpu_mmu_index(env);
    int64_t lo, hi, idx;
    if (size == 2) {
        lo = static_cast<int16_t>(cpu_ld(env, addr, 2, mmu, ra));
        hi = static_cast<int16_t>(cpu_ld(env, (addr + 2) & 0xffffffff, 2, mmu, ra));
        idx = static_cast<int16_t>(index);
    } else {
        lo = static_cast<int32_t>(cpu_ld(env, addr, 4, mmu, ra));
        hi = static_cast<int32_t>(cpu_ld(env, (addr + 4) & 0xffffffff, 4, mmu, ra));
        idx = static_cast<int32_t>(index);
    }
    if (idx < lo || idx > hi) raise_exception(env, kExcBR, ra);
}

// ---- flags ----

uint32_t helper_cc_compute_all(CpuState* env) { return compute_arith_flags(env); }
uint64_t helper_read_eflags(CpuState* env) { return get_eflags(env); }
void helper_write_eflags(CpuState* env, uint32_t value, uint32_t mask) { set_eflags(env, value, mask); }

uint64_t helper_pushf_value(CpuState* env) {
    // VM and RF read as zero in the pushed image.
    return get_eflags(env) & ~(kFlagVM | kFlagRF);
}

void helper_popf(CpuState* env, uint32_t value, uint32_t op32) {
    const unsigned cpl = env->cpl();
    const unsigned iopl = (env->eflags & kFlagIOPL) >> kIoplShift;
    uint32_t mask = kFlagsArith | kFlagTF | kFlagDF | kFlagNT | kFlagAC | kFlagID;
    if (!(env->cr[0] & kCr0PE) || cpl == 0) mask |= kFlagIOPL;
    if (!(env->cr[0] & kCr0PE) || cpl <= iopl || (env->eflags & kFlagVM)) mask |= kFlagIF;
    if (env->eflags & kFlagVM) mask &= ~kFlagIOPL;
    if (!op32) mask &= 0xffff;
    set_eflags(env, value, mask);
}

void helper_cli(CpuState* env) {
    const unsigned iopl = (env->eflags & kFlagIOPL) >> kIoplShift;
    bool pm = env->cr[0] & kCr0PE;
    if (pm && ((env->eflags & kFlagVM) ? iopl != 3 : env->cpl() > iopl)) raise_exception(env, kExcGP, MIMIC_GETPC());
    env->eflags &= ~kFlagIF;
}

void helper_set_ac(CpuState* env, uint32_t on) {
    if (on) env->eflags |= kFlagAC;
    else env->eflags &= ~kFlagAC;
    update_hflags(env);   // the supervisor's MMU index follows AC under SMAP
}

void helper_sti(CpuState* env) {
    const unsigned iopl = (env->eflags & kFlagIOPL) >> kIoplShift;
    bool pm = env->cr[0] & kCr0PE;
    if (pm && ((env->eflags & kFlagVM) ? iopl != 3 : env->cpl() > iopl)) raise_exception(env, kExcGP, MIMIC_GETPC());
    // Interrupts stay blocked until after the next instruction, but only
    // when STI actually opened them.
    if (!(env->eflags & kFlagIF)) env->hflags |= kHfInhibitIrq;
    env->eflags |= kFlagIF;
}

// ---- CPUID: the configured model (cpu_models.h) ----

namespace {

uint32_t str4(std::string_view s, size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4 && at + i < s.size(); ++i) v |= uint32_t(uint8_t(s[at + i])) << (8 * i);
    return v;
}

// The hypervisor leaves QEMU's TCG answers: 0x40000000 names it.
constexpr uint32_t kHypervisorLeafLimit = 0x40000001;
constexpr std::string_view kHypervisorSignature = "TCGTCGTCGTCG";

// 0x80000001 EDX bits AMD parts mirror from leaf 1 EDX.
constexpr uint32_t kAmdAliases = 0x0183f3ff;

}  // namespace

void helper_cpuid(CpuState* env) {
    const CpuModel& m = cpu_of(env).config_.model;
    const CpuFeatures& f = m.features;
    uint32_t leaf = static_cast<uint32_t>(env->regs[0]);
    const uint32_t sub = static_cast<uint32_t>(env->regs[1]);
    const CpuConfig& config = cpu_of(env).config_;
    const CpuTopology topology{config.threads_per_core, config.cores_per_die, config.dies_per_package,
                               config.apic_id};
    const bool amd = m.vendor == "AuthenticAMD";
    // With several dies QEMU raises an Intel model's highest basic leaf to
    // 0x1F, the leaf that describes them (not other vendors').
    const uint32_t level =
        m.vendor == "GenuineIntel" && topology.dies_per_package > 1 ? std::max(m.level, 0x1fu) : m.level;
    // Leaves past the limits answer like the highest basic leaf, as Intel
    // parts (and QEMU) do.
    const uint32_t limit = leaf >= 0x80000000u ? m.xlevel : leaf >= 0x40000000u ? kHypervisorLeafLimit : level;
    if (leaf > limit) leaf = level;
    uint32_t a = 0, b = 0, c = 0, d = 0;
    switch (leaf) {
    case 0:
        a = level;
        b = str4(m.vendor, 0); d = str4(m.vendor, 4); c = str4(m.vendor, 8);
        break;
    case 1: {
        CpuImpl& cpu = cpu_of(env);
        // EBX[23:16]: the package's logical processors, when there are several.
        const unsigned logical = topology.logical_per_package();
        const unsigned count = logical > 1 ? std::min(logical, 255u) : 0;
        a = m.version;
        b = (cpu.config_.apic_id << 24) | (count << 16) | (8u << 8);   // CLFLUSH line: 8 * 8 bytes
        c = f.f1_ecx;
        if ((f.f1_ecx & cpuid::kXsave) && (env->cr[4] & kCr4OSXSAVE)) c |= cpuid::kOsxsave;
        d = f.f1_edx;
        // The APIC bit follows IA32_APIC_BASE's enable, as on hardware.
        if (!cpu.apic_ || !(cpu.apic_->base() & kApicBaseEnable)) d &= ~cpuid::kApic;
        if (!cpu.apic_) c &= ~(cpuid::kTscDeadline | cpuid::kX2apic);
        if (count > 1) d |= cpuid::kHtt;
        break;
    }
    case 2:
    case 4: {
        // Intel's cache leaves; QEMU gives AMD models none.
        if (amd) break;
        const CpuidRegs r = leaf == 2 ? cpuid_cache_descriptors() : cpuid_deterministic_cache(sub, topology);
        a = r.a; b = r.b; c = r.c; d = r.d;
        break;
    }
    case 0xb:
    case 0x1f: {
        const CpuidRegs r =
            leaf == 0xb ? cpuid_extended_topology(sub, topology) : cpuid_v2_extended_topology(sub, topology);
        a = r.a; b = r.b; c = r.c; d = r.d;
        break;
    }
    case 5:
        // MONITOR/MWAIT: no line sizes; QEMU's flags (MWAIT extensions,
        // interrupts as break events).
        c = 3;
        break;
    case 6:
        a = f.p6_eax;
        break;
    case 7:
        if (sub == 0) { b = f.f7_ebx; c = f.f7_ecx; d = f.f7_edx; }
        // OSPKE mirrors CR4.PKE, as OSXSAVE mirrors CR4.OSXSAVE.
        if (sub == 0 && (c & cpuid::kPku) && (env->cr[4] & kCr4PKE)) c |= cpuid::kOspke;
        break;
    case 0xd:
        if (!f.has_xsave()) break;
        if (sub == 0) {
            a = static_cast<uint32_t>(xcr0_supported(env));
            b = xsave_area_size(env->fpu.xcr0);   // what the enabled components need
            c = xsave_area_size(a);               // what all of them would
        } else if (sub == 1) {
            a = f.xsave_d1_eax;
        } else if (sub == kXstatePkruBit && (f.f7_ecx & cpuid::kPku)) {
            a = 8;
            b = kXsavePkruOffset;
        }
        break;
    case 0x40000000:
        a = kHypervisorLeafLimit;
        b = str4(kHypervisorSignature, 0); c = str4(kHypervisorSignature, 4); d = str4(kHypervisorSignature, 8);
        break;
    case 0x80000000:
        a = m.xlevel;
        b = str4(m.vendor, 0); d = str4(m.vendor, 4); c = str4(m.vendor, 8);
        break;
    case 0x80000001:
        a = m.version;
        c = f.e1_ecx;
        d = f.e1_edx;
        if (amd) d |= f.f1_edx & kAmdAliases;
        break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
        const size_t at = (leaf - 0x80000002) * 16;
        a = str4(m.brand, at); b = str4(m.brand, at + 4); c = str4(m.brand, at + 8); d = str4(m.brand, at + 12);
        break;
    }
    case 0x80000005: {
        const CpuidRegs r = cpuid_amd_l1_cache();
        a = r.a; b = r.b; c = r.c; d = r.d;
        break;
    }
    case 0x80000006: {
        const CpuidRegs r = cpuid_amd_l2_l3_cache();
        a = r.a; b = r.b; c = r.c; d = r.d;
        break;
    }
    case 0x80000007:
        d = f.e7_edx;   // invariant TSC: tsc_now() runs at kTscHz in every state
        break;
    case 0x80000008:
        // Physical address bits; 48 virtual ones with long mode.
        a = physical_address_bits(m) | ((f.e1_edx & cpuid::kExtLm) ? 48u << 8 : 0);
        c = cpuid_amd_package_threads(topology);
        break;
    default:
        // Power management and the rest: nothing to describe.
        break;
    }
    env->regs[0] = a;
    env->regs[3] = b;
    env->regs[1] = c;
    env->regs[2] = d;
}

// ---- time stamp counter ----

namespace {

uint64_t host_ticks() { return tsc_now(); }

}  // namespace

uint64_t tsc_now() {
    int64_t ns = clock_get_ns(Clock::kVirtual);
    return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * kTscHz / kNsPerSec);
}

int64_t tsc_to_virtual_ns(uint64_t tsc) {
    // Rounded up: at the returned time the TSC has reached `tsc`.
    unsigned __int128 ns = (static_cast<unsigned __int128>(tsc) * kNsPerSec + kTscHz - 1) / kTscHz;
    return ns > static_cast<unsigned __int128>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(ns);
}

namespace {

// RDTSC and RDTSCP: the TSC into EDX:EAX, unless CR4.TSD reserves it for
// CPL 0 in protected mode.
void read_tsc(CpuState* env, uintptr_t ra) {
    if ((env->cr[4] & kCr4TSD) && env->cpl() != 0 && (env->cr[0] & kCr0PE)) raise_exception(env, kExcGP, ra);
    uint64_t t = host_ticks() + env->msr.tsc_offset;
    env->regs[0] = t & 0xffffffff;
    env->regs[2] = t >> 32;
}

}  // namespace

void helper_rdtsc(CpuState* env) { read_tsc(env, MIMIC_GETPC()); }

void set_pkru(CpuState* env, uint32_t value) {
    if (env->pkru == value) return;
    env->pkru = value;
    cpu_of(env).tlb_flush();
}

// #UD unless CR4.PKE; ECX (and for WRPKRU EDX) must be 0.
void helper_rdpkru(CpuState* env) {
    const uintptr_t ra = MIMIC_GETPC();
    if (!(env->cr[4] & kCr4PKE)) raise_exception(env, kExcUD, ra);
    if (static_cast<uint32_t>(env->regs[1]) != 0) raise_exception_err(env, kExcGP, 0, ra);
    env->regs[0] = env->pkru;
    env->regs[2] = 0;
}

void helper_wrpkru(CpuState* env) {
    const uintptr_t ra = MIMIC_GETPC();
    if (!(env->cr[4] & kCr4PKE)) raise_exception(env, kExcUD, ra);
    if (static_cast<uint32_t>(env->regs[1]) != 0 || static_cast<uint32_t>(env->regs[2]) != 0)
        raise_exception_err(env, kExcGP, 0, ra);
    set_pkru(env, static_cast<uint32_t>(env->regs[0]));
}

void helper_rdtscp(CpuState* env) {
    read_tsc(env, MIMIC_GETPC());
    env->regs[1] = static_cast<uint32_t>(env->msr.tsc_aux);
}

// ---- MSRs ----

namespace {

enum : uint32_t {
    kMsrTsc = 0x10, kMsrApicBase = 0x1b, kMsrMiscEnable = 0x1a0, kMsrTscDeadline = 0x6e0, kMsrSysenterCs = 0x174, kMsrSysenterEsp = 0x175,
    kMsrSysenterEip = 0x176, kMsrPat = 0x277, kMsrMtrrCap = 0xfe,
    kMsrMtrrDefType = 0x2ff, kMsrMtrrPhysBase0 = 0x200, kMsrMtrrFix64k = 0x250, kMsrMtrrFix16k0 = 0x258,
    kMsrMtrrFix16k1 = 0x259, kMsrMtrrFix4kFirst = 0x268, kMsrEfer = 0xc0000080, kMsrStar = 0xc0000081,
    kMsrLstar = 0xc0000082, kMsrCstar = 0xc0000083, kMsrFmask = 0xc0000084, kMsrFsBase = 0xc0000100,
    kMsrGsBase = 0xc0000101, kMsrKernelGsBase = 0xc0000102, kMsrTscAux = 0xc0000103,
    kMsrUcodeRev = 0x8b, kMsrPerfStatus = 0x198, kMsrAmdPerfCtl0 = 0xc0010000, kMsrAmdPerfCtr3 = 0xc0010007,
    kMsrAmdHwcr = 0xc0010015, kMsrAmdIntPendingMsg = 0xc0010055, kMsrAmdDeCfg = 0xc0011029, kMsrPkrs = 0x6e1,
    kMsrX2apicFirst = 0x800, kMsrX2apicLast = 0x8ff,
};

bool is_x2apic_msr(uint32_t n) { return n >= kMsrX2apicFirst && n <= kMsrX2apicLast; }

// MSRs real CPUs have that QEMU's TCG answers without modelling them: they
// read as 0 and drop writes. AMD's four legacy performance counters and
// their event selects count nothing, as under QEMU (no PMU is advertised);
// HWCR, DE_CFG and INT_PENDING_MSG are read by Linux at boot.
bool is_inert_msr(uint32_t n) {
    return (n >= kMsrAmdPerfCtl0 && n <= kMsrAmdPerfCtr3) || n == kMsrAmdHwcr || n == kMsrAmdIntPendingMsg ||
           n == kMsrAmdDeCfg;
}

// The microcode revision: QEMU's default, which is KVM's for the vendor.
uint64_t microcode_revision(CpuState* env) {
    return cpu_of(env).config_.model.vendor == "AuthenticAMD" ? 0x01000065 : 0x100000000ull;
}

// IA32_PERF_STATUS as QEMU reports it: a bus ratio of 4 and 1000 in the low bits.
constexpr uint64_t kPerfStatus = 1000 | (4ull << 40);

// Returns a pointer to the storage of an MSR, or nullptr if it does not exist.
uint64_t* msr_slot(CpuState* env, uint32_t n) {
    MsrState& m = env->msr;
    switch (n) {
    case kMsrApicBase: return &m.apic_base;
    case kMsrMiscEnable: return &m.misc_enable;
    case kMsrSysenterCs: return &m.sysenter_cs;
    case kMsrSysenterEsp: return &m.sysenter_esp;
    case kMsrSysenterEip: return &m.sysenter_eip;
    case kMsrMcgCap: return &m.mcg_cap;
    case kMsrMcgStatus: return &m.mcg_status;
    case kMsrPat: return &m.pat;
    case kMsrMtrrCap: return &m.mtrr_cap;
    case kMsrMtrrDefType: return &m.mtrr_def_type;
    case kMsrMtrrFix64k: return &m.mtrr_fixed[0];
    case kMsrMtrrFix16k0: return &m.mtrr_fixed[1];
    case kMsrMtrrFix16k1: return &m.mtrr_fixed[2];
    case kMsrStar: return &m.star;
    case kMsrLstar: return &m.lstar;
    case kMsrCstar: return &m.cstar;
    case kMsrFmask: return &m.fmask;
    case kMsrKernelGsBase: return &m.kernel_gs_base;
    case kMsrTscAux: return &m.tsc_aux;
    case kMsrFsBase: return &env->seg[kFS].base;
    case kMsrGsBase: return &env->seg[kGS].base;
    default: break;
    }
    if (n >= kMsrMtrrPhysBase0 && n < kMsrMtrrPhysBase0 + 16) return &m.mtrr_var[n - kMsrMtrrPhysBase0];
    if (n >= kMsrMtrrFix4kFirst && n < kMsrMtrrFix4kFirst + 8) return &m.mtrr_fixed[3 + n - kMsrMtrrFix4kFirst];
    return machine_check_bank_register(m, n);
}

}  // namespace

// MSRs nothing here models read as 0 and ignore writes, as on QEMU's TCG
// (guests probe MSRs of CPUs they were written for); `-d unimp` names them.
void helper_rdmsr(CpuState* env) {
    uint32_t n = static_cast<uint32_t>(env->regs[1]);
    uint64_t v = 0;
    CpuImpl& cpu = cpu_of(env);
    if (n == kMsrTsc) {
        v = host_ticks() + env->msr.tsc_offset;
    } else if (cpu.apic_ && (n == kMsrApicBase || n == kMsrTscDeadline)) {
        cpu.bql_lock();
        v = n == kMsrApicBase ? cpu.apic_->base() : cpu.apic_->tsc_deadline();
        cpu.bql_unlock();
    } else if (is_x2apic_msr(n)) {
        // Outside x2APIC mode these fault, as on hardware.
        cpu.bql_lock();
        const bool ok = cpu.apic_ && cpu.apic_->read_x2apic_msr(n, v);
        cpu.bql_unlock();
        if (!ok) raise_exception_err(env, kExcGP, 0, MIMIC_GETPC());
    } else if (n == kMsrEfer) {
        v = env->efer;
    } else if (n == kMsrMcgCtl) {
        v = env->msr.mcg_ctl;
    } else if (n == kMsrPkrs && (cpu_features(env).f7_ecx & cpuid::kPks)) {
        v = env->msr.pkrs;
    } else if (uint64_t* p = msr_slot(env, n)) {
        v = *p;
    } else if (n == kMsrUcodeRev) {
        v = microcode_revision(env);
    } else if (n == kMsrPerfStatus) {
        v = kPerfStatus;
    } else if (!is_inert_msr(n)) {
        MIMIC_LOG(log::kUnimp, "rdmsr {:#x}: unknown MSR, reads as 0\n", n);
    }
    env->regs[0] = v & 0xffffffff;
    env->regs[2] = v >> 32;
}

void helper_wrmsr(CpuState* env) {
    uint32_t n = static_cast<uint32_t>(env->regs[1]);
    uint64_t v = (env->regs[0] & 0xffffffff) | (env->regs[2] << 32);
    CpuImpl& cpu = cpu_of(env);
    if (n == kMsrTsc) {
        env->msr.tsc_offset = v - host_ticks();
    } else if (n == kMsrApicBase && (v & kApicBaseExtd) && !(cpu.apic_ && (cpu_features(env).f1_ecx & cpuid::kX2apic))) {
        raise_exception(env, kExcGP, MIMIC_GETPC());   // EXTD is reserved without x2APIC
    } else if (cpu.apic_ && (n == kMsrApicBase || n == kMsrTscDeadline)) {
        cpu.bql_lock();
        bool ok = true;
        if (n == kMsrApicBase) {
            ok = cpu.apic_->set_base(v);
        } else {
            cpu.apic_->set_tsc_deadline(v, v ? tsc_to_virtual_ns(v - env->msr.tsc_offset) : 0);
        }
        cpu.bql_unlock();
        if (!ok) raise_exception(env, kExcGP, MIMIC_GETPC());
    } else if (is_x2apic_msr(n)) {
        cpu.bql_lock();
        const bool ok = cpu.apic_ && cpu.apic_->write_x2apic_msr(n, v);
        cpu.bql_unlock();
        if (!ok) raise_exception_err(env, kExcGP, 0, MIMIC_GETPC());
    } else if (n == kMsrEfer) {
        write_efer(env, v, MIMIC_GETPC());
    } else if (n == kMsrMtrrCap || n == kMsrMcgCap) {
        raise_exception(env, kExcGP, MIMIC_GETPC());   // read-only
    } else if ((n == kMsrLstar || n == kMsrCstar || n == kMsrFsBase || n == kMsrGsBase || n == kMsrKernelGsBase) &&
               !is_canonical(v)) {
        raise_exception(env, kExcGP, MIMIC_GETPC());   // addresses must be canonical
    } else if (n == kMsrTscAux && (v >> 32)) {
        raise_exception(env, kExcGP, MIMIC_GETPC());
    } else if (n == kMsrFmask) {
        env->msr.fmask = v & 0xffffffff;
    } else if (n == kMsrPkrs && (cpu_features(env).f7_ecx & cpuid::kPks)) {
        if (v >> 32) raise_exception(env, kExcGP, MIMIC_GETPC());
        env->msr.pkrs = v;
        cpu.tlb_flush();   // the TLB's verdicts for supervisor pages follow it
    } else if (write_machine_check_register(env->msr, n, v)) {
        // MCG_CTL and the banks' registers
    } else if (uint64_t* p = msr_slot(env, n)) {
        *p = v;
    } else if (n == kMsrUcodeRev || n == kMsrPerfStatus || is_inert_msr(n)) {
        // dropped, as QEMU does
    } else {
        MIMIC_LOG(log::kUnimp, "wrmsr {:#x} <- {:#x}: unknown MSR, write ignored\n", n, v);
    }
}

// ---- control registers ----

// EFER: LMA is read-only (it follows CR0.PG while LME is set); LME may not
// change while paging is on.
void write_efer(CpuState* env, uint64_t value, uintptr_t ra) {
    // Only what the model reports can be enabled (as QEMU masks EFER).
    const CpuFeatures& f = cpu_features(env);
    const uint64_t writable = ((f.e1_edx & cpuid::kExtSyscall) ? kEferSCE : 0) |
                              ((f.e1_edx & cpuid::kExtLm) ? kEferLME : 0) | ((f.e1_edx & cpuid::kExtNx) ? kEferNXE : 0);
    if (value & ~(writable | kEferLMA)) raise_exception(env, kExcGP, ra);
    if ((env->cr[0] & kCr0PG) && ((value ^ env->efer) & kEferLME)) raise_exception(env, kExcGP, ra);
    uint64_t nv = (env->efer & kEferLMA) | (value & writable);
    if ((nv ^ env->efer) & kEferNXE) cpu_of(env).tlb_flush();
    env->efer = nv;
    update_hflags(env);
}

void write_cr0(CpuState* env, uint64_t value) {
    uint64_t old = env->cr[0];
    value = (value & 0xe005003f) | kCr0ET;
    if (((old ^ value) & (kCr0PG | kCr0PE | kCr0WP)) != 0) cpu_of(env).tlb_flush();
    // Long mode becomes active when paging is enabled with EFER.LME set,
    // and inactive when paging is disabled.
    if (!(old & kCr0PG) && (value & kCr0PG) && (env->efer & kEferLME)) env->efer |= kEferLMA;
    if ((old & kCr0PG) && !(value & kCr0PG)) env->efer &= ~kEferLMA;
    env->cr[0] = value;
    update_hflags(env);
}

void write_cr3(CpuState* env, uint64_t value) {
    // Long mode: up to 52 physical address bits; legacy modes: 32 bits.
    env->cr[3] = (env->efer & kEferLMA) ? value & 0x000fffffffffffffull : value & 0xffffffffull;
    if (env->cr[0] & kCr0PG) cpu_of(env).tlb_flush_nonglobal();
}

void write_cr4(CpuState* env, uint64_t value) {
    uint64_t old = env->cr[4];
    env->cr[4] = value;
    if ((old ^ value) & (kCr4PSE | kCr4PAE | kCr4PGE | kCr4SMEP | kCr4SMAP | kCr4PKE | kCr4PKS))
        cpu_of(env).tlb_flush();
    update_hflags(env);
}

namespace {

// CR8 is the local APIC's TPR[7:4] (64-bit mode); without an APIC a plain register.
uint64_t read_cr8(CpuState* env) {
    CpuImpl& cpu = cpu_of(env);
    if (!cpu.apic_) return env->cr[8];
    cpu.bql_lock();
    uint64_t v = cpu.apic_->tpr() >> 4;
    cpu.bql_unlock();
    return v;
}

void write_cr8(CpuState* env, uint64_t value) {
    CpuImpl& cpu = cpu_of(env);
    env->cr[8] = value;
    if (!cpu.apic_) return;
    cpu.bql_lock();
    cpu.apic_->set_tpr(static_cast<uint8_t>(value << 4));
    cpu.bql_unlock();
}

}  // namespace

uint64_t helper_read_cr(CpuState* env, uint32_t n) {
    if (n == 8) return read_cr8(env);
    return env->cr[n];
}

void helper_write_cr(CpuState* env, uint32_t n, uint64_t value) {
    const uintptr_t ra = MIMIC_GETPC();
    const bool lma = env->efer & kEferLMA;
    switch (n) {
    case 0:
        // Bits 63..32 are reserved; PG without PE, and NW without CD, are invalid.
        if (value >> 32) raise_exception(env, kExcGP, ra);
        if ((value & kCr0PG) && !(value & kCr0PE)) raise_exception(env, kExcGP, ra);
        if ((value & kCr0NW) && !(value & kCr0CD)) raise_exception(env, kExcGP, ra);
        // Activating long mode needs PAE, and a code segment that is not 64-bit.
        if ((value & kCr0PG) && !(env->cr[0] & kCr0PG) && (env->efer & kEferLME)) {
            if (!(env->cr[4] & kCr4PAE) || (env->seg[kCS].flags & kDescL)) raise_exception(env, kExcGP, ra);
        }
        // Leaving long mode by clearing PG is only allowed from compatibility mode.
        if (lma && !(value & kCr0PG) && (env->hflags & kHfCs64)) raise_exception(env, kExcGP, ra);
        write_cr0(env, value);
        break;
    case 2: env->cr[2] = lma ? value : value & 0xffffffffull; break;
    case 3:
        if (lma && (value >> 52)) raise_exception(env, kExcGP, ra);
        write_cr3(env, lma ? value : value & 0xffffffffull);
        break;
    case 4: {
        const CpuFeatures& f = cpu_features(env);
        uint64_t supported = kCr4TSD | kCr4DE | kCr4PSE | kCr4PAE | kCr4PGE | kCr4PCE | kCr4MCE;
        if (f.has_fxsr()) supported |= kCr4OSFXSR | kCr4OSXMMEXCPT;
        if (f.has_xsave()) supported |= kCr4OSXSAVE;
        if (f.f7_ebx & cpuid::kFsgsbase) supported |= kCr4FSGSBASE;
        if (f.f7_ebx & cpuid::kSmep) supported |= kCr4SMEP;
        if (f.f7_ebx & cpuid::kSmap) supported |= kCr4SMAP;
        if (f.f7_ecx & cpuid::kUmip) supported |= kCr4UMIP;
        if (f.f7_ecx & cpuid::kPku) supported |= kCr4PKE;
        if (f.f7_ecx & cpuid::kPks) supported |= kCr4PKS;
        if (value & ~supported) raise_exception(env, kExcGP, ra);
        if (lma && !(value & kCr4PAE)) raise_exception(env, kExcGP, ra);   // PAE stays on in long mode
        write_cr4(env, value);
        break;
    }
    case 8:
        if (value >> 4) raise_exception(env, kExcGP, ra);
        write_cr8(env, value);
        break;
    default: raise_exception(env, kExcUD, ra);
    }
}

namespace {

// DR7.GD (general detect): any MOV DR faults with #DB and DR6.BD, and the
// CPU clears GD so that the handler can use the registers.
void check_general_detect(CpuState* env, uintptr_t ra) {
    if (!(env->dr[7] & kDr7Gd)) return;
    env->dr[7] &= ~kDr7Gd;
    env->dr[6] |= kDr6Bd;
    raise_exception(env, kExcDB, ra);
}

}  // namespace

uint64_t helper_read_dr(CpuState* env, uint32_t n) {
    if ((n == 4 || n == 5) && (env->cr[4] & kCr4DE)) raise_exception(env, kExcUD, MIMIC_GETPC());
    check_general_detect(env, MIMIC_GETPC());
    if (n == 4) n = 6;
    if (n == 5) n = 7;
    return env->dr[n];
}

void helper_write_dr(CpuState* env, uint32_t n, uint64_t value) {
    if ((n == 4 || n == 5) && (env->cr[4] & kCr4DE)) raise_exception(env, kExcUD, MIMIC_GETPC());
    check_general_detect(env, MIMIC_GETPC());
    if (n == 4) n = 6;
    if (n == 5) n = 7;
    const BreakpointConfig insn_before = breakpoint_config(env, false), data_before = breakpoint_config(env, true);
    // DR6 and DR7 read their reserved bits as ones (0xffff0ff0, bit 10), as
    // the SDM defines them and QEMU keeps them.
    value &= 0xffffffffull;
    if (n == 6) value |= kDr6Fixed;
    if (n == 7) value |= kDr7Fixed;
    env->dr[n] = value;
    // Instruction breakpoints are compiled into blocks; watched pages stay
    // out of the TLB. (Linux rewrites DR7 at every boot stage: flushing
    // each time cost a retranslation of everything.)
    if (breakpoint_config(env, false) != insn_before) cpu_of(env).flush_requested_ = true;
    if (breakpoint_config(env, true) != data_before) cpu_of(env).tlb_flush();
}

void helper_insn_breakpoint(CpuState* env, uint32_t hits) {
    // A fault: EIP stays at the instruction; DR6 reports which ones matched.
    env->dr[6] = (env->dr[6] & ~0xfull) | hits;
    env->exception_index = kExcDB;
    env->error_code = 0;
    env->exception_is_int = false;
    env->exception_next_eip = env->eip;
    cpu_loop_exit(env);
}

void helper_clear_rf(CpuState* env) {
    env->eflags &= ~kFlagRF;
    env->hflags &= ~kHfRf;
}

void helper_lmsw(CpuState* env, uint32_t value) {
    // LMSW sets PE but never clears it; only the low four bits count.
    uint64_t cr0 = (env->cr[0] & ~0xeull) | (value & 0xf) | (env->cr[0] & kCr0PE);
    write_cr0(env, cr0);
}

void helper_clts(CpuState* env) {
    env->cr[0] &= ~kCr0TS;
    update_hflags(env);
}

void helper_invlpg(CpuState* env, uint64_t linear) { cpu_of(env).tlb_flush_page(linear); }

// which: bit 0 IDT (else GDT), bit 1 32-bit operand size, bit 2 64-bit mode
// (an 8-byte base whatever the operand size).
void helper_lgdt_lidt(CpuState* env, uint64_t linear, uint32_t which) {
    const uintptr_t ra = MIMIC_GETPC();
    unsigned mmu = cpu_mmu_index(env);
    const bool mode64 = which & 4;
    const uint64_t wrap = mode64 ? ~0ull : 0xffffffffull;
    uint32_t limit = static_cast<uint32_t>(cpu_ld(env, linear, 2, mmu, ra));
    uint64_t base = cpu_ld(env, (linear + 2) & wrap, mode64 ? 8 : 4, mmu, ra);
    if (mode64 && !is_canonical(base)) raise_exception(env, kExcGP, ra);
    if (!mode64 && !(which & 2)) base &= 0xffffff;   // 16-bit operand size: 24-bit base
    TableRegister& t = (which & 1) ? env->idtr : env->gdtr;
    t.base = base;
    t.limit = limit;
}

void helper_sgdt_sidt(CpuState* env, uint64_t linear, uint32_t which) {
    const uintptr_t ra = MIMIC_GETPC();
    unsigned mmu = cpu_mmu_index(env);
    const bool mode64 = which & 4;
    const TableRegister& t = (which & 1) ? env->idtr : env->gdtr;
    cpu_st(env, linear, t.limit, 2, mmu, ra);
    if (mode64) cpu_st(env, linear + 2, t.base, 8, mmu, ra);
    else cpu_st(env, (linear + 2) & 0xffffffff, t.base & 0xffffffff, 4, mmu, ra);
}

void helper_check_cpl0(CpuState* env) {
    if (env->cpl() != 0) raise_exception(env, kExcGP, MIMIC_GETPC());
}

// ---- port I/O ----

void helper_check_io(CpuState* env, uint32_t port, uint32_t size) {
    const uintptr_t ra = MIMIC_GETPC();
    // A 32-bit TSS's I/O bitmap: every bit of the accessed ports must be 0.
    unsigned type = (env->tr.flags >> kDescTypeShift) & 0xf;
    if (!(env->tr.flags & kDescP) || (type & 8) == 0 || env->tr.limit < 103) raise_exception(env, kExcGP, ra);
    uint32_t io_base = static_cast<uint32_t>(sys_ld(env, env->tr.base + 0x66, 2, ra));
    uint32_t off = io_base + (port >> 3);
    if (off + 1 > env->tr.limit) raise_exception(env, kExcGP, ra);
    uint32_t bits = static_cast<uint32_t>(sys_ld(env, env->tr.base + off, 2, ra));
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask) raise_exception(env, kExcGP, ra);
}

uint64_t helper_in(CpuState* env, uint32_t port, uint32_t size) {
    CpuImpl& cpu = cpu_of(env);
    cpu.bql_lock();
    uint64_t v = cpu.io_.load(port & 0xffff, size);
    cpu.bql_unlock();
    return v;
}

void helper_out(CpuState* env, uint32_t port, uint32_t size, uint64_t value) {
    CpuImpl& cpu = cpu_of(env);
    cpu.bql_lock();
    cpu.io_.store(port & 0xffff, value, size);
    cpu.bql_unlock();
}

// ---- HLT ----

void helper_hlt(CpuState* env, uint64_t next_eip) {
    env->eip = next_eip;
    env->halted = true;
    env->single_step_after_halt = env->eflags & kFlagTF;
    env->hflags &= ~kHfInhibitIrq;
    env->exception_index = kExcpHalted;   // tells cpu_exec to stop (EXCP_HLT)
    cpu_loop_exit(env);
}

void helper_pause(CpuState* env, uint64_t next_eip) {
    if (cpu_of(env).shared_->cpus.size() < 2) return;
    env->eip = next_eip;
    env->exception_index = kExcpYield;
    cpu_loop_exit(env);
}

// ---- CMPXCHG8B ----

void helper_cmpxchg8b(CpuState* env, uint64_t linear) {
    const uintptr_t ra = MIMIC_GETPC();
    unsigned mmu = cpu_mmu_index(env);
    uint64_t old = cpu_ld(env, linear, 8, mmu, ra);
    uint64_t expect = (env->regs[0] & 0xffffffff) | ((env->regs[2] & 0xffffffff) << 32);
    uint32_t f = compute_arith_flags(env);
    if (old == expect) {
        uint64_t nv = (env->regs[3] & 0xffffffff) | ((env->regs[1] & 0xffffffff) << 32);
        cpu_st(env, linear, nv, 8, mmu, ra);
        f |= kFlagZF;
    } else {
        cpu_st(env, linear, old, 8, mmu, ra);   // the processor always writes
        env->regs[0] = old & 0xffffffff;
        env->regs[2] = old >> 32;
        f &= ~kFlagZF;
    }
    env->cc_src = f;
    env->cc_op = kCcOpEflags;
}

// CMPXCHG16B: RDX:RAX against m128, RCX:RBX stored on success; the operand
// must be 16-byte aligned (#GP(0) otherwise).
void helper_cmpxchg16b(CpuState* env, uint64_t linear) {
    const uintptr_t ra = MIMIC_GETPC();
    if (linear & 15) raise_exception(env, kExcGP, ra);
    unsigned mmu = cpu_mmu_index(env);
    uint64_t lo = cpu_ld(env, linear, 8, mmu, ra), hi = cpu_ld(env, linear + 8, 8, mmu, ra);
    uint32_t f = compute_arith_flags(env);
    if (lo == env->regs[0] && hi == env->regs[2]) {
        cpu_st(env, linear, env->regs[3], 8, mmu, ra);
        cpu_st(env, linear + 8, env->regs[1], 8, mmu, ra);
        f |= kFlagZF;
    } else {
        cpu_st(env, linear, lo, 8, mmu, ra);   // written back, as the processor does
        cpu_st(env, linear + 8, hi, 8, mmu, ra);
        env->regs[0] = lo;
        env->regs[2] = hi;
        f &= ~kFlagZF;
    }
    env->cc_src = f;
    env->cc_op = kCcOpEflags;
}

}  // namespace mimic::x86
