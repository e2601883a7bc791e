// The CPU model table (see include/mimic/x86/cpu_models.h). Each model
// lists QEMU's feature words for it; what Mimic does not implement is cut
// off by implemented_cpu_features(), so growing the implementation grows the
// models without touching them.
#include "mimic/x86/cpu_models.h"

#include <cpuid.h>

#include <cstdlib>

#include <array>

#include "mimic/util/error.h"

namespace mimic::x86 {

using namespace cpuid;

CpuFeatures implemented_cpu_features() {
    CpuFeatures f;
    // APIC and TSC-deadline are withdrawn at run time from a CPU without a local APIC.
    f.f1_edx = kFpu | kDe | kPse | kTsc | kMsr | kPae | kCx8 | kApic | kPge | kCmov | kPse36 | kClflush | kMmx |
               kFxsr | kSse | kSse2;
    f.f1_ecx = kSse3 | kSsse3 | kSse41 | kSse42 | kPopcnt | kTscDeadline | kXsave | kHypervisor;
    // Machine checks: the banks and #MC injection (mce.h).
    f.f1_edx |= kMce | kMca;
    f.e7_edx = kInvariantTsc;
    // The supervisor's protections from user pages (mmu.cpp, STAC/CLAC).
    f.f7_ebx = kSmep | kSmap;
    // Descriptor-table and MSW reads for CPL 0 only (translate/system.cpp).
    f.f7_ecx = kUmip;
    // Protection keys for user pages in 4-level paging (mmu.cpp), RDPKRU,
    // WRPKRU and the PKRU XSAVE component.
    f.f7_ecx |= kPku;
    // ...and for supervisor pages, with the rights in IA32_PKRS.
    f.f7_ecx |= kPks;
    f.xsave_d1_eax = kXsaveopt;
    // Long mode and what comes with it: SYSENTER, CMPXCHG16B, and in
    // 0x80000001 SYSCALL, NX, 1 GiB pages, RDTSCP, LM, LAHF_LM and LZCNT.
    f.f1_edx |= kSep;
    f.f1_ecx |= kCx16;
    f.e1_edx = kExtSyscall | kExtNx | kExtPage1Gb | kExtRdtscp | kExtLm;
    f.e1_ecx = kExtLahfLm | kExtAbm;

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

struct ModelDef {
    CpuModel model;
    bool everything = false;   // `max`: all implemented features
};

// Every model has `hypervisor`, as QEMU adds it to each one.
// QEMU's Opteron_G1: also under its versioned name.
constexpr CpuFeatures kOpteronG1Features = {
    kVme | kSse2 | kSse | kFxsr | kMmx | kClflush | kPse36 | kPat | kCmov | kMca | kPge | kMtrr | kSep | kApic | kCx8 |
        kMce | kPae | kMsr | kTsc | kPse | kDe | kFpu,
    kSse3 | kHypervisor, 0, 0, 0, kExtLm | kExtNx | kExtSyscall, 0, 0};
constexpr std::string_view kOpteronG1Brand = "AMD Opteron 240 (Gen 1 Class Opteron)";

constexpr size_t kModelCount = 5;

const std::array<ModelDef, kModelCount>& definitions() {
    static const std::array<ModelDef, kModelCount> defs = {{
        {{"qemu64", "QEMU Virtual CPU version 2.5+", "AuthenticAMD", 0x00060fb1, 0xd, 0x8000000a,
          "QEMU Virtual CPU version 2.5+",
          {kPproFeatures | kMtrr | kClflush | kMca | kPse36, kSse3 | kCx16 | kHypervisor, 0, 0, 0, kExtLm | kExtSyscall | kExtNx,
           kExtLahfLm, 0}}},
        {{"qemu32", "QEMU Virtual CPU version 2.5+", "GenuineIntel", 0x00000663, 4, 0x80000004,
          "QEMU Virtual CPU version 2.5+", {kPproFeatures, kSse3 | kHypervisor, 0, 0, 0, 0, 0, 0}}},
        {{"max", "Enables all features supported by the accelerator in the current host", "AuthenticAMD",
          0x00060fb1, 0xd, 0x80000008, "QEMU TCG CPU version 2.5+", {}},
         true},
        {{"Opteron_G1", "(alias configured by machine type)", "AuthenticAMD", 0x00000f61, 5, 0x80000008,
          kOpteronG1Brand, kOpteronG1Features}},
        {{"Opteron_G1-v1", kOpteronG1Brand, "AuthenticAMD", 0x00000f61, 5, 0x80000008, kOpteronG1Brand,
          kOpteronG1Features}},
    }};
    return defs;
}

std::array<CpuModel, kModelCount> build_models() {
    std::array<CpuModel, kModelCount> out;
    const CpuFeatures impl = implemented_cpu_features();
    for (size_t i = 0; i < out.size(); ++i) {
        out[i] = definitions()[i].model;
        out[i].features = definitions()[i].everything ? impl : out[i].features & impl;
    }
    return out;
}

}  // namespace

std::span<const CpuModel> cpu_models() {
    static const std::array<CpuModel, kModelCount> models = build_models();
    return models;
}

const CpuModel* find_cpu_model(std::string_view name) {
    for (const CpuModel& m : cpu_models())
        if (m.name == name) return &m;
    return nullptr;
}

const CpuModel& default_cpu_model() { return cpu_models()[0]; }

}  // namespace mimic::x86

