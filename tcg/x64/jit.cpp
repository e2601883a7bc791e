// The x86-64 JIT back end: code buffer, shared prologue/epilogue, block
// compilation, chaining patches and host-pc -> guest-state mapping.
//
// Generated code runs on the stack frame the prologue sets up: callee-saved
// registers pushed, kFrameSize bytes of spill slots, env in r14. Chained
// blocks jump to each other inside that one frame; every exit jumps to the
// shared epilogue. Nothing in generated code needs C++ unwinding: a helper
// raising a guest exception siglongjmps to the cpu loop, which restores the
// callee-saved registers from its jmp_buf.
#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include <algorithm>
#include <atomic>

#include "disasm.h"
#include "emitter.h"
#include "perf_map.h"
#include "mimic/tcg/backend.h"
#include "mimic/tcg/code_buffer.h"
#include "mimic/tcg/optimizer.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::tcg {

namespace {

using namespace Xbyak;
using namespace Xbyak::util;

class Jit final : public Backend {
public:
    explicit Jit(const BackendConfig& cfg)
        : cfg_(cfg), buf_(cfg.code_buffer_size ? cfg.code_buffer_size : CodeBuffer::default_size()), gen_(buf_.size(), buf_.base()) {
        if (!Xbyak::util::Cpu().has(Xbyak::util::Cpu::tPOPCNT)) throw Error("the JIT needs a host with popcnt");
        emit_prologue();
    }

    const char* name() const override { return "jit"; }
    // The code buffer fills first: no block is smaller than this.
    size_t max_blocks() const override { return buf_.size() / 64; }

    bool translate(TranslationBlock& tb, Block&& block) override {
        if (!block.liveness_fresh) compute_liveness(block);
        tb.insns.clear();
        for (unsigned n = 0; n < kNumJumpSlots; ++n) {
            tb.jmp_patch[n] = tb.jmp_reset[n] = tb.jmp_guard[n] = kNoJump;
        }
        uint8_t* start = buf_.cursor();
        size_t size = 0;
        try {
            // One assembler for the whole buffer: a fresh one per block
            // cost its set-up and tear-down every time.
            gen_.setSize(buf_.used());
            x64::Emitter(gen_, block, tb, rt_, buf_.used(), storage_).emit_block();
            size = gen_.getSize() - buf_.used();
        } catch (const Xbyak::Error& e) {
            if (static_cast<int>(e) == ERR_CODE_IS_TOO_BIG) return false;
            throw Error("x86-64 back end: {}", e.what());
        }
        tb.code = start;
        tb.code_size = static_cast<uint32_t>(size);
        buf_.commit(size);
        tbs_.push_back(&tb);
        perf_map_.add(start, size, tb.pc, tb.flags);
        if (log::enabled_at(log::kOutAsm, tb.pc))
            log::write(fmt::format("OUT: [size={}]\n{}\n", size, x64::disassemble(start, size)));
        return true;
    }

    uintptr_t exec(void* env, const TranslationBlock& tb) override { return entry_(env, tb.code); }

    void patch_jump(TranslationBlock& tb, unsigned slot, const TranslationBlock* dest, uint64_t token) override {
        if (tb.jmp_patch[slot] == kNoJump) return;
        if (dest && tb.jmp_guard[slot] != kNoJump) {
            // The token before the jump that trusts it; 8-byte aligned (see
            // goto_tb_guarded), so this store is atomic too.
            auto* field = reinterpret_cast<uint64_t*>(const_cast<uint8_t*>(tb.code) + tb.jmp_guard[slot]);
            __atomic_store_n(field, token, __ATOMIC_RELEASE);
        }
        const uint8_t* target = dest && dest->code ? dest->code : tb.code + tb.jmp_reset[slot];
        uint8_t* field = const_cast<uint8_t*>(tb.code) + tb.jmp_patch[slot];
        int32_t rel = static_cast<int32_t>(target - (field + 4));
        // The field is 4-byte aligned (see goto_tb), so this store is atomic.
        __atomic_store_n(reinterpret_cast<int32_t*>(field), rel, __ATOMIC_RELEASE);
    }

