// Control transfers: Jcc, JMP, CALL, RET (near and far), LOOP/JCXZ.
// Direct targets chain with goto_tb; indirect ones go through the lookup.
#include "dc.h"

namespace mimic::x86 {

using tcg::Cond;
using tcg::I64;

namespace {

uint64_t rel_target(Dc& dc) {
    const DecodedInsn& in = *dc.insn;
    uint64_t t = dc.next_pc + static_cast<uint64_t>(in.rel);
    return in.op_size == 2 ? (t & 0xffff) : in.op_size == 4 ? (t & 0xffffffffull) : t;
}

// A direct branch to a non-canonical address faults at the branch (64-bit mode).
bool bad_target(Dc& dc, uint64_t target) {
    if (!dc.code64 || is_canonical(target)) return false;
    dc.raise(kExcGP, 0);
    return true;
}

// Both outcomes of a two-way branch are direct jumps; `branch` jumps to
// the label when it is taken.
template <typename Branch>
void branch2(Dc& dc, Branch branch, uint64_t target) {
    auto& b = dc.b;
    tcg::Label l = b.new_label();
    branch(l);
    dc.jump_to(dc.next_pc, 0);
    b.set_label(l);
    if (!bad_target(dc, target)) dc.jump_to(target, 1);
}

void branch2(Dc& dc, tcg::I32 taken, uint64_t target) {
    branch2(dc, [&](tcg::Label l) { dc.b.brcond(Cond::Ne, taken, 0u, l); }, target);
}

void jcc(Dc& dc) {
    const unsigned cc = dc.insn->opcode & 0xf;
    if (Dc::CondCompare c; dc.cond_compare(cc, c)) {
        branch2(dc, [&](tcg::Label l) { dc.b.brcond(c.cond, c.a, c.b, l); }, rel_target(dc));
        return;
    }
    branch2(dc, dc.cond(cc), rel_target(dc));
}

void loop(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    unsigned asz = in.addr_size;
    I64 cx = dc.load_gpr(kRCX, asz);
    tcg::I32 taken = b.temp_i32();
    tcg::I32 nz = b.temp_i32();
    if (in.mnemonic == Mnemonic::kJcxz || in.mnemonic == Mnemonic::kJecxz || in.mnemonic == Mnemonic::kJrcxz) {
        I64 t = b.setcond(Cond::Eq, cx, b.const_i64(0));
        b.extrl_i64_i32(taken, t);
        branch2(dc, taken, rel_target(dc));
        return;
    }
    b.sub(cx, cx, 1ull);
    dc.store_gpr(kRCX, asz, cx);
    I64 mcx = asz == 2 ? b.ext16u(cx) : cx;
    if (asz == 4) b.ext32u(mcx, cx);
    I64 t = b.setcond(Cond::Ne, mcx, b.const_i64(0));
    b.extrl_i64_i32(nz, t);
    if (in.mnemonic == Mnemonic::kLoope || in.mnemonic == Mnemonic::kLoopne) {
        tcg::I32 z = dc.cond(in.mnemonic == Mnemonic::kLoope ? 4 : 5);
        b.and_(taken, nz, z);
    } else {
        b.mov(taken, nz);
    }
    branch2(dc, taken, rel_target(dc));
}

void jmp(Dc& dc) {
    const DecodedInsn& in = *dc.insn;
    if (in.ops[0].kind == OperandKind::kRel) {
        if (!bad_target(dc, rel_target(dc))) dc.jump_to(rel_target(dc), 0);
        return;
    }
    I64 t = dc.operand(0);
    dc.wrap_addr(t, in.op_size);
    dc.check_branch_target(t);
    dc.b.mov(dc.g.eip, t);
    dc.jump_indirect();
}

void call(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    unsigned size = in.op_size;
    if (in.ops[0].kind == OperandKind::kRel) {
        if (bad_target(dc, rel_target(dc))) return;
        dc.push(b.const_i64(dc.next_pc), size);
        dc.predict_return();
        dc.jump_to(rel_target(dc), 0);
        return;
    }
    I64 t = dc.operand(0);
    dc.wrap_addr(t, size);
    dc.check_branch_target(t);
    dc.push(b.const_i64(dc.next_pc), size);
    dc.predict_return();
    b.mov(dc.g.eip, t);
    dc.jump_indirect();
}

void ret(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    unsigned size = in.op_size;
    I64 t = dc.pop_peek(size, 0);
    dc.wrap_addr(t, size);
    dc.check_branch_target(t);
    uint64_t imm = in.op_count ? static_cast<uint64_t>(in.imm) & 0xffff : 0;
    dc.add_sp(static_cast<int64_t>(size + imm));
    b.mov(dc.g.eip, t);
    dc.jump_indirect(Dc::Indirect::kReturn);
}

// Far transfers always go to a helper: in protected mode they check
// descriptors and may switch privilege, stack or task.
void far(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    unsigned size = in.op_size;
    tcg::I32 sel = b.temp_i32();
    I64 off = b.temp_i64();
    if (in.ops[0].kind == OperandKind::kFarPtr) {
        b.movi(sel, static_cast<uint32_t>(in.imm2));
        b.movi(off, static_cast<uint64_t>(in.imm) & 0xffffffffull);
    } else {
        // m16:16, m16:32 or (REX.W) m16:64.
        I64 a = dc.linear(in.mem.seg, dc.effective_offset(in.mem), size + 2, false);
        b.mov(off, dc.ld(a, size));
        I64 s = dc.ld(b.add(a, static_cast<uint64_t>(size)), 2);
        b.extrl_i64_i32(sel, s);
    }
    dc.sync_eip(dc.pc);
    if (in.mnemonic == Mnemonic::kJmpf)
        b.call(MIMIC_HELPER(helper_ljmp), {b.env(), sel, off, b.const_i64(dc.next_pc)});
    else
        b.call(MIMIC_HELPER(helper_lcall), {b.env(), sel, off, b.const_i64(dc.next_pc), b.const_i32(size)});
    dc.exit_to_loop();   // CS and the mode may have changed
}

void retf(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    uint32_t imm = in.op_count ? static_cast<uint32_t>(in.imm) & 0xffff : 0;
    dc.sync_eip(dc.pc);
    b.call(MIMIC_HELPER(helper_lret), {b.env(), b.const_i32(in.op_size), b.const_i32(imm)});
    dc.exit_to_loop();
}

}  // namespace

bool translate_branch(Dc& dc) {
    switch (dc.insn->mnemonic) {
    case Mnemonic::kJo: case Mnemonic::kJno: case Mnemonic::kJb: case Mnemonic::kJnb:
    case Mnemonic::kJz: case Mnemonic::kJnz: case Mnemonic::kJbe: case Mnemonic::kJnbe:
    case Mnemonic::kJs: case Mnemonic::kJns: case Mnemonic::kJp: case Mnemonic::kJnp:
    case Mnemonic::kJl: case Mnemonic::kJnl: case Mnemonic::kJle: case Mnemonic::kJnle:
        jcc(dc);
        return true;
    case Mnemonic::kLoop: case Mnemonic::kLoope: case Mnemonic::kLoopne:
    case Mnemonic::kJcxz: case Mnemonic::kJecxz: case Mnemonic::kJrcxz:
        loop(dc);
        return true;
    case Mnemonic::kJmp: jmp(dc); return true;
    case Mnemonic::kCall: call(dc); return true;
    case Mnemonic::kRet: ret(dc); return true;
    case Mnemonic::kJmpf: case Mnemonic::kCallf: far(dc); return true;
    case Mnemonic::kRetf: retf(dc); return true;
    default: return false;
    }
}

}  // namespace mimic::x86
