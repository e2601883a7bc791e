// Names generated code for Linux perf: with MIMIC_PERF_MAP=1 in the
// environment, every translated block is listed in /tmp/perf-PID.map as
// "tb_<guest pc>_<flags>", so `perf report` attributes JIT samples to guest
// code instead of one anonymous region.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace mimic::tcg::x64 {

class PerfMap {
public:
    PerfMap();
    ~PerfMap();
    PerfMap(const PerfMap&) = delete;
    PerfMap& operator=(const PerfMap&) = delete;

    void add(const void* code, size_t size, uint64_t guest_pc, uint32_t flags);

private:
    std::FILE* file_ = nullptr;
};

}  // namespace mimic::tcg::x64
