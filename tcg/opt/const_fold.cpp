// Constant folding and algebraic simplification, per basic block; with it,
// how many low bits of each value can be non-zero, so that zero-extensions
// and masks of values already that narrow (a byte load, a flag) become moves;
// and which values are the 0/1 result of a comparison whose operands still
// hold, so that a movcond or brcond testing that flag against zero tests the
// comparison itself (a guest CMOVcc or SETcc+TEST: one host cmp, not four
// instructions to make and test a byte).
#include <algorithm>
#include <array>
#include <bit>
#include <optional>
#include <vector>

#include "../ir/eval.h"
#include "copy_table.h"
#include "mimic/tcg/optimizer.h"

namespace mimic::tcg {

namespace {

// What an extension opcode keeps of its input: the low `bits` (8, 16 or 32),
// zero- or sign-extended.
struct Extension {
    unsigned bits = 0;   // 0: not an extension
    bool sign = false;
};
// A table by opcode: the folder asks about every instruction, several times.
constexpr auto kExtensions = [] {
    std::array<Extension, static_cast<size_t>(Opcode::kCount)> t{};
    auto set = [&t](Opcode op, unsigned bits, bool sign) { t[static_cast<size_t>(op)] = Extension{bits, sign}; };
    set(Opcode::ext8u_i32, 8, false), set(Opcode::ext8u_i64, 8, false);
    set(Opcode::ext8s_i32, 8, true), set(Opcode::ext8s_i64, 8, true);
    set(Opcode::ext16u_i32, 16, false), set(Opcode::ext16u_i64, 16, false);
    set(Opcode::ext16s_i32, 16, true), set(Opcode::ext16s_i64, 16, true);
    set(Opcode::ext32u_i64, 32, false);
    set(Opcode::ext32s_i64, 32, true);
    return t;
}();
// Plain (bits 0 for other ops) rather than std::optional: the folder's
// hottest spot was the store-forwarding stall of building the optional.
inline Extension extension_of(Opcode op) { return kExtensions[static_cast<size_t>(op)]; }

// The opcode extending the low `bits` of a value of the given width, if
// there is one.
std::optional<Opcode> extension_op(unsigned bits, bool sign, bool wide) {
    switch (bits) {
    case 8: return wide ? (sign ? Opcode::ext8s_i64 : Opcode::ext8u_i64) : (sign ? Opcode::ext8s_i32 : Opcode::ext8u_i32);
    case 16:
        return wide ? (sign ? Opcode::ext16s_i64 : Opcode::ext16u_i64) : (sign ? Opcode::ext16s_i32 : Opcode::ext16u_i32);
    case 32:
        if (!wide) return std::nullopt;
        return sign ? Opcode::ext32s_i64 : Opcode::ext32u_i64;
    default: return std::nullopt;
    }
}

class Folder {
public:
    // One per thread, reused: its per-temp tables keep their storage from
    // one block to the next.
    static Folder& for_this_thread() {
        static thread_local Folder folder;
        return folder;
    }

    void run(Block& block) {
        b_ = &block;
        known_.assign(block.temps.size(), std::nullopt);
        width_.assign(block.temps.size(), kUnknownWidth);
        flag_of_.assign(block.temps.size(), kNoFlag);
        touched_.clear();
        extensions_.clear();
        low_parts_.clear();
        comparisons_.clear();
        copies_.reset(block.temps.size());
        fold();
    }

private:
    void fold() {
        std::vector<Inst>& out = b_->spare_insts;
        out.clear();
        out.reserve(b_->insts.size());
        for (Inst inst : b_->insts) {
            if (b_->temps.size() > known_.size()) known_.resize(b_->temps.size());
            if (b_->temps.size() > width_.size()) width_.resize(b_->temps.size(), kUnknownWidth);
            if (b_->temps.size() > flag_of_.size()) flag_of_.resize(b_->temps.size(), kNoFlag);
            copies_.grow(b_->temps.size());
            const OpInfo& info = op_info(inst.op);
            if (inst.op == Opcode::set_label) forget_all();
            substitute_inputs(inst);
            test_comparison_directly(inst);
            extend_the_low_part(inst);
            if (inst.op == Opcode::call) {
                // Its result is unknown; helpers that write globals change them.
                uint32_t f = reinterpret_cast<const Helper*>(inst.cst(0))->flags;
                if (!(f & kHelperNoWriteGlobals)) forget_globals();
            }
            if ((info.flags & kPure) && simplify(inst, out)) continue;
            if (const uint32_t same = earlier_extension(inst); same != kNoTemp) {
                emit_mov(inst.out(0), copies_.source(same), out);
                continue;
            }
            if (inst.op == Opcode::brcond_i32 || inst.op == Opcode::brcond_i64) {
                if (b_->is_const(inst.in(0)) && b_->is_const(inst.in(1))) {
                    Type t = b_->temps[inst.in(0)].type;
                    bool taken = cond_eval(static_cast<Cond>(inst.cst(0)), t, value(inst.in(0)), value(inst.in(1)));
                    if (taken) out.push_back(make(Opcode::br, {}, {}, {inst.cst(1)}));
                    // Not taken: the branch disappears.
                    continue;
                }
            }
            if ((inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) &&
                computed_into_global(inst.out(0), inst.in(0), out))
                continue;
            const uint8_t w = result_width(inst);
            const int32_t flag = flag_result(inst);
            for (int k = 0; k < inst.n_out; ++k) known_[inst.out(k)].reset();
            for (int k = 0; k < inst.n_out; ++k) width_[inst.out(k)] = w, touched_.push_back(inst.out(k));
            for (int k = 0; k < inst.n_out; ++k) overwritten(inst.out(k));
            if (flag != kNoFlag) flag_of_[inst.out(0)] = flag;
            note_extension(inst);
            note_low_part(inst);
            if ((inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) && inst.out(0) != inst.in(0) &&
                !b_->is_const(inst.in(0)))
                copies_.copied(inst.out(0), inst.in(0));
            out.push_back(inst);
        }
        b_->insts.swap(out);
    }

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

