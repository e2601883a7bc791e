// Translation of one block of guest code into IR.
#pragma once

#include "dc.h"

namespace mimic::x86 {

class Translator {
public:
    // `inline_sse`: the back end runs host code (tcg::Backend::runs_host_code).
    Translator(tcg::Globals& globals, bool inline_sse) : inline_sse_(inline_sse) { g_.declare(globals); }
    // The tcg::Executor's translate hook: IR for the code at tb.pc.
    void translate(CpuState* env, tcg::TranslationBlock& tb, tcg::Builder& b);

    static constexpr unsigned kMaxInsns = 512;

private:
    X86Globals g_;
    bool inline_sse_;
};

}  // namespace mimic::x86
