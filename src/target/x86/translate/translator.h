// Translation of one block of guest code into IR.
#pragma once

#include "dc.h"

namespace mimic::x86 {

class Translator {
public:
    // `jit`: the back end runs host code (tcg::Backend::runs_host_code),
    // so SSE may be inlined, and it finds the running block from a host
    // return address, so blocks need not record themselves in current_tb.
    Translator(tcg::Globals& globals, bool jit) : jit_(jit) { g_.declare(globals); }
    // The tcg::Executor's translate hook: IR for the code at tb.pc.
    void translate(CpuState* env, tcg::TranslationBlock& tb, tcg::Builder& b);

    static constexpr unsigned kMaxInsns = 512;

private:
    X86Globals g_;
    bool jit_;
};

}  // namespace mimic::x86
