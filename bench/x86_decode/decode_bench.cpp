// ns per instruction: Mimic's table decoder vs Zydis on the same real code
// (the host libc's .text, or $MIMIC_BENCH_ELF), decoded front to back the
// way a translator walks a block.
//
//   build-x86/bench/x86_decode/x86_decode_bench
//
// "Length" runs report the cost of finding instruction boundaries and forms;
// "Full" runs include operands (for Zydis: ZydisDecoderDecodeFull).

#include "elf_text.h"

#include "mimic/x86/decode/decoder.h"

#include <Zydis/Zydis.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>

namespace {

using namespace mimic::x86;

const std::vector<uint8_t>& code() {
    static const std::vector<uint8_t> text = test::load_elf_text(test::default_code_file());
    return text;
}

void report(benchmark::State& state, size_t instructions) {
    state.SetItemsProcessed(static_cast<int64_t>(instructions));
    state.counters["ns/insn"] = benchmark::Counter(static_cast<double>(instructions) * 1e-9,
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Mimic(benchmark::State& state) {
    const auto& text = code();
    if (text.empty()) return state.SkipWithError("no code to decode");
    size_t instructions = 0;
    for (auto _ : state) {
        DecodedInsn d;
        for (size_t pos = 0; pos < text.size();) {
            // As the translator does: at most 15 bytes per call.
            decode(std::span(text.data() + pos, std::min<size_t>(kMaxInsnLength, text.size() - pos)), CpuMode::k64, d);
            benchmark::DoNotOptimize(d);
            pos += d.ok() ? d.length : 1;
            ++instructions;
        }
    }
    report(state, instructions);
}
BENCHMARK(BM_Mimic)->Unit(benchmark::kMillisecond);

void zydis_walk(benchmark::State& state, bool operands) {
    const auto& text = code();
    if (text.empty()) return state.SkipWithError("no code to decode");
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    size_t instructions = 0;
    for (auto _ : state) {
        ZydisDecoderContext context;
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        for (size_t pos = 0; pos < text.size();) {
            ZyanStatus st = ZydisDecoderDecodeInstruction(&decoder, &context, text.data() + pos, text.size() - pos, &insn);
            if (ZYAN_SUCCESS(st) && operands) {
                ZydisDecoderDecodeOperands(&decoder, &context, &insn, ops, insn.operand_count);
                benchmark::DoNotOptimize(ops);
            }
            benchmark::DoNotOptimize(insn);
            pos += ZYAN_SUCCESS(st) ? insn.length : 1;
            ++instructions;
        }
    }
    report(state, instructions);
}

void BM_ZydisLength(benchmark::State& state) { zydis_walk(state, false); }
void BM_ZydisFull(benchmark::State& state) { zydis_walk(state, true); }
BENCHMARK(BM_ZydisLength)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ZydisFull)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
