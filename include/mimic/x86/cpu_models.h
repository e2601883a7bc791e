// CPU models: what CPUID reports. A model is QEMU's definition of the same
// name (vendor, family/model/stepping, leaf limits, brand string) with its
// feature words cut down to what Mimic implements, so a guest is never told
// about an instruction that would #UD. `-cpu max` is everything implemented.
//
//   const CpuModel* m = find_cpu_model("qemu64");   // nullptr if unknown
//   config.model = *m;                               // CpuConfig (cpu.h)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::x86 {

// CPUID feature bits, named as in the SDM / Linux's cpufeatures.h.
namespace cpuid {
// Leaf 1 EDX.
inline constexpr uint32_t kFpu = 1u << 0, kVme = 1u << 1, kDe = 1u << 2, kPse = 1u << 3, kTsc = 1u << 4,
                          kMsr = 1u << 5, kPae = 1u << 6, kMce = 1u << 7, kCx8 = 1u << 8, kApic = 1u << 9,
                          kSep = 1u << 11, kMtrr = 1u << 12, kPge = 1u << 13, kMca = 1u << 14, kCmov = 1u << 15,
                          kPat = 1u << 16, kPse36 = 1u << 17, kClflush = 1u << 19, kMmx = 1u << 23,
                          kFxsr = 1u << 24, kSse = 1u << 25, kSse2 = 1u << 26, kHtt = 1u << 28;
// Leaf 1 ECX.
inline constexpr uint32_t kSse3 = 1u << 0, kPclmulqdq = 1u << 1, kSsse3 = 1u << 9, kCx16 = 1u << 13,
                          kSse41 = 1u << 19, kSse42 = 1u << 20, kX2apic = 1u << 21, kMovbe = 1u << 22,
                          kPopcnt = 1u << 23, kAes = 1u << 25, kTscDeadline = 1u << 24, kXsave = 1u << 26,
                          kOsxsave = 1u << 27, kRdrand = 1u << 30, kHypervisor = 1u << 31;
// Leaf 7 subleaf 0 EBX and ECX.
inline constexpr uint32_t kFsgsbase = 1u << 0, kSmep = 1u << 7, kErms = 1u << 9, kRdseed = 1u << 18,
                          kSmap = 1u << 20, kClflushopt = 1u << 23, kClwb = 1u << 24;
inline constexpr uint32_t kUmip = 1u << 2, kPku = 1u << 3, kOspke = 1u << 4, kRdpid = 1u << 22, kPks = 1u << 31;
// Leaf 6 EAX: the APIC timer runs at a constant rate in every C-state.
inline constexpr uint32_t kArat = 1u << 2;
// Leaf 0x80000007 EDX.
inline constexpr uint32_t kInvariantTsc = 1u << 8;
// Leaf 0xD subleaf 1 EAX.
inline constexpr uint32_t kXsaveopt = 1u << 0;
// Leaf 0x80000001 EDX and ECX.
inline constexpr uint32_t kExtSyscall = 1u << 11, kExtNx = 1u << 20, kExtPage1Gb = 1u << 26,
                          kExtRdtscp = 1u << 27, kExtLm = 1u << 29;
inline constexpr uint32_t kExtLahfLm = 1u << 0, kExtAbm = 1u << 5, kExt3dnowPrefetch = 1u << 8;
}  // namespace cpuid

struct CpuFeatures {
    uint32_t f1_edx = 0, f1_ecx = 0;              // leaf 1
    uint32_t f7_ebx = 0, f7_ecx = 0, f7_edx = 0;  // leaf 7, subleaf 0
    uint32_t e1_edx = 0, e1_ecx = 0;              // leaf 0x80000001
    uint32_t xsave_d1_eax = 0;                    // leaf 0xD, subleaf 1
    uint32_t e7_edx = 0;                          // leaf 0x80000007 (power management)
    uint32_t p6_eax = 0;                          // leaf 6 (thermal and power management)

    bool has_fxsr() const { return f1_edx & cpuid::kFxsr; }
    bool has_xsave() const { return f1_ecx & cpuid::kXsave; }
    CpuFeatures operator&(const CpuFeatures& o) const {
        return {f1_edx & o.f1_edx, f1_ecx & o.f1_ecx, f7_ebx & o.f7_ebx, f7_ecx & o.f7_ecx,
                f7_edx & o.f7_edx, e1_edx & o.e1_edx, e1_ecx & o.e1_ecx, xsave_d1_eax & o.xsave_d1_eax,
                e7_edx & o.e7_edx, p6_eax & o.p6_eax};
    }
};

struct CpuModel {
    std::string_view name;
    std::string_view description;   // for -cpu help
    std::string_view alias_of;      // the versioned model an alias stands for ("" if none)
    std::string vendor;             // 12 characters, none for `base` (-cpu ...,vendor= replaces it)
    uint32_t version = 0;           // leaf 1 EAX: family, model, stepping
    uint32_t level = 1;             // highest basic leaf
    uint32_t xlevel = 0;            // highest extended leaf (0: none)
    std::string_view brand;         // leaves 0x80000002..4
    CpuFeatures features;           // already limited to what Mimic implements
    unsigned phys_bits = 0;         // -cpu ...,phys-bits=N or host-phys-bits=on (0: the default width)
};

// Everything Mimic implements (the `max` model's features).
CpuFeatures implemented_cpu_features();
// The models -cpu accepts: QEMU 7.2's, in its -cpu help order (host aside).
std::span<const CpuModel> cpu_models();
const CpuModel* find_cpu_model(std::string_view name);
// qemu64, as QEMU's default for x86_64.
const CpuModel& default_cpu_model();
// A -cpu argument: MODEL[,+feat|-feat|feat=on|off]... Feature names are
// QEMU's (sse4.2, popcnt, xsave, ...). A known feature Mimic does not
// implement is dropped with a warning (as QEMU does under TCG); an unknown
// model or feature throws mimic::Error. `vendor=` takes QEMU's 12-character
// vendor string; `phys-bits=N` (32..52, long-mode models only) the physical
// address width, `host-phys-bits=on` the host's.
CpuModel parse_cpu_model(std::string_view spec, std::vector<std::string>& warnings);
// The model's features that -cpu NAME would warn about, QEMU's names in its
// order (query-cpu-definitions' unavailable-features).
std::vector<std::string_view> unavailable_cpu_features(std::string_view name);
// The same as parse_cpu_model for an accelerator that runs the host's CPU (KVM) and offers
// `available`: QEMU's definition of the model, less what is not available
// ("host doesn't support requested feature: ..." warnings); `max` is
// everything available.
CpuModel parse_cpu_model_for_host(std::string_view spec, const CpuFeatures& available,
                                  std::vector<std::string>& warnings);

// A feature as -cpu and the CPU's QOM properties name it (QEMU's names and
// aliases: "sse4.1" and "sse4_1" are one bit), for the registers
// CpuFeatures keeps.
struct CpuFeatureName {
    std::string_view name;
    uint32_t CpuFeatures::*word;
    unsigned bit;
    std::string_view where;   // the CPUID register, as QEMU's warnings print it
};
std::span<const CpuFeatureName> cpu_feature_names();

// CPUID.80000008H:EAX[7:0], the physical address width the CPU reports: the
// model's phys-bits, else QEMU's TCG default for its features.
unsigned physical_address_bits(const CpuFeatures& features);
unsigned physical_address_bits(const CpuModel& model);

}  // namespace mimic::x86