    uint64_t value(uint32_t t) const { return b_->temps[t].value; }

    // Width of a value nothing is known about (its type's width caps it).
    static constexpr uint8_t kUnknownWidth = 64;

    // At a label: only the temps written since the last one know anything
    // (blocks have hundreds of temps and dozens of labels).
    void forget_all() {
        for (uint32_t t : touched_) {
            known_[t].reset();
            width_[t] = kUnknownWidth;
            flag_of_[t] = kNoFlag;
        }
        touched_.clear();
        comparisons_.clear();
        extensions_.clear();
        low_parts_.clear();
        copies_.forget_all();
    }
    void forget_globals() {
        for (uint32_t g = 1; g < b_->num_globals(); ++g) known_[g].reset(), width_[g] = kUnknownWidth, overwritten(g);
    }

    // A comparison some temps hold the 0/1 result of, while its operands
    // are unchanged.
    struct Comparison {
        Cond cond;
        Type type;
        uint32_t a, b;
        bool valid;
    };
    static constexpr int32_t kNoFlag = -1;

    // Temp t gets a new value: it no longer holds a flag, and comparisons
    // reading it no longer describe any flag.
    void overwritten(uint32_t t) {
        copies_.written(t);
        flag_of_[t] = kNoFlag;
        for (Comparison& c : comparisons_) {
            if (c.a == t || c.b == t) c.valid = false;
        }
        std::erase_if(extensions_, [t](const RecentExtension& e) { return e.src == t || e.dst == t; });
        std::erase_if(low_parts_, [t](const LowPart& p) { return p.whole == t || p.part == t; });
    }

    // Sign and zero extensions made in this basic block, whose source and
    // result are unchanged: the same extension again is a move (x86 code
    // zero-extends the same 32-bit register for each instruction using it).
    struct RecentExtension {
        Opcode op;
        uint32_t src, dst;
    };
    static constexpr uint32_t kNoTemp = ~0u;
    static constexpr size_t kMaxExtensions = 8;   // the recent ones are the ones reused

    static bool is_extension(Opcode op) { return extension_of(op).bits != 0; }
    uint32_t earlier_extension(const Inst& inst) const {
        if (!is_extension(inst.op) || b_->is_const(inst.in(0))) return kNoTemp;
        for (const RecentExtension& e : extensions_) {
            if (e.op == inst.op && e.src == inst.in(0)) return e.dst;
        }
        return kNoTemp;
    }
    // Values whose low `len` bits are another's: the result of a deposit at
    // bit 0 (x86's SETcc and byte/word moves into a register). An
    // extension no wider than that reads the other value instead, so
    // `setb al; movzx eax, al` is a move of the comparison's 0/1.
    struct LowPart {
        uint32_t whole, part;
        unsigned len;
    };
    static constexpr size_t kMaxLowParts = 8;
    void note_low_part(const Inst& inst) {
        if ((inst.op != Opcode::deposit_i32 && inst.op != Opcode::deposit_i64) || inst.cst(0) != 0) return;
        if (inst.out(0) == inst.in(1) || b_->is_const(inst.in(1))) return;
        if (low_parts_.size() == kMaxLowParts) low_parts_.erase(low_parts_.begin());
        low_parts_.push_back({inst.out(0), inst.in(1), static_cast<unsigned>(inst.cst(1))});
    }
    void extend_the_low_part(Inst& inst) {
        const Extension ext = extension_of(inst.op);
        if (!ext.bits) return;
        for (const LowPart& p : low_parts_) {
            if (p.whole == inst.in(0) && ext.bits <= p.len && b_->temps[p.part].type == b_->temps[p.whole].type) {
                inst.set_in(0, p.part);
                return;
            }
        }
    }

