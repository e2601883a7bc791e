// The shared code-generation vocabulary of the front end (see dc.h).
#include "dc.h"

#include "mimic/tcg/jump_table.h"

namespace mimic::x86 {

using tcg::Cond;
using tcg::I32;
using tcg::I64;

void X86Globals::declare(tcg::Globals& g) {
    static const char* const kNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                           "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    for (int i = 0; i < 16; ++i) regs[i] = g.add_i64(kNames[i], ENV_OFF(regs) + 8 * i);
    eip = g.add_i64("rip", ENV_OFF(eip));
    cc_dst = g.add_i64("cc_dst", ENV_OFF(cc_dst));
    cc_src = g.add_i64("cc_src", ENV_OFF(cc_src));
    cc_src2 = g.add_i64("cc_src2", ENV_OFF(cc_src2));
    cc_op = g.add_i32("cc_op", ENV_OFF(cc_op));
    // insn_start's second word is cc_op at the instruction when the
    // translator knows it; restore_state puts it back after a fault.
    g.restore_at_faults(cc_op, 1, kCcOpDynamic);
}

// ---- registers ----

I64 Dc::load_gpr(unsigned num, unsigned size) {
    I64 r = g.regs[num];
    switch (size) {
    case 1: return b.ext8u(r);
    case 2: return b.ext16u(r);
    case 4: { I64 t = b.temp_i64(); b.ext32u(t, r); return t; }
    default: { I64 t = b.temp_i64(); b.mov(t, r); return t; }
    }
}

void Dc::store_gpr(unsigned num, unsigned size, I64 v) {
    I64 r = g.regs[num];
    switch (size) {
    case 1: b.deposit(r, r, v, 0, 8); break;
    case 2: b.deposit(r, r, v, 0, 16); break;
    case 4: b.ext32u(r, v); break;   // as in 64-bit mode; legacy modes never see the upper half
    default: b.mov(r, v); break;
    }
}

I64 Dc::load_reg(Reg r) {
    switch (r.cls) {
    case RegClass::kGpr8: return load_gpr(r.num, 1);
    case RegClass::kGpr8High: { I64 t = b.temp_i64(); b.extract(t, g.regs[r.num], 8, 8); return t; }
    case RegClass::kGpr16: return load_gpr(r.num, 2);
    case RegClass::kGpr32: return load_gpr(r.num, 4);
    case RegClass::kGpr64: return load_gpr(r.num, 8);
    case RegClass::kSeg: { I64 t = b.temp_i64(); b.ld(t, ENV_OFF(seg) + r.num * sizeof(SegmentCache), tcg::kMoUW); return t; }
    default: return b.const_i64(0);
    }
}

void Dc::store_reg(Reg r, I64 v) {
    switch (r.cls) {
    case RegClass::kGpr8: store_gpr(r.num, 1, v); break;
    case RegClass::kGpr8High: b.deposit(g.regs[r.num], g.regs[r.num], v, 8, 8); break;
    case RegClass::kGpr16: store_gpr(r.num, 2, v); break;
    case RegClass::kGpr32: store_gpr(r.num, 4, v); break;
    case RegClass::kGpr64: store_gpr(r.num, 8, v); break;
    default: break;
    }
}

// ---- memory ----

I64 Dc::effective_offset(const MemOperand& m) {
    I64 a = b.temp_i64();
    b.movi(a, static_cast<uint64_t>(m.disp));
    if (m.base.valid()) {
        if (m.base.cls == RegClass::kIp) b.add(a, a, next_pc);
        else b.add(a, a, g.regs[m.base.num]);
    }
    if (m.index.valid()) {
        I64 idx = b.temp_i64();
        b.mov(idx, g.regs[m.index.num]);
        if (m.scale > 1) b.shl(idx, idx, static_cast<uint64_t>(__builtin_ctz(m.scale)));
        b.add(a, a, idx);
    }
    wrap_addr(a, m.addr_size);
    return a;
}

void Dc::wrap_addr(I64 a, unsigned size) {
    if (size == 2) b.ext16u(a, a);
    else if (size == 4) b.ext32u(a, a);
}

void Dc::wrap_sp(I64 sp) { wrap_addr(sp, stack_mask_size()); }

I64 Dc::linear(int seg, I64 offset, unsigned size, bool write) {
    if (code64) {
        // 64-bit mode: no limits; only FS and GS have a base. Non-canonical
        // addresses never hit the TLB: the slow path raises #GP(0), or
        // #SS(0) for accesses marked kMoStack (data_memop).
        if (seg != kFS && seg != kGS) return offset;
        I64 base = b.temp_i64();
        b.ld(base, ENV_OFF(seg) + seg * static_cast<int32_t>(sizeof(SegmentCache)) + ENV_OFF(seg[0].base) - ENV_OFF(seg),
             tcg::kMo64);
        return b.add(base, offset);
    }
    if (flags & (1u << (kHfSegCheckShift + seg))) {
        I64 r = b.temp_i64();
        uint32_t desc = static_cast<uint32_t>(seg) | (write ? 8u : 0u) | (size << 4);
        b.call(MIMIC_HELPER(helper_seg_check), r, {b.env(), b.const_i32(desc), offset});
        return r;
    }
    bool add = addseg || seg == kFS || seg == kGS || seg == kCS || !pe || vm;
    if (!add) return offset;
    I64 base = b.temp_i64();
    b.ld(base, ENV_OFF(seg) + seg * static_cast<int32_t>(sizeof(SegmentCache)) + ENV_OFF(seg[0].base) - ENV_OFF(seg),
         tcg::kMo64);
    I64 r = b.add(base, offset);
    b.ext32u(r, r);
    return r;
}

tcg::MemOp Dc::data_memop(unsigned size, bool sign, int seg) const {
    tcg::MemOp mo = static_cast<tcg::MemOp>(__builtin_ctz(size)) | (sign ? tcg::kMoSign : 0);
    if (code64 && seg == kSS) mo |= kMoStack;
    if (flags & kHfAc) mo |= tcg::kMoAlignNatural;   // misaligned: #AC from the slow path
    return mo;
}

I64 Dc::ld(I64 addr, unsigned size, bool sign, int seg) {
    I64 v = b.temp_i64();
    b.qemu_ld(v, addr, data_memop(size, sign, seg), mmu_idx);
    return v;
}

void Dc::st(I64 addr, I64 v, unsigned size, int seg) { b.qemu_st(v, addr, data_memop(size, false, seg), mmu_idx); }

// ---- operands ----

Loc Dc::loc(unsigned i, bool write) {
    const Operand& op = insn->ops[i];
    Loc l;
    l.size = op.size;
    if (op.kind == OperandKind::kReg) {
        l.reg = op.reg;
        return l;
    }
    l.is_mem = true;
    l.seg = insn->mem.seg;
    l.addr = linear(insn->mem.seg, effective_offset(insn->mem), op.size, write);
    return l;
}

I64 Dc::read(const Loc& l) { return l.is_mem ? ld(l.addr, l.size, false, l.seg) : load_reg(l.reg); }

void Dc::write(const Loc& l, I64 v) {
    if (l.is_mem) st(l.addr, v, l.size, l.seg);
    else store_reg(l.reg, v);
}

I64 Dc::operand(unsigned i) {
    const Operand& op = insn->ops[i];
    switch (op.kind) {
    case OperandKind::kImm: return b.const_i64(static_cast<uint64_t>(insn->imm));   // as the form extended it
    case OperandKind::kReg: return load_reg(op.reg);
    case OperandKind::kMem: return read(loc(i, false));
    default: return b.const_i64(0);
    }
}

// ---- stack ----

void Dc::push(I64 v, unsigned size) {
    unsigned ssz = stack_mask_size();
    I64 sp = load_gpr(kRSP, ssz);
    b.sub(sp, sp, static_cast<uint64_t>(size));
    wrap_sp(sp);
    I64 a = linear(kSS, sp, size, true);
    st(a, v, size, kSS);
    store_gpr(kRSP, ssz, sp);   // after the store: a fault leaves ESP alone
}

I64 Dc::pop_peek(unsigned size, unsigned offset) {
    unsigned ssz = stack_mask_size();
    I64 sp = load_gpr(kRSP, ssz);
    if (offset) {
        b.add(sp, sp, static_cast<uint64_t>(offset));
        wrap_sp(sp);
    }
    return ld(linear(kSS, sp, size, false), size, false, kSS);
}

I64 Dc::pop(unsigned size) {
    I64 v = pop_peek(size, 0);
    add_sp(size);
    return v;
}

void Dc::add_sp(int64_t delta) {
    unsigned ssz = stack_mask_size();
    I64 sp = load_gpr(kRSP, ssz);
    b.add(sp, sp, static_cast<uint64_t>(delta));
    store_gpr(kRSP, ssz, sp);
}

// ---- flags ----

namespace {

// Which of cc_dst (1), cc_src (2) and cc_src2 (4) the flags of a cc_op read.
uint32_t cc_operands_read(CcOp op) {
    if (op == kCcOpDynamic) return 7;
    if (op == kCcOpEflags) return 2;
    switch ((op - kCcOpAddB) / 4 * 4 + kCcOpAddB) {
    case kCcOpAdcB: case kCcOpSbbB: case kCcOpShrB: return 7;
    case kCcOpLogicB: return 1;
    default: return 3;
    }
}

}  // namespace

void Dc::set_cc_op(CcOp op) {
    cc_unused = (cc_unused | cc_operands_read(cc_op)) & ~cc_operands_read(op);
    if (cc_op != op) b.movi(g.cc_op, op);
    cc_op = op;
}

void Dc::discard_unused_cc() {
    // A cc_op set some other way (a helper's, unknown here) may read any.
    const uint32_t unused = cc_unused & ~cc_operands_read(cc_op);
    cc_unused = 0;
    if (unused & 1) b.discard(g.cc_dst);
    if (unused & 2) b.discard(g.cc_src);
    if (unused & 4) b.discard(g.cc_src2);
}

I32 Dc::flags_all() {
    I32 f = b.temp_i32();
    if (cc_op == kCcOpEflags) {   // already materialised: no helper call
        b.extrl_i64_i32(f, g.cc_src);
        b.and_(f, f, kFlagsArith);
        return f;
    }
    b.call(MIMIC_HELPER_F(helper_cc_compute_all, tcg::kHelperNoWriteGlobals | tcg::kHelperNoSideEffects), f,
           {b.env()});
    return f;
}

namespace {

unsigned cc_size(CcOp op) { return 1u << ((op - kCcOpAddB) % 4); }
CcOp cc_group(CcOp op) { return static_cast<CcOp>(kCcOpAddB + (op - kCcOpAddB) / 4 * 4); }

}  // namespace

I64 Dc::carry() {
    if (cc_op >= kCcOpAddB && cc_op < kCcOpCount) {
        CcOp grp = cc_group(cc_op);
        unsigned size = cc_size(cc_op);
        uint64_t m = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
        if (grp == kCcOpSubB) {   // borrow: (dst + src) < src
            I64 s1 = b.add(g.cc_dst, g.cc_src);
            b.and_(s1, s1, m);
            I64 src = b.and_(g.cc_src, m);
            return b.setcond(Cond::Ltu, s1, src);
        }
        if (grp == kCcOpAddB) {   // carry: dst < src
            I64 d = b.and_(g.cc_dst, m);
            I64 src = b.and_(g.cc_src, m);
            return b.setcond(Cond::Ltu, d, src);
        }
        if (grp == kCcOpLogicB) return b.const_i64(0);
        // The rest without the flags helper (add-with-carry chains of
        // bignum code call this for every ADC/SBB and every INC between).
        if (grp == kCcOpAdcB || grp == kCcOpSbbB) {
            // Carry out of a + s + cin, or borrow of a - s - cin: with the
            // carry in, also when equal (dst for ADC, a recomputed for SBB).
            I64 src = b.and_(g.cc_src, m);
            I64 x = b.and_(g.cc_dst, m);
            if (grp == kCcOpSbbB) b.and_(x, b.add(b.add(g.cc_dst, g.cc_src), g.cc_src2), m);
            I64 lt = b.setcond(Cond::Ltu, x, src);
            I64 le = b.setcond(Cond::Leu, x, src);
            I64 r = b.temp_i64();
            b.movcond(Cond::Ne, r, b.and_(g.cc_src2, 1ull), b.const_i64(0), le, lt);
            return r;
        }
        if (grp == kCcOpIncB || grp == kCcOpDecB || grp == kCcOpSarB || grp == kCcOpShrB)
            return b.and_(g.cc_src, 1ull);   // the old CF; the last bit shifted out
        if (grp == kCcOpShlB) return b.and_(b.shr(g.cc_src, uint64_t{size * 8 - 1}), 1ull);
        if (grp == kCcOpMulB) return b.setcond(Cond::Ne, g.cc_src, b.const_i64(0));
    }
    if (cc_op == kCcOpEflags) return b.and_(g.cc_src, uint64_t{kFlagCF});
    I32 f = flags_all();
    I64 r = b.temp_i64();
    b.extu_i32_i64(r, b.and_(f, kFlagCF));
    return r;
}

bool Dc::cond_compare(unsigned jcc, CondCompare& out) {
    if (cc_op < kCcOpAddB || cc_op >= kCcOpCount) return false;
    const unsigned base = jcc & ~1u;
    const CcOp grp = cc_group(cc_op);
    const unsigned size = cc_size(cc_op);
    const unsigned bits = size * 8;
    const uint64_t m = size == 8 ? ~0ull : (1ull << bits) - 1;
    auto sext = [&](I64 v) {
        if (size == 8) return v;
        I64 t = b.temp_i64();
        b.sextract(t, v, 0, bits);
        return t;
    };
    const I64 zero = b.const_i64(0);
    auto set = [&](Cond c, I64 x, I64 y) {
        out = CondCompare{(jcc & 1) ? tcg::cond_invert(c) : c, x, y};
        return true;
    };
    if (grp == kCcOpSubB) {
        switch (base) {
        case 2: case 6: case 12: case 14: break;
        case 4: return set(Cond::Eq, b.and_(g.cc_dst, m), zero);             // Z
        case 8: return set(Cond::Lt, sext(g.cc_dst), zero);                 // S
        default: return false;
        }
        // CMP/SUB src1, src: src1 is the result plus src.
        I64 src = b.and_(g.cc_src, m);
        I64 src1 = sub_src1_for_pc == pc ? sub_src1 : b.and_(b.add(g.cc_dst, src), m);
        switch (base) {
        case 2: return set(Cond::Ltu, src1, src);                           // B
        case 6: return set(Cond::Leu, src1, src);                           // BE
        case 12: return set(Cond::Lt, sext(src1), sext(src));               // L
        default: return set(Cond::Le, sext(src1), sext(src));               // LE
        }
    }
    if (grp == kCcOpLogicB || grp == kCcOpAddB || grp == kCcOpIncB || grp == kCcOpDecB || grp == kCcOpShlB ||
        grp == kCcOpSarB || grp == kCcOpShrB || grp == kCcOpAdcB || grp == kCcOpSbbB || grp == kCcOpMulB) {
        // Z and S come straight from the result for every operation.
        switch (base) {
        case 4: return set(Cond::Eq, b.and_(g.cc_dst, m), zero);
        case 8: return set(Cond::Lt, sext(g.cc_dst), zero);
        default: break;
        }
        if (grp == kCcOpLogicB) {
            switch (base) {
            case 0: case 2: return set(Cond::Ne, zero, zero);                         // O, B: clear
            case 6: return set(Cond::Eq, b.and_(g.cc_dst, m), zero);                  // BE = Z
            case 12: return set(Cond::Lt, sext(g.cc_dst), zero);                      // L = S
            case 14: return set(Cond::Le, sext(g.cc_dst), zero);                      // LE = Z | S
            default: break;
            }
        }
    }
    return false;
}

I32 Dc::cond(unsigned jcc) {
    const bool negate = jcc & 1;
    const unsigned base = jcc & ~1u;
    I32 r;
    if (CondCompare c; cond_compare(jcc, c)) {
        r = b.temp_i32();
        b.extrl_i64_i32(r, b.setcond(c.cond, c.a, c.b));
        return r;
    }
    if (base == 2 && cc_op != kCcOpDynamic) {   // CF alone: no flags helper
        r = b.temp_i32();
        b.extrl_i64_i32(r, carry());
        if (negate) b.xor_(r, r, 1);
        return r;
    }
    I32 f = flags_all();
    r = b.temp_i32();
    switch (base) {
    case 0: b.extract(r, f, 11, 1); break;    // O
    case 2: b.and_(r, f, 1); break;           // B
    case 4: b.extract(r, f, 6, 1); break;     // Z
    case 6: b.setcond(Cond::TstNe, r, f, b.const_i32(kFlagCF | kFlagZF)); break;
    case 8: b.extract(r, f, 7, 1); break;     // S
    case 10: b.extract(r, f, 2, 1); break;    // P
    case 12: {                                // L: S != O
        I32 s = b.temp_i32(), o = b.temp_i32();
        b.extract(s, f, 7, 1);
        b.extract(o, f, 11, 1);
        b.xor_(r, s, o);
        break;
    }
    default: {                                // LE: Z | (S != O)
        I32 s = b.temp_i32(), o = b.temp_i32(), z = b.temp_i32();
        b.extract(s, f, 7, 1);
        b.extract(o, f, 11, 1);
        b.extract(z, f, 6, 1);
        b.xor_(r, s, o);
        b.or_(r, r, z);
        break;
    }
    }
    if (negate) b.xor_(r, r, 1);
    return r;
}

void Dc::commit_pending_flags() {
    I32 f = b.temp_i32();
    b.ld(f, ENV_OFF(pending_flags), tcg::kMo32);
    b.extu_i32_i64(g.cc_src, f);
    set_cc_op(kCcOpEflags);
}

void Dc::sync_eip(uint64_t eip) { b.movi(g.eip, eip); }

// ---- exits ----

void Dc::raise(int vector, uint32_t error_code) {
    sync_eip(pc);
    b.call(MIMIC_HELPER(helper_raise_exception), {b.env(), b.const_i32(vector), b.const_i32(error_code)});
    end = BlockEnd::kJumped;
}

bool Dc::same_page(uint64_t eip) const {
    uint64_t target = cs_base + eip;
    return (target & tcg::kPageMask) == (tb.pc & tcg::kPageMask) ||
           (target & tcg::kPageMask) == ((cs_base + pc) & tcg::kPageMask);
}

void Dc::jump_to(uint64_t eip, unsigned slot) {
    eip &= eip_mask();
    if (cs_limit && eip > cs_limit) {
        // The branch itself faults; its target is never fetched.
        raise(kExcGP, 0);
        return;
    }
    // Blocks chain directly within the pages they came from; to another
    // page, through a check that the TLB still maps it as when the link
    // was made, so a changed page mapping is never bypassed by a stale
    // jump. Single-step and interrupt-shadow blocks return to the loop.
    const bool chain = !(flags & (kHfTf | kHfInhibitIrq | kHfSingleInsn));
    if (chain && same_page(eip) && can_loop && eip == start_eip) {
        b.br(loop_head);
    } else if (chain && same_page(eip)) {
        b.goto_tb(slot);
        b.movi(g.eip, eip);
        b.exit_tb(&tb, slot);
    } else if (chain) {
        b.goto_tb_guarded(slot, (cs_base + eip) & (code64 ? ~0ull : 0xffffffffull), mmu_idx);
        b.movi(g.eip, eip);
        b.exit_tb(&tb, slot);
    } else {
        // Another page: its mapping may have changed, so the target is
        // looked up (in the vCPU's jump table first) rather than chained.
        b.movi(g.eip, eip);
        jump_indirect();
    }
    end = BlockEnd::kJumped;
}

void Dc::predict_return() {
    // The continuation chains like goto_tb: not where jump_to would not
    // chain either, and only within the block's pages.
    const uint64_t eip = next_pc & eip_mask();
    if ((flags & (kHfTf | kHfInhibitIrq | kHfSingleInsn)) || !same_page(eip)) return;
    const uint64_t pc = code64 ? eip : (cs_base + eip) & 0xffffffff;
    b.push_return(pc, code64 ? 0 : cs_base, tcg::JumpTable::key(tb.flags, tb.cs_limit));
}

void Dc::check_branch_target(I64 target) {
    // Without a label: the block goes on as one basic block, the raise
    // out of line.
    if (code64) b.guard_sext(target, 48, MIMIC_HELPER(helper_raise_gp_at));
}

void Dc::jump_indirect(Indirect kind) {
    if (flags & (kHfTf | kHfInhibitIrq)) {
        exit_to_loop();   // with TF, the branch's single-step trap at its target
    } else if (can_loop) {
        // The target runs in this block's mode: its lookup key is known.
        I64 pc = g.eip;
        if (!code64) pc = b.and_(b.add(g.eip, cs_base), uint64_t{0xffffffff});
        b.lookup_and_goto_ptr(pc, code64 ? 0 : cs_base, tcg::JumpTable::key(tb.flags, tb.cs_limit),
                              kind == Indirect::kReturn);
    } else {
        b.lookup_and_goto_ptr();
    }
    end = BlockEnd::kJumped;
}

void Dc::exit_to_loop(bool single_step) {
    cc_op = kCcOpDynamic;
    if (single_step && (flags & kHfTf)) b.call(MIMIC_HELPER(helper_single_step), {b.env()});
    b.exit_tb(0);
    end = BlockEnd::kJumped;
}

void Dc::begin_ss_shadow() {
    b.call(MIMIC_HELPER(helper_set_inhibit_irq), {b.env()});
    defers_single_step = true;
}

void Dc::stop_after() {
    if (end == BlockEnd::kNone) end = BlockEnd::kStop;
}

}  // namespace mimic::x86
