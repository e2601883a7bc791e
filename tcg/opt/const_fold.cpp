// Constant folding and algebraic simplification, per basic block; with it,
// which 64-bit values are known zero-extended from 32 bits, so that
// zero-extensions of them become moves.
#include <algorithm>
#include <optional>
#include <vector>

#include "../ir/eval.h"
#include "mimic/tcg/optimizer.h"

namespace mimic::tcg {

namespace {

class Folder {
public:
    explicit Folder(Block& b) : b_(b), known_(b.temps.size()), zext_(b.temps.size()) {}

    void run() {
        std::vector<Inst> out;
        out.reserve(b_.insts.size());
        for (Inst inst : b_.insts) {
            if (b_.temps.size() > known_.size()) known_.resize(b_.temps.size());
            if (b_.temps.size() > zext_.size()) zext_.resize(b_.temps.size());
            const OpInfo& info = op_info(inst.op);
            if (inst.op == Opcode::set_label) forget_all();
            substitute_inputs(inst);
            if (inst.op == Opcode::call) {
                // Its result is unknown; helpers that write globals change them.
                uint32_t f = reinterpret_cast<const Helper*>(inst.cst(0))->flags;
                if (!(f & kHelperNoWriteGlobals)) forget_globals();
            }
            if ((info.flags & kPure) && simplify(inst, out)) continue;
            if (inst.op == Opcode::brcond_i32 || inst.op == Opcode::brcond_i64) {
                if (b_.is_const(inst.in(0)) && b_.is_const(inst.in(1))) {
                    Type t = b_.temps[inst.in(0)].type;
                    bool taken = cond_eval(static_cast<Cond>(inst.cst(0)), t, value(inst.in(0)), value(inst.in(1)));
                    if (taken) out.push_back(make(Opcode::br, {}, {}, {inst.cst(1)}));
                    // Not taken: the branch disappears.
                    continue;
                }
            }
            const bool z = zero_extended_result(inst);
            for (int k = 0; k < inst.n_out; ++k) known_[inst.out(k)].reset();
            for (int k = 0; k < inst.n_out; ++k) zext_[inst.out(k)] = z;
            out.push_back(inst);
        }
        b_.insts = std::move(out);
    }

private:
    static Inst make(Opcode op, std::initializer_list<uint32_t> outs, std::initializer_list<uint32_t> ins,
                     std::initializer_list<uint64_t> consts) {
        Inst inst;
        inst.op = op;
        inst.n_out = static_cast<uint8_t>(outs.size());
        inst.n_in = static_cast<uint8_t>(ins.size());
        inst.n_const = static_cast<uint8_t>(consts.size());
        int i = 0;
        for (auto v : outs) inst.args[i++] = v;
        for (auto v : ins) inst.args[i++] = v;
        for (auto v : consts) inst.args[i++] = v;
        return inst;
    }

    uint64_t value(uint32_t t) const { return b_.temps[t].value; }

    void forget_all() {
        for (auto& k : known_) k.reset();
        std::fill(zext_.begin(), zext_.end(), false);
    }
    void forget_globals() {
        for (uint32_t g = 1; g < b_.num_globals(); ++g) known_[g].reset(), zext_[g] = false;
    }

    // Whether temp t holds a value below 2^32.
    bool zext(uint32_t t) const { return b_.is_const(t) ? value(t) <= 0xffffffffull : bool(zext_[t]); }

