#include "mimic/tcg/verifier.h"

#include <fmt/format.h>

#include "mimic/tcg/printer.h"
#include "mimic/tcg/tlb.h"
#include "mimic/util/error.h"

namespace mimic::tcg {

namespace {

class Verifier {
public:
    explicit Verifier(const Block& b) : b_(b) {}

    std::vector<std::string> run() {
        label_defined_.assign(b_.num_labels, false);
        label_used_.assign(b_.num_labels, false);
        for (size_t i = 0; i < b_.insts.size(); ++i) check(i, b_.insts[i]);
        for (uint32_t l = 0; l < b_.num_labels; ++l) {
            if (label_used_[l] && !label_defined_[l]) errors_.push_back(fmt::format("label L{} is never set", l));
        }
        if (b_.insts.empty()) {
            errors_.push_back("empty block");
        } else {
            const Inst& last = b_.insts.back();
            if (!(op_info(last.op).flags & kNoReturn) && last.op != Opcode::br) {
                errors_.push_back(fmt::format("block falls off its end after {}", op_name(last.op)));
            }
        }
        return std::move(errors_);
    }

private:
    template <typename... Args>
    void error(size_t i, const Inst& inst, fmt::format_string<Args...> f, Args&&... args) {
        errors_.push_back(fmt::format("op {} ({}): {}", i, op_name(inst.op), fmt::format(f, std::forward<Args>(args)...)));
    }

    bool check_temp(size_t i, const Inst& inst, const char* what, int n, uint64_t idx, char letter) {
        if (idx >= b_.temps.size()) {
            error(i, inst, "{} {} is not a temp ({})", what, n, idx);
            return false;
        }
        Type want = letter == 'i' ? Type::I32 : Type::I64;
        if (letter != '*' && b_.temps[idx].type != want) {
            error(i, inst, "{} {} ({}) is {}, expected {}", what, n, temp_name(b_, static_cast<uint32_t>(idx)),
                  b_.temps[idx].type == Type::I32 ? "I32" : "I64", want == Type::I32 ? "I32" : "I64");
        }
        return true;
    }

    void check(size_t i, const Inst& inst) {
        if (inst.op >= Opcode::kCount) {
            errors_.push_back(fmt::format("op {}: bad opcode {}", i, static_cast<unsigned>(inst.op)));
            return;
        }
        const OpInfo& info = op_info(inst.op);
        bool is_call = inst.op == Opcode::call || inst.op == Opcode::host_code;
        if (inst.op == Opcode::host_code) {
            const auto* code = reinterpret_cast<const HostCode*>(inst.n_const == 1 ? inst.cst(0) : 0);
            if (!code || inst.n_const != 1) {
                error(i, inst, "no host code");
                return;
            }
            if (inst.n_out != code->n_out || inst.n_in != code->n_in) {
                error(i, inst, "bad operand counts {}/{}/{}", inst.n_out, inst.n_in, inst.n_const);
                return;
            }
        } else if (is_call) {
            if (inst.n_out > 1 || inst.n_in > kMaxHelperArgs || inst.n_const != 1) {
                error(i, inst, "bad operand counts {}/{}/{}", inst.n_out, inst.n_in, inst.n_const);
                return;
            }
            if (inst.cst(0) == 0 || reinterpret_cast<const Helper*>(inst.cst(0))->fn == nullptr) {
                error(i, inst, "no helper function");
            }
        } else if (inst.n_out != info.outputs.size() || inst.n_in != info.inputs.size() ||
                   inst.n_const != info.consts.size()) {
            error(i, inst, "bad operand counts {}/{}/{}", inst.n_out, inst.n_in, inst.n_const);
            return;
        }
        for (int k = 0; k < inst.n_out; ++k) {
            uint64_t t = inst.args[k];
            if (!check_temp(i, inst, "output", k, t, is_call ? '*' : info.outputs[k])) continue;
            TempKind kind = b_.temps[t].kind;
            if (kind == TempKind::Const || kind == TempKind::Env) {
                error(i, inst, "output {} ({}) is read-only", k, temp_name(b_, static_cast<uint32_t>(t)));
            }
        }
        if (inst.n_out == 2 && inst.args[0] == inst.args[1]) error(i, inst, "both outputs are the same temp");
        for (int k = 0; k < inst.n_in; ++k) {
            check_temp(i, inst, "input", k, inst.args[inst.n_out + k], is_call ? '*' : info.inputs[k]);
        }
        if (!is_call) check_consts(i, inst, info);
    }

