// The IR interpreter back end: slow, simple and obviously right, so the JIT
// can be checked against it.
#include <cstring>
#include <vector>

#include "../ir/eval.h"
#include "mimic/tcg/backend.h"
#include "mimic/util/error.h"
#include "mimic/tcg/optimizer.h"

namespace mimic::tcg {

namespace {

// The insn_start data of the instruction being interpreted, for restore_state.
thread_local const uint64_t* t_insn_data = nullptr;

class Interpreter final : public Backend {
public:
    explicit Interpreter(const BackendConfig& cfg) : cfg_(cfg) {}

    const char* name() const override { return "interp"; }

    bool translate(TranslationBlock& tb, Block&& block) override {
        tb.ir_labels.assign(block.num_labels, 0);
        for (size_t i = 0; i < block.insts.size(); ++i) {
            if (block.insts[i].op == Opcode::set_label) tb.ir_labels[block.insts[i].cst(0)] = static_cast<uint32_t>(i);
        }
        tb.ir = std::make_unique<Block>(std::move(block));
        return true;
    }

    uintptr_t exec(void* env, const TranslationBlock& first) override {
        const TranslationBlock* tb = &first;
        for (;;) {
            const TranslationBlock* next = nullptr;
            uintptr_t ret = run(env, *tb, &next);
            if (!next) return ret;
            tb = next;
        }
    }

    void patch_jump(TranslationBlock&, unsigned, const TranslationBlock*, uint64_t) override {
        // goto_tb reads jmp_dest directly.
    }

    void flush() override {}

    bool restore_state(uintptr_t, uint64_t data[2]) const override {
        if (!t_insn_data) return false;
        data[0] = t_insn_data[0];
        data[1] = t_insn_data[1];
        return true;
    }

    const TranslationBlock* find_tb(uintptr_t) const override { return nullptr; }

private:
    // Runs one block; sets *next when it continues into another block.
    uintptr_t run(void* env, const TranslationBlock& tb, const TranslationBlock** next) {
        const Block& b = *tb.ir;
        vals_.resize(b.temps.size());
        char* const base = static_cast<char*>(env);
        auto read = [&](uint32_t t) -> uint64_t {
            const TempInfo& info = b.temps[t];
            switch (info.kind) {
            case TempKind::Env: return reinterpret_cast<uintptr_t>(env);
            case TempKind::Const: return info.value;
            case TempKind::Global: {
                uint64_t v = 0;
                std::memcpy(&v, base + info.offset, info.type == Type::I32 ? 4 : 8);
                return v;
            }
            case TempKind::Normal: break;
            }
            return vals_[t];
        };
        auto write = [&](uint32_t t, uint64_t v) {
            const TempInfo& info = b.temps[t];
            v &= type_mask(info.type);
            if (info.kind == TempKind::Global) {
                std::memcpy(base + info.offset, &v, info.type == Type::I32 ? 4 : 8);
            } else {
                vals_[t] = v;
            }
        };

        const size_t n = b.insts.size();
        for (size_t pc = 0; pc < n; ++pc) {
            const Inst& inst = b.insts[pc];
            uint64_t in[kMaxHelperArgs] = {};
            for (int k = 0; k < inst.n_in; ++k) in[k] = read(inst.in(k));
            switch (inst.op) {
            case Opcode::set_label: break;
            case Opcode::br: pc = tb.ir_labels[inst.cst(0)]; break;
            case Opcode::brcond_i32:
            case Opcode::brcond_i64:
                if (cond_eval(static_cast<Cond>(inst.cst(0)), b.temps[inst.in(0)].type, in[0], in[1])) {
                    pc = tb.ir_labels[inst.cst(1)];
                }
                break;
            case Opcode::insn_start: t_insn_data = &inst.args[0]; break;
            case Opcode::discard_i64: break;   // the value stays; it is just no longer needed
            case Opcode::ld_i32:
            case Opcode::ld_i64: {
                MemOp m = static_cast<MemOp>(inst.cst(1));
                uint64_t v = 0;
                std::memcpy(&v, base + static_cast<int32_t>(inst.cst(0)), memop_size(m));
                write(inst.out(0), memop_extend(m, v));
                break;
            }
            case Opcode::st_i32:
            case Opcode::st_i64: {
                MemOp m = static_cast<MemOp>(inst.cst(1));
                std::memcpy(base + static_cast<int32_t>(inst.cst(0)), &in[0], memop_size(m));
                break;
            }
            case Opcode::qemu_ld_i32:
            case Opcode::qemu_ld_i64:
                write(inst.out(0), softmmu_load(cfg_.softmmu, env, in[0], static_cast<MemOpIdx>(inst.cst(0)), 0));
                break;
            case Opcode::qemu_st_i32:
            case Opcode::qemu_st_i64:
                softmmu_store(cfg_.softmmu, env, in[1], in[0], static_cast<MemOpIdx>(inst.cst(0)), 0);
                break;
            case Opcode::guard_sext_i64: {
                const unsigned bits = static_cast<unsigned>(inst.cst(0));
                const int64_t extended = static_cast<int64_t>(in[0] << (64 - bits)) >> (64 - bits);
                if (static_cast<uint64_t>(extended) != in[0]) {
                    using Raise = void (*)(void*, uintptr_t);
                    // restore_state here answers from the instruction being
                    // interpreted; a nonzero retaddr asks it to.
                    reinterpret_cast<Raise>(const_cast<void*>(reinterpret_cast<const Helper*>(inst.cst(1))->fn))(env, 1);
                }
                break;
            }
            case Opcode::call: {
                using Fn = uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
                // Every helper takes integer arguments only, so calling it
                // through a six-argument pointer matches the SysV ABI.
                auto fn = reinterpret_cast<Fn>(const_cast<void*>(reinterpret_cast<const Helper*>(inst.cst(0))->fn));
                uint64_t r = fn(in[0], in[1], in[2], in[3], in[4], in[5]);
                if (inst.n_out) write(inst.out(0), r);
                break;
            }
            case Opcode::host_code:
                // runs_host_code() is false: front ends emit helpers instead.
                throw Error("the IR interpreter does not run host code ({})",
                            reinterpret_cast<const HostCode*>(inst.cst(0))->name);
            case Opcode::exit_tb: return static_cast<uintptr_t>(inst.cst(0));
            case Opcode::push_return:
                break;   // returns are looked up: no return stack here
            case Opcode::goto_tb_guarded:
                break;   // never linked here: the TLB check is the JIT's
            case Opcode::goto_tb:
                if (const TranslationBlock* dest = tb.jmp_dest[inst.cst(0)]) {
                    *next = dest;
                    return 0;
                }
                break;
            case Opcode::lookup_and_goto_ptr:
            case Opcode::lookup_and_goto_ptr_pc: {
                TranslationBlock* dest = cfg_.lookup_tb ? cfg_.lookup_tb(env) : nullptr;
                if (dest) *next = dest;
                return 0;
            }
            default: {
                uint64_t out[2] = {0, 0};
                // Invalid div/rem inputs leave 0: the IR gives them no meaning.
                eval_pure(inst, in, out);
                for (int k = 0; k < inst.n_out; ++k) write(inst.out(k), out[k]);
                break;
            }
            }
        }
        return 0;
    }

    BackendConfig cfg_;
    std::vector<uint64_t> vals_;
};

}  // namespace

std::unique_ptr<Backend> make_interpreter_backend(const BackendConfig& config) {
    return std::make_unique<Interpreter>(config);
}

}  // namespace mimic::tcg
