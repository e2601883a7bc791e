// The CPU model table and -cpu parsing: QEMU 7.2's models, their features
// less what Mimic implements, and the warnings that drops them.
#include "mimic/x86/cpu_models.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "mimic/util/error.h"

namespace mimic::x86 {
namespace {

TEST(CpuModels, VersionsAndAliasesAsQemu) {
    const CpuModel* alias = find_cpu_model("Haswell-noTSX-IBRS");
    ASSERT_NE(alias, nullptr);
    EXPECT_EQ(alias->alias_of, "Haswell-v4");
    EXPECT_EQ(alias->description, "(alias of Haswell-v4)");
    const CpuModel* v4 = find_cpu_model("Haswell-v4");
    ASSERT_NE(v4, nullptr);
    EXPECT_EQ(v4->description, "Intel Core Processor (Haswell, no TSX, IBRS)");
    EXPECT_EQ(v4->brand, "Intel Core Processor (Haswell, no TSX, IBRS)");
    EXPECT_EQ(v4->version, 0x000306c1u);   // family 6, model 60, stepping 1
    EXPECT_EQ(v4->vendor, "GenuineIntel");
    const CpuModel* epyc = find_cpu_model("EPYC");
    ASSERT_NE(epyc, nullptr);
    EXPECT_EQ(epyc->version, 0x00800f12u);   // family 23: extended family 8
    EXPECT_EQ(epyc->xlevel, 0x8000001eu);
    EXPECT_EQ(default_cpu_model().name, "qemu64");
    EXPECT_GE(cpu_models().size(), 130u);
}

TEST(CpuModels, FeaturesMimicLacksWarnInQemuOrder) {
    std::vector<std::string> warnings;
    // Turned off, FMA does not warn; asked for again, AVX warns once.
    const CpuModel m = parse_cpu_model("Haswell-noTSX,-fma,+avx", warnings);
    ASSERT_FALSE(warnings.empty());
    EXPECT_EQ(warnings.front(), "TCG doesn't support requested feature: CPUID.01H:ECX.pcid [bit 17]");
    EXPECT_EQ(std::count_if(warnings.begin(), warnings.end(),
                            [](const std::string& w) { return w.find(".fma ") != std::string::npos; }),
              0);
    EXPECT_EQ(std::count_if(warnings.begin(), warnings.end(),
                            [](const std::string& w) { return w.find(".avx ") != std::string::npos; }),
              1);
    EXPECT_EQ(warnings.back(), "TCG doesn't support requested feature: CPUID.07H:EBX.invpcid [bit 10]");
    EXPECT_EQ(m.features.p6_eax, cpuid::kArat);
    // Haswell has no SMAP, RDSEED, CLFLUSHOPT or CLWB.
    EXPECT_EQ(m.features.f7_ebx, cpuid::kFsgsbase | cpuid::kSmep | cpuid::kErms);
    EXPECT_TRUE(m.features.f1_ecx & cpuid::kMovbe);
    EXPECT_TRUE(m.features.f1_ecx & cpuid::kRdrand);
    EXPECT_TRUE(m.features.f1_ecx & cpuid::kSse42);
    // AES-NI and PCLMULQDQ run on the host's units (this host has them).
    EXPECT_EQ(m.features.f1_ecx & (cpuid::kAes | cpuid::kPclmulqdq),
              implemented_cpu_features().f1_ecx & (cpuid::kAes | cpuid::kPclmulqdq));
}

TEST(CpuModels, TheDefaultModelStartsWithoutWarnings) {
    std::vector<std::string> warnings;
    parse_cpu_model("qemu64", warnings);
    parse_cpu_model("qemu32", warnings);
    parse_cpu_model("max", warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_TRUE(unavailable_cpu_features("qemu64").empty());
    // Asked for by name, what qemu64 drops quietly warns.
    parse_cpu_model("qemu64,+svm", warnings);
    EXPECT_EQ(warnings, std::vector<std::string>{
                            "TCG doesn't support requested feature: CPUID.80000001H:ECX.svm [bit 2]"});
}

TEST(CpuModels, UnavailableFeaturesAreQemusNames) {
    const std::vector<std::string_view> missing = unavailable_cpu_features("Cascadelake-Server-v2");
    EXPECT_NE(std::find(missing.begin(), missing.end(), "avx512f"), missing.end());
    EXPECT_NE(std::find(missing.begin(), missing.end(), "rdctl-no"), missing.end());
    EXPECT_EQ(std::find(missing.begin(), missing.end(), "sse4.2"), missing.end());
}

// What QEMU's TCG implements of them, these models get without a warning.
TEST(CpuModels, ModelsGetTheInstructionsTcgImplements) {
    for (std::string_view model : {"Haswell", "Skylake-Server", "EPYC", "EPYC-Rome", "Icelake-Server"}) {
        const std::vector<std::string_view> missing = unavailable_cpu_features(model);
        for (std::string_view f : {"movbe", "rdrand", "fsgsbase", "erms", "rdseed", "clflushopt", "clwb", "rdpid",
                                   "3dnowprefetch"})
            EXPECT_EQ(std::find(missing.begin(), missing.end(), f), missing.end()) << model << " " << f;
    }
    std::vector<std::string> warnings;
    const CpuModel m = parse_cpu_model("EPYC-Rome", warnings);
    for (const std::string& w : warnings) {
        EXPECT_EQ(w.find(".rdpid "), std::string::npos) << w;
        EXPECT_EQ(w.find(".clwb "), std::string::npos) << w;
    }
    EXPECT_TRUE(m.features.f7_ecx & cpuid::kRdpid);
    EXPECT_TRUE(m.features.f7_ebx & cpuid::kClwb);
    EXPECT_TRUE(m.features.e1_ecx & cpuid::kExt3dnowPrefetch);
    const CpuFeatures max = implemented_cpu_features();
    EXPECT_TRUE(max.f7_ebx & cpuid::kRdseed);
    EXPECT_TRUE(max.f7_ebx & cpuid::kClflushopt);
}

TEST(CpuModels, UnknownNamesAreRefused) {
    std::vector<std::string> warnings;
    EXPECT_THROW(parse_cpu_model("Haswell-v9", warnings), Error);
    EXPECT_THROW(parse_cpu_model("Haswell,+no-such-feature", warnings), Error);
}

}  // namespace
}  // namespace mimic::x86
