// Translation of one block of guest code into IR.
#pragma once

#include "dc.h"

namespace mimic::x86 {

class Translator {
public:
    explicit Translator(tcg::Globals& globals) { g_.declare(globals); }
    // The tcg::Executor's translate hook: IR for the code at tb.pc.
    void translate(CpuState* env, tcg::TranslationBlock& tb, tcg::Builder& b);

    static constexpr unsigned kMaxInsns = 512;

private:
    X86Globals g_;
};

}  // namespace mimic::x86
