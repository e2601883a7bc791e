// Differential test of the x86 front end against the host CPU.
//
// Each case generates a random sequence (generator.h), runs it natively in
// 32-bit mode (or 64-bit mode: REX, 64-bit operands, R8-R15) and in Mimic
// through both tcg back ends, and compares registers, the arithmetic flags
// the SDM defines, and the data buffer.
//
//   MIMIC_DIFF_COUNT=N   sequences to run (default 300, CI)
//   MIMIC_DIFF_SEED=S    first seed (default 1)
//   MIMIC_DIFF_LENGTH=L  instructions per sequence (default 24)
//   MIMIC_DIFF_LOG=in_asm,int   Mimic's -d log items while running
// A long run: MIMIC_DIFF_COUNT=100000 ./x86_diff_tests
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "mimic/util/log.h"
#include "runner.h"

namespace mimic::x86::diff {
namespace {

uint64_t env_u64(const char* name, uint64_t def) {
    const char* v = std::getenv(name);
    return v ? std::strtoull(v, nullptr, 0) : def;
}

std::string listing(const Sequence& seq) {
    std::string s;
    for (const auto& l : seq.listing) s += "    " + l + "\n";
    s += "    bytes:";
    char buf[8];
    for (uint8_t b : seq.code) { std::snprintf(buf, sizeof buf, " %02x", b); s += buf; }
    return s + "\n";
}

// Runs one sequence; returns an empty string on agreement.
std::string check(const Sequence& seq, uint64_t seed, bool& host_ok) {
    GuestState in = initial_state(seed, seq.mode64);
    GuestState host{}, jit{}, interp{};
    std::string err;
    host_ok = run_on_host(seq, in, host, err);
    if (!host_ok) return "host: " + err + "\n" + listing(seq);
    std::string report;
    const uint32_t mask = kFlagsMask & ~seq.undefined_flags;
    if (!run_in_mimic(seq, in, jit, TcgBackend::kJit, err)) report += "jit: " + err + "\n";
    else report += compare(host, jit, mask, seq.mode64).empty() ? "" : "jit differs:\n" + compare(host, jit, mask, seq.mode64);
    if (!run_in_mimic(seq, in, interp, TcgBackend::kInterp, err)) report += "interp: " + err + "\n";
    else report += compare(host, interp, mask, seq.mode64).empty() ? "" : "interp differs:\n" + compare(host, interp, mask, seq.mode64);
    return report;
}

// Runs one seed; on a mismatch reports the shortest failing prefix.
std::string check_seed(uint64_t seed, unsigned length, bool& host_ok, bool fpu = false, bool mode64 = false) {
    GenOptions opt;
    opt.length = length;
    opt.fpu = fpu;
    opt.mode64 = mode64;
    Sequence seq = generate(seed, opt);
    std::string report = check(seq, seed, host_ok);
    if (report.empty() || !host_ok) return report;
    for (size_t n = 1; n <= seq.ends.size(); ++n) {
        Sequence p = prefix(seq, n);
        std::string r = check(p, seed, host_ok);
        if (!r.empty()) {
            return "seed " + std::to_string(seed) + " (first " + std::to_string(n) + " instructions):\n" + r +
                   listing(p);
        }
    }
    return "seed " + std::to_string(seed) + ":\n" + report + listing(seq);
}

void run_random(bool mode64) {
    const uint64_t count = env_u64("MIMIC_DIFF_COUNT", 300);
    const uint64_t first = env_u64("MIMIC_DIFF_SEED", 1);
    const unsigned length = static_cast<unsigned>(env_u64("MIMIC_DIFF_LENGTH", 24));
    if (const char* items = std::getenv("MIMIC_DIFF_LOG")) log::set_mask(log::parse_items(items));
    unsigned failures = 0;
    for (uint64_t seed = first; seed < first + count; ++seed) {
        bool host_ok = true;
        std::string r = check_seed(seed, length, host_ok, false, mode64);
        // Only a failure on the first sequence means the host cannot run
        // this code at all; later ones are generator bugs worth seeing.
        if (!host_ok && seed == first) GTEST_SKIP() << "the host cannot run this code here: " << r;
        if (!r.empty()) {
            ADD_FAILURE() << r;
            if (++failures >= 10) break;
        }
    }
}

TEST(X86Diff, RandomSequencesMatchTheHost) { run_random(false); }

// 64-bit code: the same families with REX prefixes, 64-bit operand size,
// R8-R15 and SPL..DIL, MOVSXD, CDQE/CQO, 64-bit MUL/DIV, string ops,
// POPCNT and LZCNT. (The x87/SSE state is not compared in this mode.)
TEST(X86Diff, RandomSequences64MatchTheHost) { run_random(true); }

// The same with x87, MMX and SSE..SSE4.2 mixed in; the x87 registers, FSW,
// FCW, tags, XMM registers and MXCSR are compared too.
//   MIMIC_DIFF_FPU_COUNT=N   sequences (default 200, CI)
TEST(X86Diff, FpuSequencesMatchTheHost) {
    const uint64_t count = env_u64("MIMIC_DIFF_FPU_COUNT", 200);
    const uint64_t first = env_u64("MIMIC_DIFF_SEED", 1);
    const unsigned length = static_cast<unsigned>(env_u64("MIMIC_DIFF_LENGTH", 24));
    unsigned failures = 0;
    for (uint64_t seed = first; seed < first + count; ++seed) {
        bool host_ok = true;
        std::string r = check_seed(seed, length, host_ok, true);
        if (!host_ok && seed == first) GTEST_SKIP() << "the host cannot run 32-bit code here: " << r;
        if (!r.empty()) {
            ADD_FAILURE() << r;
            if (++failures >= 10) break;
        }
    }
}

// Seeds that once disagreed, kept as regressions (see the report in docs).
TEST(X86Diff, Regressions) {
    for (uint64_t seed : std::initializer_list<uint64_t>{}) {
        bool host_ok = true;
        std::string r = check_seed(seed, 24, host_ok);
        if (!host_ok) GTEST_SKIP() << r;
        EXPECT_EQ(r, "");
    }
}

// 64-bit seeds that once disagreed: CMPXCHG r32 on failure must leave the
// destination's upper half alone (1083, 1108, 1126).
TEST(X86Diff, Regressions64) {
    for (uint64_t seed : {1083, 1108, 1126}) {
        bool host_ok = true;
        std::string r = check_seed(seed, 24, host_ok, false, true);
        if (!host_ok) GTEST_SKIP() << r;
        EXPECT_EQ(r, "") << "seed " << seed;
    }
}

// FPU sequences that once failed. 35: POPCNT/CRC32 had no host stub (the
// emulator crashed). 1483: CRC32 with AH..BH as its byte source.
TEST(X86Diff, FpuRegressions) {
    for (uint64_t seed : {35, 1483}) {
        bool host_ok = true;
        std::string r = check_seed(seed, 24, host_ok, true);
        if (!host_ok) GTEST_SKIP() << r;
        EXPECT_EQ(r, "");
    }
}

}  // namespace
}  // namespace mimic::x86::diff