    void check_consts(size_t i, const Inst& inst, const OpInfo& info) {
        unsigned width = 0;
        if (inst.n_out) width = type_bits(b_.temps[std::min<size_t>(inst.out(0), b_.temps.size() - 1)].type);
        for (int k = 0; k < inst.n_const; ++k) {
            uint64_t v = inst.cst(k);
            switch (info.consts[k]) {
            case 'c':
                if (v >= kNumConds) error(i, inst, "bad condition {}", v);
                break;
            case 'L':
                if (v >= b_.num_labels) {
                    error(i, inst, "bad label {}", v);
                } else if (inst.op == Opcode::set_label) {
                    if (label_defined_[v]) error(i, inst, "label L{} set twice", v);
                    label_defined_[v] = true;
                } else {
                    label_used_[v] = true;
                }
                break;
            case 'm': check_memop(i, inst, v); break;
            default: break;
            }
        }
        switch (inst.op) {
        case Opcode::deposit_i32:
        case Opcode::deposit_i64:
        case Opcode::extract_i32:
        case Opcode::extract_i64:
        case Opcode::sextract_i32:
        case Opcode::sextract_i64: {
            uint64_t pos = inst.cst(0), len = inst.cst(1);
            if (len == 0 || pos >= width || len > width || pos + len > width) {
                error(i, inst, "bit field pos {} len {} outside {} bits", pos, len, width);
            }
            break;
        }
        case Opcode::goto_tb:
        case Opcode::goto_tb_guarded:
            if (inst.cst(0) > 1) {
                error(i, inst, "slot {} (only 0 and 1 exist)", inst.cst(0));
            } else {
                if (goto_tb_used_[inst.cst(0)]) error(i, inst, "slot {} used twice", inst.cst(0));
                goto_tb_used_[inst.cst(0)] = true;
            }
            break;
        case Opcode::ld_i32:
        case Opcode::ld_i64:
        case Opcode::st_i32:
        case Opcode::st_i64: check_env_access(i, inst); break;
        default: break;
        }
    }

    void check_memop(size_t i, const Inst& inst, uint64_t v) {
        bool env_access = inst.op == Opcode::ld_i32 || inst.op == Opcode::ld_i64 || inst.op == Opcode::st_i32 ||
                          inst.op == Opcode::st_i64;
        MemOp m = env_access ? static_cast<MemOp>(v) : get_memop(static_cast<MemOpIdx>(v));
        if (!memop_valid(m)) error(i, inst, "bad memop 0x{:x}", m);
        if (!env_access && get_mmu_idx(static_cast<MemOpIdx>(v)) >= kNumMmuModes) {
            error(i, inst, "bad mmu index {}", get_mmu_idx(static_cast<MemOpIdx>(v)));
        }
        // The value temp is the first operand (output for loads, input for stores).
        Type t = b_.temps[std::min<size_t>(inst.args[0], b_.temps.size() - 1)].type;
        if (t == Type::I32 && (m & kMoSizeMask) == kMo64) error(i, inst, "64-bit access with an I32 value");
    }

    void check_env_access(size_t i, const Inst& inst) {
        int64_t off = static_cast<int32_t>(inst.cst(0));
        if (static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(inst.cst(0)))) != inst.cst(0)) {
            error(i, inst, "offset 0x{:x} out of range", inst.cst(0));
            return;
        }
        int64_t end = off + memop_size(static_cast<MemOp>(inst.cst(1)));
        for (uint32_t g = 1; g < b_.num_globals(); ++g) {
            const TempInfo& t = b_.temps[g];
            int64_t gend = t.offset + (t.type == Type::I32 ? 4 : 8);
            if (off < gend && t.offset < end) {
                error(i, inst, "env offset {} overlaps global {}", off, b_.globals().name(g));
            }
        }
    }

    const Block& b_;
    std::vector<std::string> errors_;
    std::vector<bool> label_defined_, label_used_;
    bool goto_tb_used_[2] = {false, false};
};

}  // namespace

std::vector<std::string> verify(const Block& block) { return Verifier(block).run(); }

void verify_or_throw(const Block& block) {
    auto errors = verify(block);
    if (!errors.empty()) throw Error("invalid IR: {}", errors.front());
}

}  // namespace mimic::tcg