    void note_extension(const Inst& inst) {
        if (!is_extension(inst.op) || inst.out(0) == inst.in(0) || b_->is_const(inst.in(0))) return;
        if (extensions_.size() == kMaxExtensions) extensions_.erase(extensions_.begin());
        extensions_.push_back({inst.op, inst.in(0), inst.out(0)});
    }

    // The comparison whose 0/1 result inst's output holds, if any.
    int32_t flag_result(const Inst& inst) {
        switch (inst.op) {
        case Opcode::setcond_i32: case Opcode::setcond_i64: {
            const uint32_t d = inst.out(0), a = inst.in(0), b = inst.in(1);
            if (d == a || d == b) return kNoFlag;   // the comparison dies as it is made
            comparisons_.push_back({static_cast<Cond>(inst.cst(0)), b_->temps[a].type, a, b, true});
            return static_cast<int32_t>(comparisons_.size() - 1);
        }
        case Opcode::mov_i32: case Opcode::mov_i64: case Opcode::extu_i32_i64: case Opcode::extrl_i64_i32:
        case Opcode::ext8u_i32: case Opcode::ext8u_i64: case Opcode::ext16u_i32: case Opcode::ext16u_i64:
        case Opcode::ext32u_i64: {
            const int32_t flag = flag_of_[inst.in(0)];
            return flag != kNoFlag && comparisons_[flag].valid ? flag : kNoFlag;
        }
        default: return kNoFlag;
        }
    }

    // movcond/brcond on (flag != 0) or (flag == 0): on the comparison.
    void test_comparison_directly(Inst& inst) {
        const bool is_movcond = inst.op == Opcode::movcond_i32 || inst.op == Opcode::movcond_i64;
        const bool is_brcond = inst.op == Opcode::brcond_i32 || inst.op == Opcode::brcond_i64;
        if (!is_movcond && !is_brcond) return;
        const Cond test = static_cast<Cond>(inst.cst(0));
        if ((test != Cond::Ne && test != Cond::Eq) || !b_->is_const(inst.in(1)) || value(inst.in(1)) != 0) return;
        const int32_t flag = flag_of_[inst.in(0)];
        if (flag == kNoFlag || !comparisons_[flag].valid) return;
        const Comparison& c = comparisons_[flag];
        if (is_movcond) {
            // movcond compares values of its own type.
            if (c.type != b_->temps[inst.out(0)].type) return;
        } else {
            inst.op = c.type == Type::I64 ? Opcode::brcond_i64 : Opcode::brcond_i32;
        }
        inst.set_in(0, c.a);
        inst.set_in(1, c.b);
        inst.args[inst.n_out + inst.n_in] = static_cast<uint64_t>(test == Cond::Ne ? c.cond : cond_invert(c.cond));
    }

    static uint8_t width_of_value(uint64_t v) { return static_cast<uint8_t>(std::max<uint64_t>(1, std::bit_width(v))); }

    // How many low bits of temp t can be non-zero.
    unsigned width(uint32_t t) const {
        const unsigned type_width = type_bits(b_->temps[t].type);
        return std::min<unsigned>(b_->is_const(t) ? width_of_value(value(t)) : width_[t], type_width);
    }

