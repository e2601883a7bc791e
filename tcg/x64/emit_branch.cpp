// Labels, branches, block exits and chaining slots.
#include <array>
#include <cstddef>

#include "emitter.h"
#include "encode.h"
#include "mimic/tcg/jump_table.h"
#include "mimic/tcg/return_stack.h"
#include "mimic/tcg/tlb.h"
#include "mimic/util/error.h"

namespace mimic::tcg::x64 {

using namespace Xbyak;
using namespace Xbyak::util;

namespace {

// The condition code of jcc/setcc/cmovcc for c.
int cond_code(Cond c) {
    switch (c) {
    case Cond::Eq: case Cond::TstEq: return 0x4;
    case Cond::Ne: case Cond::TstNe: return 0x5;
    case Cond::Lt: return 0xc;
    case Cond::Le: return 0xe;
    case Cond::Gt: return 0xf;
    case Cond::Ge: return 0xd;
    case Cond::Ltu: return 0x2;
    case Cond::Leu: return 0x6;
    case Cond::Gtu: return 0x7;
    case Cond::Geu: return 0x3;
    }
    return 0x4;
}

}  // namespace

void Emitter::jump_cc(Cond c, uint32_t l) { jump_to_label(cond_code(c), l); }

void Emitter::jump(uint32_t l) { jump_to_label(-1, l); }

// IR labels are positions recorded here and jumps fixed up at the end of
// the block, not Xbyak labels (whose bookkeeping is hash maps).
void Emitter::jump_to_label(int cc, uint32_t l) {
    const size_t target = label_at_[l];
    if (target != kUnbound) {
        const int64_t rel8 = static_cast<int64_t>(target) - static_cast<int64_t>(gen_.getSize() + 2);
        if (rel8 >= -128) {
            gen_.db(cc < 0 ? 0xeb : 0x70 + cc);
            gen_.db(static_cast<uint8_t>(rel8));
            return;
        }
    }
    if (cc < 0) {
        gen_.db(0xe9);
    } else {
        gen_.db(0x0f);
        gen_.db(0x80 + cc);
    }
    const size_t field = gen_.getSize();
    gen_.dd(target == kUnbound ? 0 : static_cast<uint32_t>(static_cast<int32_t>(target - (field + 4))));
    if (target == kUnbound) fixups_.push_back({l, field});
}

// goto_tb slot's jump: to the next instruction until patch_jump links it.
void Emitter::patchable_jump(unsigned slot) {
    // The rel32 must not straddle an aligned 4-byte word so that
    // patch_jump can replace it with one atomic store.
    while ((reinterpret_cast<uintptr_t>(gen_.getCurr()) + 1) & 3) gen_.nop();
    gen_.db(0xe9);
    tb_.jmp_patch[slot] = offset();
    gen_.dd(0);
    tb_.jmp_reset[slot] = offset();
}

void Emitter::place_label(uint32_t l) { label_at_[l] = gen_.getSize(); }

void Emitter::resolve_label_fixups() {
    for (const LabelFixup& f : fixups_) {
        const size_t target = label_at_[f.label];
        if (target == kUnbound) throw Error("x86-64 back end: jump to label {} that is never set", f.label);
        gen_.rewrite(f.field, static_cast<uint32_t>(static_cast<int32_t>(target - (f.field + 4))), 4);
    }
}

bool Emitter::emit_branch(const Inst& inst) {
    switch (inst.op) {
    case Opcode::set_label:
        ra_.save_all(true);
        ra_.at_label();
        place_label(static_cast<uint32_t>(inst.cst(0)));
        return true;
    case Opcode::br:
        ra_.save_all(true);
        jump(static_cast<uint32_t>(inst.cst(0)));
        return true;
    case Opcode::brcond_i32:
    case Opcode::brcond_i64:
        compare(inst);
        // Only stores follow, which leave the flags alone.
        ra_.save_all_for_branch();
        jump_cc(static_cast<Cond>(inst.cst(0)), static_cast<uint32_t>(inst.cst(1)));
        return true;
    case Opcode::discard_i64:
        ra_.discard(inst.out(0));
        return true;
    case Opcode::insn_start:
        tb_.insns.push_back({offset(), {inst.cst(0), inst.cst(1)}});
        return true;
    case Opcode::goto_tb:
        ra_.sync_globals();
        ra_.save_all(true);
        patchable_jump(static_cast<unsigned>(inst.cst(0)));
        return true;
    case Opcode::goto_tb_guarded: {
        ra_.sync_globals();
        ra_.save_all(true);
        if (rt_.config->softmmu.tlb_offset < 0) return true;   // no TLB to check: never linked
        const unsigned slot = static_cast<unsigned>(inst.cst(0));
        const uint64_t page = inst.cst(1) & kPageMask;
        const auto mmu_idx = static_cast<unsigned>(inst.cst(2));
        const int32_t tlb = rt_.config->softmmu.tlb_offset;
        const auto code_tag = tlb + static_cast<int32_t>(SoftTlb::code_offset(mmu_idx)),
                   addend = tlb + static_cast<int32_t>(SoftTlb::addend_offset(mmu_idx));
        // The TLB still maps the target's page for execution (its index
        // taken at run time: the table may have changed size since)...
        gen_.mov(r11, page);
        tlb_index(kScratch1, mmu_idx);
        encode::op_mem_index8(gen_, 0x3b, kScratch1, kEnvReg, kScratch0, code_tag);
        // Short jumps: the rest of this code is under 64 bytes.
        const size_t other_page = short_jne_placeholder();
        // ... to the host page it mapped when the link was made (the token,
        // an 8-byte aligned movabs immediate patch_jump writes).
        while ((reinterpret_cast<uintptr_t>(gen_.getCurr()) + 2) & 7) gen_.nop();
        gen_.db(0x49);
        gen_.db(0xbb);   // mov r11, imm64
        tb_.jmp_guard[slot] = offset();
        gen_.dq(0);
        encode::op_mem_index8(gen_, 0x3b, kScratch1, kEnvReg, kScratch0, addend);
        const size_t other_host_page = short_jne_placeholder();
        patchable_jump(slot);
        resolve_short_jump(other_page);
        resolve_short_jump(other_host_page);
        return true;
    }
    case Opcode::exit_tb:
        ra_.sync_globals();
        ra_.save_all(false);
        if (inst.cst(0) <= 0xffffffff) encode::mov_imm32(gen_, Operand::RAX, static_cast<uint32_t>(inst.cst(0)));
        else encode::mov_imm64(gen_, Operand::RAX, inst.cst(0));
        encode::jmp_to(gen_, rt_.epilogue);
        return true;
    case Opcode::push_return:
        push_return(inst);
        return true;
    case Opcode::lookup_and_goto_ptr_pc:
        ra_.sync_globals();
        ra_.load_to(Operand::RAX, inst.in(0));   // every register is free at an exit
        ra_.save_all(false);
        if (inst.cst(2) && rt_.config->return_stack_offset >= 0) check_return_stack(inst);
        // A miss takes the executor's lookup, which fills the entry.
        if (rt_.config->jump_table_offset >= 0) probe_jump_table(inst);
        [[fallthrough]];
    case Opcode::lookup_and_goto_ptr:
        if (inst.op == Opcode::lookup_and_goto_ptr) {
            ra_.sync_globals();
            ra_.save_all(false);
        }
        gen_.mov(rdi, reinterpret_cast<uintptr_t>(rt_.jit));
        gen_.mov(rsi, Reg64(kEnvReg));
        gen_.mov(rax, reinterpret_cast<uintptr_t>(rt_.lookup));
        gen_.call(rax);
        gen_.jmp(rax);
        return true;
    default: return false;
    }
}

// Pushes a pointer to this block's return record (emitted with the
// continuation after the block's code, see emit_return_continuation) on the
// vCPU's ReturnStack.
void Emitter::push_return(const Inst& inst) {
    const int32_t rs = rt_.config->return_stack_offset;
    if (rs < 0) return;
    if (return_record_.field != kUnbound) throw Error("x86-64 back end: two push_return in one block");
    return_record_ = {kUnbound, inst.cst(0), inst.cst(1), inst.cst(2)};
    const Reg64 env(kEnvReg), top(kScratch0), record(kScratch1);
    const int32_t top_at = rs + static_cast<int32_t>(offsetof(ReturnStack, top));
    gen_.mov(top.cvt32(), dword[env + top_at]);
    gen_.add(top.cvt32(), sizeof(ReturnStack::entries[0]));
    gen_.and_(top.cvt32(), sizeof(ReturnStack::entries) - 1);
    gen_.mov(dword[env + top_at], top.cvt32());
    // lea r11, [rip + disp32], the displacement filled in when the record
    // has its place.
    static_assert(kScratch1 == Operand::R11);
    gen_.db(0x4c);
    gen_.db(0x8d);
    gen_.db(0x1d);
    return_record_.field = gen_.getSize();
    gen_.dd(0);
    gen_.mov(ptr[env + top + rs + static_cast<int32_t>(offsetof(ReturnStack, entries))], record);
}

// The record push_return pointed at, 8-byte aligned, and right after it the
// continuation: a goto_tb slot the executor links to the block at the
// return address, and until then an exit that asks for the link. Returns
// arrive here with the guest state in env, the pc already the record's.
void Emitter::emit_return_continuation() {
    if (return_record_.field == kUnbound) return;
    while (gen_.getSize() & 7) gen_.int3();
    const size_t record = gen_.getSize();
    gen_.dq(return_record_.pc);
    gen_.dq(return_record_.cs_base);
    gen_.dq(return_record_.key);
    static_assert(sizeof(ReturnStack::Record) == 24);
    gen_.rewrite(return_record_.field, static_cast<uint32_t>(static_cast<int32_t>(record - (return_record_.field + 4))), 4);
    patchable_jump(kReturnSlot);
    encode::mov_imm64(gen_, Operand::RAX, reinterpret_cast<uintptr_t>(&tb_) | kReturnSlot);
    encode::jmp_to(gen_, rt_.epilogue);
}

// Pops the vCPU's ReturnStack and, when the record is for the target pc
// (in rax) in this block's mode, jumps to its continuation. Falls through
// on a miss.
void Emitter::check_return_stack(const Inst& inst) {
    const uint64_t cs_base = inst.cst(0), key = inst.cst(1);
    const int32_t rs = rt_.config->return_stack_offset;
    const int32_t top_at = rs + static_cast<int32_t>(offsetof(ReturnStack, top));
    const Reg64 env(kEnvReg);
    gen_.mov(edx, dword[env + top_at]);
    gen_.mov(rcx, ptr[env + rdx + rs + static_cast<int32_t>(offsetof(ReturnStack, entries))]);
    gen_.lea(Reg32(kScratch0), ptr[rdx - static_cast<int32_t>(sizeof(ReturnStack::entries[0]))]);
    gen_.and_(Reg32(kScratch0), sizeof(ReturnStack::entries) - 1);
    gen_.mov(dword[env + top_at], Reg32(kScratch0));
    const auto miss = compare_target(rcx, rdx, offsetof(ReturnStack::Record, pc), offsetof(ReturnStack::Record, cs_base),
                                     offsetof(ReturnStack::Record, key), cs_base, key);
    gen_.add(rcx, sizeof(ReturnStack::Record));
    gen_.jmp(rcx);
    for (size_t field : miss) resolve_short_jump(field);
}

// Compares the target pc (rax) and mode (cs_base, key) with those at
// [entry + *_at], constants going through `scratch`: the rel8 fields of
// the jumps taken on a mismatch.
std::array<size_t, 3> Emitter::compare_target(const Reg64& entry, const Reg64& scratch, int32_t pc_at,
                                              int32_t cs_base_at, int32_t key_at, uint64_t cs_base, uint64_t key) {
    std::array<size_t, 3> miss;
    gen_.cmp(rax, ptr[entry + pc_at]);
    miss[0] = short_jne_placeholder();
    gen_.mov(scratch, key);
    gen_.cmp(scratch, ptr[entry + key_at]);
    miss[1] = short_jne_placeholder();
    if (cs_base == 0) {
        gen_.cmp(qword[entry + cs_base_at], 0);
    } else {
        gen_.mov(scratch, cs_base);
        gen_.cmp(scratch, ptr[entry + cs_base_at]);
    }
    miss[2] = short_jne_placeholder();
    return miss;
}

// Inline lookup of the target (in rax) in the vCPU's JumpTable: 32-byte
// entries {pc, cs_base, key, code} at JumpTable::index(pc). Falls through
// on a miss.
void Emitter::probe_jump_table(const Inst& inst) {
    const uint64_t cs_base = inst.cst(0), key = inst.cst(1);
    gen_.mov(rdx, ptr[Reg64(kEnvReg) + rt_.config->jump_table_offset]);
    gen_.mov(rcx, rax);
    gen_.shr(rcx, JumpTable::kBits);
    gen_.xor_(rcx, rax);
    gen_.and_(ecx, JumpTable::kSize - 1);
    gen_.shl(ecx, 5);
    gen_.add(rdx, rcx);
    const auto miss = compare_target(rdx, rcx, offsetof(JumpTable::Entry, pc), offsetof(JumpTable::Entry, cs_base),
                                     offsetof(JumpTable::Entry, key), cs_base, key);
    gen_.jmp(ptr[rdx + offsetof(JumpTable::Entry, code)]);
    for (size_t field : miss) resolve_short_jump(field);
}

}  // namespace mimic::tcg::x64
