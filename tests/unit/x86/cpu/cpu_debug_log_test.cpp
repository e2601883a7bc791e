// -d items with -dfilter: only blocks that start inside the ranges are
// logged, whatever the item.
#include <fstream>
#include <sstream>

#include "cpu_harness.h"

namespace mimic::x86::test {
namespace {

using CpuDebugLog = CpuFixture;

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

TEST_P(CpuDebugLog, AddressFilterKeepsOnlyTheBlocksInItsRanges) {
    protected_mode(R"(
        mov $1, %eax
        jmp 1f
        .org 0x100
    1:  add $2, %eax
        hlt
    )");
    // One file per back end: ctest runs the two instances side by side.
    const std::string path = testing::TempDir() + "/mimic-dfilter-test-" +
                             (GetParam() == TcgBackend::kJit ? "jit" : "interp") + ".log";
    log::set_file(path);
    log::set_mask(log::kInAsm | log::kOp | log::kExec | (GetParam() == TcgBackend::kJit ? uint32_t{log::kOutAsm} : 0u));
    log::set_address_filter(log::parse_address_ranges("0x10100+0x10"));
    const bool halted = run();
    log::set_mask(0);
    log::set_address_filter({});
    log::set_file("");
    ASSERT_TRUE(halted);
    EXPECT_EQ(reg(kRAX), 3u);

    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    const std::string logged = text.str();
    EXPECT_EQ(count(logged, "IN:"), 1u) << logged;
    EXPECT_EQ(count(logged, "OP:"), 1u) << logged;
    EXPECT_EQ(count(logged, "Trace:"), 1u) << logged;
    if (GetParam() == TcgBackend::kJit) {
        EXPECT_EQ(count(logged, "OUT:"), 1u) << logged;
    }
    EXPECT_NE(logged.find("0x00010100"), std::string::npos) << logged;
    EXPECT_EQ(logged.find("0x00010000"), std::string::npos) << logged;
}

INSTANTIATE_TEST_SUITE_P(Backends, CpuDebugLog, kBackends, backend_name);

}  // namespace
}  // namespace mimic::x86::test