    // How many low bits of the result of inst can be non-zero.
    uint8_t result_width(const Inst& inst) const {
        if (inst.n_out != 1) return kUnknownWidth;
        auto load_width = [](MemOp m) -> uint8_t {
            return (m & kMoSign) ? kUnknownWidth : static_cast<uint8_t>(8 * memop_size(m));
        };
        switch (inst.op) {
        case Opcode::ext8u_i32: case Opcode::ext8u_i64: return 8;
        case Opcode::ext16u_i32: case Opcode::ext16u_i64: return 16;
        case Opcode::ext32u_i64: return static_cast<uint8_t>(std::min(32u, width(inst.in(0))));
        case Opcode::extu_i32_i64: return static_cast<uint8_t>(width(inst.in(0)));
        case Opcode::setcond_i32: case Opcode::setcond_i64: return 1;
        case Opcode::qemu_ld_i32: case Opcode::qemu_ld_i64:
            return load_width(get_memop(static_cast<MemOpIdx>(inst.cst(0))));
        case Opcode::ld_i32: case Opcode::ld_i64: return load_width(static_cast<MemOp>(inst.cst(1)));
        case Opcode::mov_i32: case Opcode::mov_i64: return static_cast<uint8_t>(width(inst.in(0)));
        case Opcode::and_i32: case Opcode::and_i64:
            return static_cast<uint8_t>(std::min(width(inst.in(0)), width(inst.in(1))));
        case Opcode::or_i32: case Opcode::or_i64: case Opcode::xor_i32: case Opcode::xor_i64:
            return static_cast<uint8_t>(std::max(width(inst.in(0)), width(inst.in(1))));
        case Opcode::shr_i32: case Opcode::shr_i64: {
            const unsigned w = width(inst.in(0));
            if (!b_->is_const(inst.in(1))) return static_cast<uint8_t>(w);
            const unsigned shift = static_cast<unsigned>(value(inst.in(1)) & (type_bits(b_->temps[inst.out(0)].type) - 1));
            return static_cast<uint8_t>(w > shift ? w - shift : 1);
        }
        case Opcode::extract_i32: case Opcode::extract_i64: return static_cast<uint8_t>(inst.cst(1));
        default: return kUnknownWidth;
        }
    }

    void substitute_inputs(Inst& inst) {
        for (int k = 0; k < inst.n_in; ++k) {
            const uint32_t t = copies_.source(inst.in(k));
            inst.set_in(k, t);
            if (known_[t]) inst.set_in(k, b_->new_const(b_->temps[t].type, *known_[t]));
        }
    }

    // Replaces `inst` (writing `d`) by a move of constant v.
    void emit_const(uint32_t d, uint64_t v, std::vector<Inst>& out) {
        Type t = b_->temps[d].type;
        v &= type_mask(t);
        uint32_t c = b_->new_const(t, v);
        if (b_->temps.size() > known_.size()) known_.resize(b_->temps.size());
        out.push_back(make(t == Type::I32 ? Opcode::mov_i32 : Opcode::mov_i64, {d}, {c}, {}));
        overwritten(d);
        known_[d] = v;
        width_[d] = width_of_value(v);
        touched_.push_back(d);
    }
    void emit_mov(uint32_t d, uint32_t s, std::vector<Inst>& out) {
        if (computed_into_global(d, s, out)) return;
        Type t = b_->temps[d].type;
        const uint8_t w = static_cast<uint8_t>(width(s));
        const int32_t flag = flag_of_[s] != kNoFlag && comparisons_[flag_of_[s]].valid ? flag_of_[s] : kNoFlag;
        out.push_back(make(t == Type::I32 ? Opcode::mov_i32 : Opcode::mov_i64, {d}, {s}, {}));
        overwritten(d);
        if (d != s && !b_->is_const(s)) copies_.copied(d, s);
        flag_of_[d] = flag;
        known_[d].reset();
        width_[d] = w;
        touched_.push_back(d);
        if (b_->is_const(s)) known_[d] = value(s);
    }

    static bool is_self_move(const Inst& inst) {
        return (inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) && inst.out(0) == inst.in(0);
    }

    // `t = op ...; g = t` for a global g becomes `g = op ...; t = g`: the
    // back end computes the result where it goes instead of moving it
    // there, and later reads of t read g while g is unchanged. Only when
    // the op is the last instruction out (self-moves of t aside, which
    // folding leaves of masks like `and t, t, -1`): nothing between can
    // see g early. Returns whether it did.
    bool computed_into_global(uint32_t g, uint32_t t, std::vector<Inst>& out) {
        if (!b_->is_global(g) || b_->temps[t].kind != TempKind::Normal) return false;
        size_t i = out.size();
        while (i > 0 && is_self_move(out[i - 1]) && out[i - 1].out(0) == t) --i;
        if (i == 0) return false;
        Inst& op = out[i - 1];
        if (op.n_out != 1 || op.out(0) != t || op.op == Opcode::mov_i32 || op.op == Opcode::mov_i64 ||
            !(op_info(op.op).flags & kPure))
            return false;
        overwritten(g);
        op.args[0] = g;
        for (size_t k = i; k < out.size(); ++k) out[k].args[0] = out[k].args[1] = g;
        known_[g] = known_[t];
        width_[g] = width_[t];
        flag_of_[g] = flag_of_[t];
        touched_.push_back(g);
        out.push_back(make(b_->temps[t].type == Type::I32 ? Opcode::mov_i32 : Opcode::mov_i64, {t}, {g}, {}));
        copies_.copied(t, g);
        return true;
    }