    void flush() override {
        gen_.reset();   // also restarts its label numbering
        buf_.reset(prologue_size_);
        tbs_.clear();
    }

    const TranslationBlock* find_tb(uintptr_t host_pc) const override {
        if (!buf_.contains(host_pc)) return nullptr;
        // Blocks are laid out in translation order, so tbs_ is sorted by address.
        auto it = std::upper_bound(tbs_.begin(), tbs_.end(), host_pc, [](uintptr_t pc, const TranslationBlock* tb) {
            return pc < reinterpret_cast<uintptr_t>(tb->code);
        });
        if (it == tbs_.begin()) return nullptr;
        const TranslationBlock* tb = *(it - 1);
        if (host_pc >= reinterpret_cast<uintptr_t>(tb->code) + tb->code_size) return nullptr;
        return tb;
    }

    bool restore_state(uintptr_t retaddr, uint64_t data[2]) const override {
        const TranslationBlock* tb = find_tb(retaddr);
        if (!tb) return false;
        // retaddr points just past the start of the faulting op's code, so
        // the instruction whose code starts before it is the one.
        uint32_t off = static_cast<uint32_t>(retaddr - reinterpret_cast<uintptr_t>(tb->code));
        const TranslationBlock::InsnStart* found = nullptr;
        for (const auto& insn : tb->insns) {
            if (insn.host_offset < off) found = &insn;
        }
        if (!found) return false;
        data[0] = found->data[0];
        data[1] = found->data[1];
        return true;
    }

    bool runs_host_code() const override { return true; }
    double code_fill() const override { return double(buf_.used()) / double(buf_.size()); }

private:
    x64::PerfMap perf_map_;
    using EntryFn = uintptr_t (*)(void* env, const void* code);

    static const void* lookup(const void* jit, void* env) {
        auto* self = static_cast<const Jit*>(jit);
        if (self->cfg_.lookup_code) {
            const void* code = self->cfg_.lookup_code(env);
            return code ? code : self->rt_.epilogue_zero;
        }
        TranslationBlock* tb = self->cfg_.lookup_tb ? self->cfg_.lookup_tb(env) : nullptr;
        return tb && tb->code ? tb->code : self->rt_.epilogue_zero;
    }

    void emit_prologue() {
        static constexpr int kSaved[] = {Operand::RBX, Operand::RBP, Operand::R12,
                                         Operand::R13, Operand::R14, Operand::R15};
        // Entry rsp is 8 mod 16; six pushes keep it so; the frame restores 16.
        constexpr int kFrame = x64::kFrameSize + 8;
        CodeGenerator gen(buf_.remaining(), buf_.cursor());
        entry_ = reinterpret_cast<EntryFn>(const_cast<uint8_t*>(gen.getCurr()));
        for (int r : kSaved) gen.push(Reg64(r));
        gen.sub(rsp, kFrame);
        gen.mov(Reg64(x64::kEnvReg), rdi);
        gen.jmp(rsi);
        rt_.epilogue_zero = gen.getCurr();
        gen.xor_(eax, eax);
        rt_.epilogue = gen.getCurr();
        gen.add(rsp, kFrame);
        for (int i = 5; i >= 0; --i) gen.pop(Reg64(kSaved[i]));
        gen.ret();
        prologue_size_ = (gen.getSize() + 15) & ~size_t{15};
        buf_.commit(gen.getSize());
        rt_.lookup = &Jit::lookup;
        rt_.jit = this;
        rt_.config = &cfg_;
        rt_.bmi1 = cfg_.use_bmi1 && Xbyak::util::Cpu().has(Xbyak::util::Cpu::tBMI1);
    }

    BackendConfig cfg_;
    CodeBuffer buf_;
    CodeGenerator gen_;
    x64::JitRuntime rt_;
    x64::EmitterStorage storage_;   // the emitter's tables, reused by every block
    EntryFn entry_ = nullptr;
    size_t prologue_size_ = 0;
    std::vector<const TranslationBlock*> tbs_;
};

}  // namespace

std::unique_ptr<Backend> make_jit_backend(const BackendConfig& config) { return std::make_unique<Jit>(config); }

}  // namespace mimic::tcg
