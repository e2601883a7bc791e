// The CPU models (see include/mimic/x86/cpu_models.h). Each is QEMU 7.2's
// definition (cpu_model_table.inc, generated from QEMU); what Mimic does not
// implement is cut off by implemented_cpu_features(), so growing the
// implementation grows the models without touching them.
#include "mimic/x86/cpu_models.h"

#include <cpuid.h>

#include <cstdlib>

#include <array>
#include <iterator>
#include <vector>

#include "mimic/util/error.h"

namespace mimic::x86 {

using namespace cpuid;

CpuFeatures implemented_cpu_features() {
    CpuFeatures f;
    // APIC, x2APIC and TSC-deadline are withdrawn at run time from a CPU without a local APIC.
    f.f1_edx = kFpu | kDe | kPse | kTsc | kMsr | kPae | kCx8 | kApic | kPge | kCmov | kPse36 | kClflush | kMmx |
               kFxsr | kSse | kSse2;
    f.f1_ecx = kSse3 | kSsse3 | kSse41 | kSse42 | kPopcnt | kTscDeadline | kXsave | kHypervisor;
    // AES and carry-less multiplication run on the host's units like SSE.
    f.f1_ecx |= kAes | kPclmulqdq;
    // x2APIC mode of the local APIC (hw/intc/apic.cpp).
    f.f1_ecx |= kX2apic;
    // Machine checks: the banks and #MC injection (mce.h).
    f.f1_edx |= kMce | kMca;
    f.e7_edx = kInvariantTsc;
    // The APIC timer counts the virtual clock, which no idle state stops.
    f.p6_eax = kArat;
    // MTRRs and PAT: their MSRs hold what the guest writes; memory types
    // mean nothing to an emulated memory, as in QEMU's TCG.
    f.f1_edx |= kMtrr | kPat;
    // The supervisor's protections from user pages (mmu.cpp, STAC/CLAC).
    f.f7_ebx = kSmep | kSmap;
    // Descriptor-table and MSW reads for CPL 0 only (translate/system.cpp).
    f.f7_ecx = kUmip;
    // Protection keys for user pages in 4-level paging (mmu.cpp), RDPKRU,
    // WRPKRU and the PKRU XSAVE component.
    f.f7_ecx |= kPku;
    // ...and for supervisor pages, with the rights in IA32_PKRS.
    f.f7_ecx |= kPks;
    // Instructions of the IR alone (translate/*.cpp): MOVBE, RDRAND and
    // RDSEED (the host's getrandom), RDPID, the FS/GS base instructions,
    // CLFLUSHOPT and CLWB (no caches, as CLFLUSH), and two hints: fast
    // REP MOVSB/STOSB, PREFETCHW.
    f.f1_ecx |= kMovbe | kRdrand;
    f.f7_ebx |= kFsgsbase | kErms | kRdseed | kClflushopt | kClwb;
    f.f7_ecx |= kRdpid;
    f.xsave_d1_eax = kXsaveopt;
    // Long mode and what comes with it: SYSENTER, CMPXCHG16B, and in
    // 0x80000001 SYSCALL, NX, 1 GiB pages, RDTSCP, LM, LAHF_LM and LZCNT.
    f.f1_edx |= kSep;
    f.f1_ecx |= kCx16;
    f.e1_edx = kExtSyscall | kExtNx | kExtPage1Gb | kExtRdtscp | kExtLm;
    f.e1_ecx = kExtLahfLm | kExtAbm | kExt3dnowPrefetch;

    // x87, MMX and SSE instructions run on the host's own units
    // (fpu/host_op.h): an extension the host lacks cannot be offered.
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        f.f1_edx &= d | ~(kFpu | kMmx | kFxsr | kSse | kSse2);
        f.f1_ecx &= c | ~(kSse3 | kSsse3 | kSse41 | kSse42 | kPopcnt | kAes | kPclmulqdq);
    }
    return f;
}

