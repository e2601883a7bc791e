// The CPU model table (see include/mimic/x86/cpu_models.h). Each model
// lists QEMU's feature words for it; what Mimic does not implement is cut
// off by implemented_cpu_features(), so growing the implementation grows the
// models without touching them.
#include "mimic/x86/cpu_models.h"

#include <cpuid.h>

#include <array>

namespace mimic::x86 {

using namespace cpuid;

CpuFeatures implemented_cpu_features() {
    CpuFeatures f;
    f.f1_edx = kFpu | kDe | kPse | kTsc | kMsr | kPae | kCx8 | kPge | kCmov | kPse36 | kClflush | kMmx | kFxsr |
               kSse | kSse2;
    f.f1_ecx = kSse3 | kSsse3 | kSse41 | kSse42 | kPopcnt | kXsave;
    f.xsave_d1_eax = kXsaveopt;
    // Long mode (LM, SYSCALL, NX, LAHF_LM, CX16) joins here with 64-bit mode.

    // x87, MMX and SSE instructions run on the host's own units
    // (fpu/host_op.h): an extension the host lacks cannot be offered.
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        f.f1_edx &= d | ~(kFpu | kMmx | kFxsr | kSse | kSse2);
        f.f1_ecx &= c | ~(kSse3 | kSsse3 | kSse41 | kSse42 | kPopcnt);
    }
    return f;
}

namespace {

// QEMU's PPRO_FEATURES.
constexpr uint32_t kPproFeatures = kFpu | kDe | kPse | kTsc | kMsr | kMce | kCx8 | kPge | kCmov | kPat | kFxsr |
                                   kMmx | kSse | kSse2 | kPae | kSep | kApic;
// 0x80000001 EDX: SYSCALL (11), NX (20), LM (29); ECX: LAHF_LM (0).
constexpr uint32_t kExtSyscall = 1u << 11, kExtNx = 1u << 20, kExtLm = 1u << 29, kExtLahfLm = 1u << 0;

struct ModelDef {
    CpuModel model;
    bool everything = false;   // `max`: all implemented features
};

const std::array<ModelDef, 3>& definitions() {
    static const std::array<ModelDef, 3> defs = {{
        {{"qemu64", "QEMU Virtual CPU version 2.5+", "AuthenticAMD", 0x00060fb1, 0xd, 0x8000000a,
          "QEMU Virtual CPU version 2.5+",
          {kPproFeatures | kMtrr | kClflush | kMca | kPse36, kSse3 | kCx16, 0, 0, 0, kExtLm | kExtSyscall | kExtNx,
           kExtLahfLm, 0}}},
        {{"qemu32", "QEMU Virtual CPU version 2.5+", "GenuineIntel", 0x00000663, 4, 0x80000004,
          "QEMU Virtual CPU version 2.5+", {kPproFeatures, kSse3, 0, 0, 0, 0, 0, 0}}},
        {{"max", "Enables all features supported by the accelerator in the current host", "AuthenticAMD",
          0x00060fb1, 0xd, 0x80000008, "QEMU TCG CPU version 2.5+", {}},
         true},
    }};
    return defs;
}

std::array<CpuModel, 3> build_models() {
    std::array<CpuModel, 3> out;
    const CpuFeatures impl = implemented_cpu_features();
    for (size_t i = 0; i < out.size(); ++i) {
        out[i] = definitions()[i].model;
        out[i].features = definitions()[i].everything ? impl : out[i].features & impl;
    }
    return out;
}

}  // namespace

std::span<const CpuModel> cpu_models() {
    static const std::array<CpuModel, 3> models = build_models();
    return models;
}

const CpuModel* find_cpu_model(std::string_view name) {
    for (const CpuModel& m : cpu_models())
        if (m.name == name) return &m;
    return nullptr;
}

const CpuModel& default_cpu_model() { return cpu_models()[0]; }

}  // namespace mimic::x86