    // Whether the (I64) result of inst is below 2^32.
    bool zero_extended_result(const Inst& inst) const {
        if (inst.n_out != 1 || b_.temps[inst.out(0)].type != Type::I64) return false;
        auto small_load = [](MemOp m) { return memop_size(m) <= 4 && !(m & kMoSign); };
        switch (inst.op) {
        case Opcode::ext32u_i64: case Opcode::extu_i32_i64: case Opcode::ext8u_i64: case Opcode::ext16u_i64:
        case Opcode::setcond_i64:
            return true;
        case Opcode::qemu_ld_i64: return small_load(get_memop(static_cast<MemOpIdx>(inst.cst(0))));
        case Opcode::ld_i64: return small_load(static_cast<MemOp>(inst.cst(1)));
        case Opcode::mov_i64: return zext(inst.in(0));
        case Opcode::and_i64: return zext(inst.in(0)) || zext(inst.in(1));
        case Opcode::or_i64: case Opcode::xor_i64: return zext(inst.in(0)) && zext(inst.in(1));
        case Opcode::shr_i64:
            return zext(inst.in(0)) || (b_.is_const(inst.in(1)) && (value(inst.in(1)) & 63) >= 32);
        case Opcode::extract_i64: return inst.cst(1) <= 32;
        default: return false;
        }
    }

    void substitute_inputs(Inst& inst) {
        for (int k = 0; k < inst.n_in; ++k) {
            uint32_t t = inst.in(k);
            if (known_[t]) inst.set_in(k, b_.new_const(b_.temps[t].type, *known_[t]));
        }
    }

    // Replaces `inst` (writing `d`) by a move of constant v.
    void emit_const(uint32_t d, uint64_t v, std::vector<Inst>& out) {
        Type t = b_.temps[d].type;
        v &= type_mask(t);
        uint32_t c = b_.new_const(t, v);
        if (b_.temps.size() > known_.size()) known_.resize(b_.temps.size());
        out.push_back(make(t == Type::I32 ? Opcode::mov_i32 : Opcode::mov_i64, {d}, {c}, {}));
        known_[d] = v;
        zext_[d] = v <= 0xffffffffull;
    }
    void emit_mov(uint32_t d, uint32_t s, std::vector<Inst>& out) {
        Type t = b_.temps[d].type;
        const bool z = zext(s);
        out.push_back(make(t == Type::I32 ? Opcode::mov_i32 : Opcode::mov_i64, {d}, {s}, {}));
        known_[d].reset();
        zext_[d] = z;
        if (b_.is_const(s)) known_[d] = value(s);
    }