namespace mimic::x86 {

namespace {

using FeatureName = CpuFeatureName;

constexpr FeatureName kFeatureNames[] = {
    {"fpu", &CpuFeatures::f1_edx, 0, "CPUID.01H:EDX"},      {"vme", &CpuFeatures::f1_edx, 1, "CPUID.01H:EDX"},
    {"de", &CpuFeatures::f1_edx, 2, "CPUID.01H:EDX"},       {"pse", &CpuFeatures::f1_edx, 3, "CPUID.01H:EDX"},
    {"tsc", &CpuFeatures::f1_edx, 4, "CPUID.01H:EDX"},      {"msr", &CpuFeatures::f1_edx, 5, "CPUID.01H:EDX"},
    {"pae", &CpuFeatures::f1_edx, 6, "CPUID.01H:EDX"},      {"mce", &CpuFeatures::f1_edx, 7, "CPUID.01H:EDX"},
    {"cx8", &CpuFeatures::f1_edx, 8, "CPUID.01H:EDX"},      {"apic", &CpuFeatures::f1_edx, 9, "CPUID.01H:EDX"},
    {"sep", &CpuFeatures::f1_edx, 11, "CPUID.01H:EDX"},     {"mtrr", &CpuFeatures::f1_edx, 12, "CPUID.01H:EDX"},
    {"pge", &CpuFeatures::f1_edx, 13, "CPUID.01H:EDX"},     {"mca", &CpuFeatures::f1_edx, 14, "CPUID.01H:EDX"},
    {"cmov", &CpuFeatures::f1_edx, 15, "CPUID.01H:EDX"},    {"pat", &CpuFeatures::f1_edx, 16, "CPUID.01H:EDX"},
    {"pse36", &CpuFeatures::f1_edx, 17, "CPUID.01H:EDX"},   {"clflush", &CpuFeatures::f1_edx, 19, "CPUID.01H:EDX"},
    {"mmx", &CpuFeatures::f1_edx, 23, "CPUID.01H:EDX"},     {"fxsr", &CpuFeatures::f1_edx, 24, "CPUID.01H:EDX"},
    {"sse", &CpuFeatures::f1_edx, 25, "CPUID.01H:EDX"},     {"sse2", &CpuFeatures::f1_edx, 26, "CPUID.01H:EDX"},
    {"pni", &CpuFeatures::f1_ecx, 0, "CPUID.01H:ECX"},      {"sse3", &CpuFeatures::f1_ecx, 0, "CPUID.01H:ECX"},
    {"pclmulqdq", &CpuFeatures::f1_ecx, 1, "CPUID.01H:ECX"}, {"ssse3", &CpuFeatures::f1_ecx, 9, "CPUID.01H:ECX"},
    {"cx16", &CpuFeatures::f1_ecx, 13, "CPUID.01H:ECX"},    {"sse4.1", &CpuFeatures::f1_ecx, 19, "CPUID.01H:ECX"},
    {"sse4_1", &CpuFeatures::f1_ecx, 19, "CPUID.01H:ECX"},  {"sse4.2", &CpuFeatures::f1_ecx, 20, "CPUID.01H:ECX"},
    {"sse4_2", &CpuFeatures::f1_ecx, 20, "CPUID.01H:ECX"},  {"popcnt", &CpuFeatures::f1_ecx, 23, "CPUID.01H:ECX"},
    {"aes", &CpuFeatures::f1_ecx, 25, "CPUID.01H:ECX"},     {"xsave", &CpuFeatures::f1_ecx, 26, "CPUID.01H:ECX"},
    {"avx", &CpuFeatures::f1_ecx, 28, "CPUID.01H:ECX"},
    {"hypervisor", &CpuFeatures::f1_ecx, 31, "CPUID.01H:ECX"},
    {"vmx", &CpuFeatures::f1_ecx, 5, "CPUID.01H:ECX"},     {"pcid", &CpuFeatures::f1_ecx, 17, "CPUID.01H:ECX"},
    {"x2apic", &CpuFeatures::f1_ecx, 21, "CPUID.01H:ECX"},  {"movbe", &CpuFeatures::f1_ecx, 22, "CPUID.01H:ECX"},
    {"f16c", &CpuFeatures::f1_ecx, 29, "CPUID.01H:ECX"},   {"rdrand", &CpuFeatures::f1_ecx, 30, "CPUID.01H:ECX"},
    {"fsgsbase", &CpuFeatures::f7_ebx, 0, "CPUID.07H:EBX"}, {"bmi1", &CpuFeatures::f7_ebx, 3, "CPUID.07H:EBX"},
    {"avx2", &CpuFeatures::f7_ebx, 5, "CPUID.07H:EBX"},    {"smep", &CpuFeatures::f7_ebx, 7, "CPUID.07H:EBX"},
    {"bmi2", &CpuFeatures::f7_ebx, 8, "CPUID.07H:EBX"},    {"erms", &CpuFeatures::f7_ebx, 9, "CPUID.07H:EBX"},
    {"invpcid", &CpuFeatures::f7_ebx, 10, "CPUID.07H:EBX"}, {"smap", &CpuFeatures::f7_ebx, 20, "CPUID.07H:EBX"},
    {"umip", &CpuFeatures::f7_ecx, 2, "CPUID.07H:ECX"},    {"pku", &CpuFeatures::f7_ecx, 3, "CPUID.07H:ECX"},
    {"la57", &CpuFeatures::f7_ecx, 16, "CPUID.07H:ECX"},   {"rdpid", &CpuFeatures::f7_ecx, 22, "CPUID.07H:ECX"},
    {"pks", &CpuFeatures::f7_ecx, 31, "CPUID.07H:ECX"},
    {"svm", &CpuFeatures::e1_ecx, 2, "CPUID.80000001H:ECX"}, {"skinit", &CpuFeatures::e1_ecx, 12, "CPUID.80000001H:ECX"},
    {"tsc-deadline", &CpuFeatures::f1_ecx, 24, "CPUID.01H:ECX"},
    {"invtsc", &CpuFeatures::e7_edx, 8, "CPUID.80000007H:EDX"},
    {"xsaveopt", &CpuFeatures::xsave_d1_eax, 0, "CPUID.0DH:EAX"},
    {"syscall", &CpuFeatures::e1_edx, 11, "CPUID.80000001H:EDX"}, {"nx", &CpuFeatures::e1_edx, 20, "CPUID.80000001H:EDX"},
    {"lm", &CpuFeatures::e1_edx, 29, "CPUID.80000001H:EDX"}, {"lahf-lm", &CpuFeatures::e1_ecx, 0, "CPUID.80000001H:ECX"},
    {"pdpe1gb", &CpuFeatures::e1_edx, 26, "CPUID.80000001H:EDX"},
    {"rdtscp", &CpuFeatures::e1_edx, 27, "CPUID.80000001H:EDX"}, {"abm", &CpuFeatures::e1_ecx, 5, "CPUID.80000001H:ECX"},
};

}  // namespace

std::span<const CpuFeatureName> cpu_feature_names() { return kFeatureNames; }

// QEMU's TCG widths: 40 bits with long mode, else 36 with PSE-36, else 32.
unsigned physical_address_bits(const CpuFeatures& features) {
    if (features.e1_edx & cpuid::kExtLm) return 40;
    return features.f1_edx & cpuid::kPse36 ? 36 : 32;
}

unsigned physical_address_bits(const CpuModel& model) {
    return model.phys_bits ? model.phys_bits : physical_address_bits(model.features);
}

namespace {

// The host's physical address width (CPUID.80000008H:EAX[7:0]).
unsigned host_physical_address_bits() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000008 && __get_cpuid(0x80000008, &a, &b, &c, &d))
        return a & 0xff;
    return 36;
}