namespace {

// A QEMU feature word: how warnings name it, and where Mimic keeps it
// (nullptr: a register Mimic does not have, so none of its features runs).
struct FeatureWord {
    std::string_view where;
    uint32_t CpuFeatures::*member;
};
struct FeatureBit {
    std::string_view name;
    unsigned word;
    unsigned bit;
};
struct ModelData {
    std::string_view name, description, alias_of, vendor;
    unsigned family, model, stepping;
    uint32_t level, xlevel;
    std::string_view model_id, features;
};

#include "cpu_model_table.inc"

constexpr size_t kWordCount = std::size(kFeatureWords);
// Every feature word QEMU knows, in its order.
using FeatureSet = std::array<uint32_t, kWordCount>;

const FeatureBit* find_feature(std::string_view name) {
    for (const FeatureBit& f : kFeatureBits)
        if (f.name == name) return &f;
    return nullptr;
}

// The first name of a bit is QEMU's own, the one its warnings print.
const FeatureBit* canonical_feature(unsigned word, unsigned bit) {
    for (const FeatureBit& f : kFeatureBits)
        if (f.word == word && f.bit == bit) return &f;
    return nullptr;
}

FeatureSet feature_set(std::string_view names) {
    FeatureSet set{};
    while (!names.empty()) {
        const size_t space = names.find(' ');
        const FeatureBit* f = find_feature(names.substr(0, space));
        if (f) set[f->word] |= 1u << f->bit;
        names = space == std::string_view::npos ? std::string_view{} : names.substr(space + 1);
    }
    return set;
}

FeatureSet feature_set(const CpuFeatures& features) {
    FeatureSet set{};
    for (size_t w = 0; w < kWordCount; ++w)
        if (kFeatureWords[w].member) set[w] = features.*(kFeatureWords[w].member);
    return set;
}

CpuFeatures stored_features(const FeatureSet& set) {
    CpuFeatures f;
    for (size_t w = 0; w < kWordCount; ++w)
        if (kFeatureWords[w].member) f.*(kFeatureWords[w].member) = set[w];
    return f;
}

// CPUID.01H:EAX as QEMU encodes family, model and stepping.
uint32_t cpuid_version(unsigned family, unsigned model, unsigned stepping) {
    const uint32_t f = family > 0xf ? 0xf00 | ((family - 0xf) << 20) : family << 8;
    return f | ((model & 0xf) << 4) | ((model >> 4) << 16) | stepping;
}

struct ModelDef {
    CpuModel model;           // features: QEMU's, in the words Mimic keeps
    FeatureSet requested{};   // QEMU's, all words
    bool everything = false;  // `max`: all implemented features
};

std::vector<ModelDef> build_definitions() {
    std::vector<ModelDef> defs;
    for (const ModelData& d : kModelData) {
        ModelDef def;
        def.model.name = d.name;
        def.model.description = d.description;
        def.model.alias_of = d.alias_of;
        def.model.vendor = std::string(d.vendor);
        def.model.version = cpuid_version(d.family, d.model, d.stepping);
        def.model.level = d.level;
        def.model.xlevel = d.xlevel;
        def.model.brand = d.model_id;
        def.requested = feature_set(d.features);
        def.model.features = stored_features(def.requested);
        if (d.name == "max") {
            // Mimic's own: what it implements, the leaves that describes.
            def.everything = true;
            def.model.xlevel = 0x80000008;
        }
        defs.push_back(std::move(def));
    }
    return defs;
}

const std::vector<ModelDef>& definitions() {
    static const std::vector<ModelDef> defs = build_definitions();
    return defs;
}

const ModelDef* find_definition(std::string_view name) {
    for (const ModelDef& d : definitions())
        if (d.model.name == name) return &d;
    return nullptr;
}

std::vector<CpuModel> build_models() {
    std::vector<CpuModel> out;
    const CpuFeatures impl = implemented_cpu_features();
    for (const ModelDef& d : definitions()) {
        out.push_back(d.model);
        out.back().features = d.everything ? impl : d.model.features & impl;
    }
    return out;
}

}  // namespace

std::span<const CpuModel> cpu_models() {
    static const std::vector<CpuModel> models = build_models();
    return models;
}

const CpuModel* find_cpu_model(std::string_view name) {
    for (const CpuModel& m : cpu_models())
        if (m.name == name) return &m;
    return nullptr;
}

const CpuModel& default_cpu_model() { return *find_cpu_model("qemu64"); }

}  // namespace mimic::x86