    // Returns true when inst was replaced by simpler instructions in `out`.
    bool simplify(Inst& inst, std::vector<Inst>& out) {
        bool all_const = true;
        uint64_t in[4] = {};
        for (int k = 0; k < inst.n_in; ++k) {
            if (!b_.is_const(inst.in(k))) all_const = false;
            in[k] = value(inst.in(k));
        }
        if (all_const) {
            uint64_t res[2];
            if (eval_pure(inst, in, res)) {
                for (int k = 0; k < inst.n_out; ++k) emit_const(inst.out(k), res[k], out);
                return true;
            }
            return false;
        }
        if (inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) {
            known_[inst.out(0)].reset();
            return false;
        }
        if (inst.n_out != 1 || inst.n_in != 2 || inst.n_const != 0) return simplify_other(inst, out);

        // Constants second in commutative operations: back ends take them
        // as immediates there.
        switch (inst.op) {
        case Opcode::add_i32: case Opcode::add_i64: case Opcode::mul_i32: case Opcode::mul_i64:
        case Opcode::and_i32: case Opcode::and_i64: case Opcode::or_i32: case Opcode::or_i64:
        case Opcode::xor_i32: case Opcode::xor_i64:
            if (b_.is_const(inst.in(0)) && !b_.is_const(inst.in(1))) {
                const uint32_t c = inst.in(0);
                inst.set_in(0, inst.in(1));
                inst.set_in(1, c);
            }
            break;
        default: break;
        }
        const uint32_t d = inst.out(0), a = inst.in(0), b = inst.in(1);
        const Type t = b_.temps[d].type;
        const uint64_t ones = type_mask(t);
        const bool bc = b_.is_const(b), ac = b_.is_const(a);
        const uint64_t bv = bc ? value(b) : 0, av = ac ? value(a) : 0;
        switch (inst.op) {
        case Opcode::add_i32: case Opcode::add_i64:
        case Opcode::or_i32: case Opcode::or_i64:
        case Opcode::xor_i32: case Opcode::xor_i64:
            if (bc && bv == 0) return emit_mov(d, a, out), true;
            if (ac && av == 0) return emit_mov(d, b, out), true;
            break;
        case Opcode::sub_i32: case Opcode::sub_i64:
        case Opcode::shl_i32: case Opcode::shl_i64:
        case Opcode::shr_i32: case Opcode::shr_i64:
        case Opcode::sar_i32: case Opcode::sar_i64:
        case Opcode::rotl_i32: case Opcode::rotl_i64:
        case Opcode::rotr_i32: case Opcode::rotr_i64:
        case Opcode::andc_i32: case Opcode::andc_i64:
            if (bc && (bv & (inst.op == Opcode::sub_i32 || inst.op == Opcode::sub_i64 ||
                                     inst.op == Opcode::andc_i32 || inst.op == Opcode::andc_i64
                                 ? ones
                                 : type_bits(t) - 1)) == 0) {
                return emit_mov(d, a, out), true;
            }
            break;
        case Opcode::mul_i32: case Opcode::mul_i64:
            if ((bc && bv == 0) || (ac && av == 0)) return emit_const(d, 0, out), true;
            if (bc && bv == 1) return emit_mov(d, a, out), true;
            if (ac && av == 1) return emit_mov(d, b, out), true;
            break;
        case Opcode::and_i32: case Opcode::and_i64:
            if ((bc && bv == 0) || (ac && av == 0)) return emit_const(d, 0, out), true;
            if (bc && bv == ones) return emit_mov(d, a, out), true;
            if (ac && av == ones) return emit_mov(d, b, out), true;
            // Masks that are zero-extensions: one move on the host.
            if (bc && (bv == 0xff || bv == 0xffff || (t == Type::I64 && bv == 0xffffffff))) {
                const bool wide = t == Type::I64;
                const Opcode op = bv == 0xff ? (wide ? Opcode::ext8u_i64 : Opcode::ext8u_i32)
                                  : bv == 0xffff ? (wide ? Opcode::ext16u_i64 : Opcode::ext16u_i32)
                                                 : Opcode::ext32u_i64;
                if (op == Opcode::ext32u_i64 && zext(a)) return emit_mov(d, a, out), true;
                out.push_back(make(op, {d}, {a}, {}));
                known_[d].reset();
                zext_[d] = true;
                return true;
            }
            break;
        default: break;
        }
        if (a == b) {
            switch (inst.op) {
            case Opcode::sub_i32: case Opcode::sub_i64:
            case Opcode::xor_i32: case Opcode::xor_i64:
            case Opcode::andc_i32: case Opcode::andc_i64: return emit_const(d, 0, out), true;
            case Opcode::and_i32: case Opcode::and_i64:
            case Opcode::or_i32: case Opcode::or_i64: return emit_mov(d, a, out), true;
            default: break;
            }
        }
        if (inst.op == Opcode::or_i32 || inst.op == Opcode::or_i64) {
            if ((bc && bv == ones) || (ac && av == ones)) return emit_const(d, ones, out), true;
        }
        return false;
    }

    bool simplify_other(Inst& inst, std::vector<Inst>& out) {
        if (inst.op == Opcode::ext32u_i64 && zext(inst.in(0))) return emit_mov(inst.out(0), inst.in(0), out), true;
        if (inst.op == Opcode::movcond_i32 || inst.op == Opcode::movcond_i64) {
            const uint32_t d = inst.out(0);
            if (inst.in(2) == inst.in(3)) return emit_mov(d, inst.in(2), out), true;
            if (b_.is_const(inst.in(0)) && b_.is_const(inst.in(1))) {
                Type t = b_.temps[d].type;
                bool c = cond_eval(static_cast<Cond>(inst.cst(0)), t, value(inst.in(0)), value(inst.in(1)));
                return emit_mov(d, c ? inst.in(2) : inst.in(3), out), true;
            }
        }
        return false;
    }

    Block& b_;
    std::vector<std::optional<uint64_t>> known_;
    std::vector<bool> zext_;
};

}  // namespace

void fold_constants(Block& block) { Folder(block).run(); }

}  // namespace mimic::tcg