// QEMU's realize-time checks of phys-bits and host-phys-bits.
void settle_phys_bits(CpuModel& model, unsigned requested, bool host) {
    const bool lm = model.features.e1_edx & cpuid::kExtLm;
    if (!lm) {
        if (requested) throw Error("phys-bits is not user-configurable in 32 bit");
        return;
    }
    if (host) requested = host_physical_address_bits();
    if (requested && (requested < 32 || requested > 52))
        throw Error("phys-bits should be between 32 and 52  (but is {})", requested);
    model.phys_bits = requested;
}

bool parse_switch(std::string_view feat, std::string_view value) {
    if (value == "on" || value == "true" || value == "yes") return true;
    if (value == "off" || value == "false" || value == "no") return false;
    throw Error("Parameter '{}' expects 'on' or 'off'", feat);
}

// `impl` is what the accelerator offers; `who` names it in warnings
// ("TCG", "host").
CpuModel parse_model(std::string_view spec, const CpuModel& base, std::string_view name, const CpuFeatures& impl,
                     std::string_view who, std::vector<std::string>& warnings) {
    CpuModel model = base;
    const size_t comma = spec.find(',');
    std::string_view rest = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    unsigned phys_bits = 0;
    bool host_phys_bits = false;
    while (!rest.empty()) {
        const size_t next = rest.find(',');
        std::string_view item = rest.substr(0, next);
        rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
        if (item.empty()) continue;
        bool on = true;
        std::string_view feat = item;
        if (item[0] == '+' || item[0] == '-') {
            on = item[0] == '+';
            feat = item.substr(1);
        } else if (size_t eq = item.find('='); eq != std::string_view::npos) {
            std::string_view v = item.substr(eq + 1);
            feat = item.substr(0, eq);
            if (feat == "vendor") {
                if (v.size() != 12)
                    throw Error("can't apply global {}-x86_64-cpu.vendor={}: Property '.vendor' doesn't take value '{}'",
                                name, v, v);
                model.vendor = std::string(v);
                continue;
            }
            if (feat == "phys-bits") {
                const std::string text(v);
                char* end = nullptr;
                const unsigned long n = std::strtoul(text.c_str(), &end, 0);
                if (text.empty() || *end || n > UINT32_MAX)
                    throw Error("Parameter 'phys-bits' expects uint32");
                phys_bits = static_cast<unsigned>(n);
                continue;
            }
            on = parse_switch(feat, v);
        }
        if (feat == "host-phys-bits") {
            host_phys_bits = on;
            continue;
        }
        const FeatureName* f = nullptr;
        for (const FeatureName& fn : kFeatureNames)
            if (fn.name == feat) f = &fn;
        if (!f) throw Error("can't apply global {}-x86_64-cpu.{}=on: Property '{}-x86_64-cpu.{}' not found", name, feat,
                            name, feat);
        const uint32_t bit = 1u << f->bit;
        if (!on) {
            model.features.*(f->word) &= ~bit;
        } else if (impl.*(f->word) & bit) {
            model.features.*(f->word) |= bit;
        } else {
            warnings.push_back(fmt::format("{} doesn't support requested feature: {}.{} [bit {}]", who, f->where,
                                           f->name, f->bit));
        }
    }
    settle_phys_bits(model, phys_bits, host_phys_bits);
    return model;
}

}  // namespace