namespace mimic::x86 {

// The names in registers Mimic keeps (the CPU's QOM feature properties).
std::span<const CpuFeatureName> cpu_feature_names() {
    static const std::vector<CpuFeatureName> names = [] {
        std::vector<CpuFeatureName> list;
        for (const FeatureBit& f : kFeatureBits) {
            const FeatureWord& w = kFeatureWords[f.word];
            if (w.member) list.push_back({f.name, w.member, f.bit, w.where});
        }
        return list;
    }();
    return names;
}

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

// `requested` is the model's features in every QEMU word, `impl` what the
// accelerator offers, `quiet` features dropped without a word when the model
// (not the user) asks for them; `who` names the accelerator in warnings
// ("TCG", "host").
CpuModel parse_model(std::string_view spec, const CpuModel& base, FeatureSet requested, const FeatureSet& impl,
                     const FeatureSet& quiet, std::string_view who, std::vector<std::string>& warnings) {
    CpuModel model = base;
    std::string_view name = base.name;
    const size_t comma = spec.find(',');
    std::string_view rest = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    unsigned phys_bits = 0;
    bool host_phys_bits = false;
    FeatureSet asked{};   // what the user turned on
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
        const FeatureBit* f = find_feature(feat);
        if (!f) throw Error("can't apply global {}-x86_64-cpu.{}=on: Property '{}-x86_64-cpu.{}' not found", name, feat,
                            name, feat);
        const uint32_t bit = 1u << f->bit;
        if (on) {
            requested[f->word] |= bit;
            asked[f->word] |= bit;
        } else {
            requested[f->word] &= ~bit;
            asked[f->word] &= ~bit;
        }
    }
    // As QEMU's filtering: one warning per requested feature the
    // accelerator lacks, in QEMU's word and bit order.
    for (unsigned w = 0; w < kWordCount; ++w) {
        const uint32_t missing = requested[w] & ~impl[w] & (asked[w] | ~quiet[w]);
        for (unsigned bit = 0; bit < 32; ++bit) {
            if (!(missing & (1u << bit))) continue;
            const FeatureBit* f = canonical_feature(w, bit);
            warnings.push_back(fmt::format("{} doesn't support requested feature: {}.{} [bit {}]", who,
                                           kFeatureWords[w].where, f ? f->name : "", bit));
        }
        requested[w] &= impl[w];
    }
    model.features = stored_features(requested);
    settle_phys_bits(model, phys_bits, host_phys_bits);
    return model;
}

}  // namespace

CpuModel parse_cpu_model(std::string_view spec, std::vector<std::string>& warnings) {
    const std::string_view name = spec.substr(0, spec.find(','));
    const ModelDef* def = find_definition(name);
    if (!def) throw Error("unable to find CPU model '{}'", name);
    const FeatureSet impl = feature_set(implemented_cpu_features());
    // What QEMU's default model has and Mimic lacks (SVM) goes
    // quietly: QEMU's TCG runs them, and qemu64 must start without warnings.
    const FeatureSet quiet = find_definition("qemu64")->requested;
    return parse_model(spec, *find_cpu_model(name), def->everything ? impl : def->requested, impl, quiet, "TCG",
                       warnings);
}

std::vector<std::string_view> unavailable_cpu_features(std::string_view name) {
    std::vector<std::string_view> names;
    const ModelDef* def = find_definition(name);
    if (!def || def->everything) return names;
    const FeatureSet impl = feature_set(implemented_cpu_features());
    const FeatureSet& quiet = find_definition("qemu64")->requested;
    for (unsigned w = 0; w < kWordCount; ++w)
        for (unsigned bit = 0; bit < 32; ++bit)
            if (def->requested[w] & ~impl[w] & ~quiet[w] & (1u << bit))
                if (const FeatureBit* f = canonical_feature(w, bit)) names.push_back(f->name);
    return names;
}

CpuModel parse_cpu_model_for_host(std::string_view spec, const CpuFeatures& available,
                                  std::vector<std::string>& warnings) {
    const std::string_view name = spec.substr(0, spec.find(','));
    const ModelDef* def = find_definition(name);
    if (!def) throw Error("unable to find CPU model '{}'", name);
    // Only the words Mimic passes to KVM: the others are neither asked for nor warned about.
    const FeatureSet host = feature_set(available);
    const FeatureSet requested = def->everything ? host : feature_set(def->model.features);
    return parse_model(spec, def->model, requested, host, FeatureSet{}, "host", warnings);
}

}  // namespace mimic::x86