    // A bit field at bit 0 of a byte, word or doubleword is the extension
    // of it, which back ends do in one instruction (movsx/movzx).
    static void canonicalize_extract(Inst& inst) {
        const bool sign = inst.op == Opcode::sextract_i32 || inst.op == Opcode::sextract_i64;
        if (!sign && inst.op != Opcode::extract_i32 && inst.op != Opcode::extract_i64) return;
        const bool wide = inst.op == Opcode::sextract_i64 || inst.op == Opcode::extract_i64;
        if (inst.cst(0) != 0) return;
        const std::optional<Opcode> op = extension_op(static_cast<unsigned>(inst.cst(1)), sign, wide);
        if (!op) return;
        inst.op = *op;
        inst.n_const = 0;
    }

    // A byte, word or doubleword deposited at bit 0 of zero is its zero
    // extension (x86's `xor eax, eax; ...; setcc al`).
    void zero_deposit_to_extension(Inst& inst) {
        const bool wide = inst.op == Opcode::deposit_i64;
        if (!wide && inst.op != Opcode::deposit_i32) return;
        if (inst.cst(0) != 0 || !b_->is_const(inst.in(0)) || value(inst.in(0)) != 0) return;
        const std::optional<Opcode> op = extension_op(static_cast<unsigned>(inst.cst(1)), false, wide);
        if (!op) return;
        inst.op = *op;
        inst.args[1] = inst.args[2];
        inst.n_in = 1;
        inst.n_const = 0;
    }

    // Returns true when inst was replaced by simpler instructions in `out`.
    bool simplify(Inst& inst, std::vector<Inst>& out) {
        bool all_const = true;
        uint64_t in[4] = {};
        for (int k = 0; k < inst.n_in; ++k) {
            if (!b_->is_const(inst.in(k))) all_const = false;
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
            if (b_->is_const(inst.in(0)) && !b_->is_const(inst.in(1))) {
                const uint32_t c = inst.in(0);
                inst.set_in(0, inst.in(1));
                inst.set_in(1, c);
            }
            break;
        default: break;
        }
        const uint32_t d = inst.out(0), a = inst.in(0), b = inst.in(1);
        const Type t = b_->temps[d].type;
        const uint64_t ones = type_mask(t);
        const bool bc = b_->is_const(b), ac = b_->is_const(a);
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
            if (const std::optional<Opcode> ext =
                    bc && std::has_single_bit(bv + 1)
                        ? extension_op(static_cast<unsigned>(std::bit_width(bv)), false, t == Type::I64)
                        : std::nullopt) {
                if (width(a) <= std::bit_width(bv)) return emit_mov(d, a, out), true;
                out.push_back(make(*ext, {d}, {a}, {}));
                overwritten(d);
                known_[d].reset();
                width_[d] = static_cast<uint8_t>(std::bit_width(bv));
                touched_.push_back(d);
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
        canonicalize_extract(inst);
        zero_deposit_to_extension(inst);
        // Zero-extensions of values that narrow already.
        if (const Extension ext = extension_of(inst.op); ext.bits && !ext.sign && width(inst.in(0)) <= ext.bits)
            return emit_mov(inst.out(0), inst.in(0), out), true;
        if (inst.op == Opcode::movcond_i32 || inst.op == Opcode::movcond_i64) {
            const uint32_t d = inst.out(0);
            if (inst.in(2) == inst.in(3)) return emit_mov(d, inst.in(2), out), true;
            if (b_->is_const(inst.in(0)) && b_->is_const(inst.in(1))) {
                Type t = b_->temps[d].type;
                bool c = cond_eval(static_cast<Cond>(inst.cst(0)), t, value(inst.in(0)), value(inst.in(1)));
                return emit_mov(d, c ? inst.in(2) : inst.in(3), out), true;
            }
        }
        return false;
    }

    Block* b_ = nullptr;
    std::vector<std::optional<uint64_t>> known_;
    std::vector<uint8_t> width_;
    std::vector<int32_t> flag_of_;   // per temp: index into comparisons_, or kNoFlag
    std::vector<uint32_t> touched_;  // temps given knowledge since the last label
    std::vector<RecentExtension> extensions_;
    std::vector<LowPart> low_parts_;
    std::vector<Comparison> comparisons_;
    CopyTable copies_;
};

}  // namespace

void fold_constants(Block& block) { Folder::for_this_thread().run(block); }

}  // namespace mimic::tcg