CpuModel parse_cpu_model(std::string_view spec, std::vector<std::string>& warnings) {
    const std::string_view name = spec.substr(0, spec.find(','));
    const CpuModel* base = find_cpu_model(name);
    if (!base) throw Error("unable to find CPU model '{}'", name);
    return parse_model(spec, *base, name, implemented_cpu_features(), "TCG", warnings);
}

CpuModel parse_cpu_model_for_host(std::string_view spec, const CpuFeatures& available,
                                  std::vector<std::string>& warnings) {
    const std::string_view name = spec.substr(0, spec.find(','));
    const ModelDef* def = nullptr;
    for (const ModelDef& d : definitions())
        if (d.model.name == name) def = &d;
    if (!def) throw Error("unable to find CPU model '{}'", name);
    CpuModel base = def->model;
    if (def->everything) {
        base.features = available;
    } else {
        // The model's own features the host lacks are dropped with a warning each.
        for (const FeatureName& f : kFeatureNames) {
            const uint32_t bit = 1u << f.bit;
            if (!(base.features.*(f.word) & bit) || (available.*(f.word) & bit)) continue;
            bool first_name = true;
            for (const FeatureName& g : kFeatureNames) {
                if (&g == &f) break;
                if (g.word == f.word && g.bit == f.bit) first_name = false;
            }
            if (first_name)
                warnings.push_back(fmt::format("host doesn't support requested feature: {}.{} [bit {}]", f.where,
                                               f.name, f.bit));
        }
        base.features = base.features & available;
    }
    return parse_model(spec, base, name, available, "host", warnings);
}

}  // namespace mimic::x86
