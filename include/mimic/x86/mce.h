// Machine-check architecture: the MCG_* registers and error-reporting banks
// of a vCPU, and the injection of an error as the monitor's `mce` command
// does it on QEMU (the bank is filled in, and an uncorrected error raises
// #MC, or resets the machine when the guest cannot take one).
//
//   MceInjection e{.bank = 1, .status = kMciStatusVal | kMciStatusUc, ...};
//   MceOutcome r = inject_mce(cpu.state(), e);
//   if (r.action == MceAction::kRaise) cpu.raise_machine_check();
#pragma once

#include <cstdint>
#include <string>

#include "mimic/x86/cpu_models.h"
#include "mimic/x86/cpu_state.h"

namespace mimic::x86 {

// MCG_CAP bits.
inline constexpr uint64_t kMcgCtlP = 1ull << 8;    // MCG_CTL is present
inline constexpr uint64_t kMcgSerP = 1ull << 24;   // software error recovery status bits
// MCG_STATUS bits.
inline constexpr uint64_t kMcgStatusRipv = 1ull << 0, kMcgStatusEipv = 1ull << 1, kMcgStatusMcip = 1ull << 2;
// MCi_STATUS bits.
inline constexpr uint64_t kMciStatusVal = 1ull << 63, kMciStatusOver = 1ull << 62, kMciStatusUc = 1ull << 61,
                          kMciStatusAr = 1ull << 55;

// The MSR numbers of the architecture.
inline constexpr uint32_t kMsrMcgCap = 0x179, kMsrMcgStatus = 0x17a, kMsrMcgCtl = 0x17b, kMsrMc0Ctl = 0x400;

// Power-on state for `model`: banks exist only on a model with both MCE and
// MCA at family 6 or later, as QEMU gives them; every CTL enables all errors.
void reset_machine_check(MsrState& msr, const CpuModel& model);

// The bank MSRs (MCi_CTL/STATUS/ADDR/MISC) the model has: a pointer to the
// register, or nullptr when `msr` is not one of them.
uint64_t* machine_check_bank_register(MsrState& msr, uint32_t index);
// WRMSR to MCG_CTL or a bank register: a CTL takes only all zeros or all
// ones (other values are dropped, as on QEMU). Returns false when `index` is
// not such a register.
bool write_machine_check_register(MsrState& msr, uint32_t index, uint64_t value);

struct MceInjection {
    unsigned bank = 0;
    uint64_t status = 0, mcg_status = 0, addr = 0, misc = 0;
};

enum class MceAction {
    kNone,    // logged in the bank only (corrected), or dropped
    kRaise,   // an uncorrected error: deliver #MC to the vCPU
    kReset,   // the guest cannot take #MC now: the machine resets (a triple fault)
};

struct MceOutcome {
    MceAction action = MceAction::kNone;
    std::string message;   // what QEMU's monitor prints about it, if anything
};

// Why an injection cannot be attempted at all (QEMU's monitor texts), or an
// empty string: no banks, a bank out of range, a status without VAL.
std::string check_mce_injection(const MsrState& msr, const MceInjection& injection);
// Records the error in the bank of `state` (the vCPU stopped) and says what
// must follow. `cpu_index` only names the CPU in messages.
MceOutcome inject_mce(CpuState& state, const MceInjection& injection, int cpu_index);
// Whether the model signals a broadcast machine check to every CPU (-b):
// family 6 from model 14 on and every later family, as QEMU decides.
bool supports_mce_broadcast(uint32_t cpuid_version);

}  // namespace mimic::x86
