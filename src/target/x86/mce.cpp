// Machine-check banks and error injection (see include/mimic/x86/mce.h).
#include "mimic/x86/mce.h"

#include <fmt/format.h>

namespace mimic::x86 {

namespace {

unsigned bank_count(const MsrState& msr) { return static_cast<unsigned>(msr.mcg_cap & 0xff); }

// Base family and model as QEMU reads them for the broadcast decision.
unsigned base_family(uint32_t version) { return (version >> 8) & 0xf; }

}  // namespace

void reset_machine_check(MsrState& msr, const CpuModel& model) {
    msr.mcg_cap = 0;
    msr.mcg_status = 0;
    msr.mcg_ctl = 0;
    for (uint64_t& r : msr.mce_banks) r = 0;
    const uint32_t both = cpuid::kMce | cpuid::kMca;
    if ((model.features.f1_edx & both) != both || base_family(model.version) < 6) return;
    msr.mcg_cap = kMcgCtlP | kMcgSerP | kMceBankCount;
    msr.mcg_ctl = ~0ull;
    for (unsigned bank = 0; bank < kMceBankCount; ++bank) msr.mce_banks[4 * bank] = ~0ull;
}

uint64_t* machine_check_bank_register(MsrState& msr, uint32_t index) {
    if (index < kMsrMc0Ctl || index >= kMsrMc0Ctl + 4 * bank_count(msr)) return nullptr;
    return &msr.mce_banks[index - kMsrMc0Ctl];
}

bool write_machine_check_register(MsrState& msr, uint32_t index, uint64_t value) {
    const bool all_or_nothing = value == 0 || value == ~0ull;
    if (index == kMsrMcgCtl) {
        if ((msr.mcg_cap & kMcgCtlP) && all_or_nothing) msr.mcg_ctl = value;
        return true;
    }
    uint64_t* reg = machine_check_bank_register(msr, index);
    if (!reg) return false;
    const bool is_ctl = ((index - kMsrMc0Ctl) & 3) == 0;
    if (!is_ctl || all_or_nothing) *reg = value;
    return true;
}

std::string check_mce_injection(const MsrState& msr, const MceInjection& injection) {
    if (!msr.mcg_cap) return "MCE injection not supported";
    if (injection.bank >= bank_count(msr)) return "Invalid MCE bank number";
    if (!(injection.status & kMciStatusVal)) return "Invalid MCE status code";
    return {};
}

MceOutcome inject_mce(CpuState& state, const MceInjection& injection, int cpu_index) {
    MsrState& msr = state.msr;
    uint64_t* bank = &msr.mce_banks[4 * injection.bank];
    uint64_t status = injection.status;
    MceOutcome out;
    if (status & kMciStatusUc) {
        // Uncorrected errors are reported only while MCG_CTL and the bank's
        // CTL enable them all.
        if ((msr.mcg_cap & kMcgCtlP) && msr.mcg_ctl != ~0ull) {
            out.message = fmt::format("CPU {}: Uncorrected error reporting disabled\n", cpu_index);
            return out;
        }
        if (bank[0] != ~0ull) {
            out.message = fmt::format("CPU {}: Uncorrected error reporting disabled for bank {}\n", cpu_index,
                                      injection.bank);
            return out;
        }
        // A second #MC while one is in progress, or one the guest has not
        // enabled (CR4.MCE), shuts the processor down.
        if (msr.mcg_status & kMcgStatusMcip) {
            out.message = fmt::format("CPU {}: Previous MCE still in progress, raising triple fault", cpu_index);
            out.action = MceAction::kReset;
            return out;
        }
        if (!(state.cr[4] & kCr4MCE)) {
            out.message = fmt::format("CPU {}: MCE capability is not enabled, raising triple fault", cpu_index);
            out.action = MceAction::kReset;
            return out;
        }
        if (bank[1] & kMciStatusVal) status |= kMciStatusOver;
        bank[2] = injection.addr;
        bank[3] = injection.misc;
        msr.mcg_status = injection.mcg_status;
        bank[1] = status;
        out.action = MceAction::kRaise;
    } else if (!(bank[1] & kMciStatusVal) || !(bank[1] & kMciStatusUc)) {
        // A corrected error is only logged; it never replaces an uncorrected one.
        if (bank[1] & kMciStatusVal) status |= kMciStatusOver;
        bank[2] = injection.addr;
        bank[3] = injection.misc;
        bank[1] = status;
    } else {
        bank[1] |= kMciStatusOver;
    }
    return out;
}

bool supports_mce_broadcast(uint32_t cpuid_version) {
    const unsigned family = base_family(cpuid_version);
    const unsigned model = ((cpuid_version >> 12) & 0xf0) | ((cpuid_version >> 4) & 0xf);
    return (family == 6 && model >= 14) || family > 6;
}

}  // namespace mimic::x86
