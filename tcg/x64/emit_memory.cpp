// Env loads/stores and guest memory accesses with the inline TLB fast path.
//
// Fast path (kScratch0/1 are never allocated):
//   s0 = ((addr >> 12) & (kTlbSize-1)) * 32      entry offset in the table
//   s1 = (addr + size - align) & (kPageMask | (align-1))
//   cmp s1, [env + tlb + mmu*size + s0 + addr_read/addr_write]
//   jne slow
//   s1 = addr + [entry.addend]                  host address
//   load/store at [s1]
// The slow path is emitted out of line, after the block's code, and saves
// the caller-saved registers that hold values, so allocation is unaffected.
#include <cstddef>

#include "emitter.h"

namespace mimic::tcg::x64 {

using namespace Xbyak;
using namespace Xbyak::util;

namespace {

Address sized(const RegExp& e, unsigned size) {
    switch (size) {
    case 1: return byte[e];
    case 2: return word[e];
    case 4: return dword[e];
    default: return qword[e];
    }
}

// Loads `size` bytes zero-extended (sign comes later).
void load_raw(CodeGenerator& gen, int d, const RegExp& e, unsigned size) {
    switch (size) {
    case 1: gen.movzx(Reg32(d), byte[e]); break;
    case 2: gen.movzx(Reg32(d), word[e]); break;
    case 4: gen.mov(Reg32(d), dword[e]); break;
    default: gen.mov(Reg64(d), qword[e]); break;
    }
}

void swap_bytes(CodeGenerator& gen, int r, unsigned size) {
    switch (size) {
    case 2:
        gen.rol(Reg16(r), 8);
        gen.movzx(Reg32(r), Reg16(r));
        break;
    case 4: gen.bswap(Reg32(r)); break;
    case 8: gen.bswap(Reg64(r)); break;
    default: break;
    }
}

// Sign-extends the low `size` bytes of r to the value type t.
void sign_extend(CodeGenerator& gen, int r, unsigned size, Type t) {
    const bool wide = t == Type::I64;
    switch (size) {
    case 1: wide ? gen.movsx(Reg64(r), Reg64(r).cvt8()) : gen.movsx(Reg32(r), Reg64(r).cvt8()); break;
    case 2: wide ? gen.movsx(Reg64(r), Reg16(r)) : gen.movsx(Reg32(r), Reg16(r)); break;
    case 4: if (wide) gen.movsxd(Reg64(r), Reg32(r)); break;
    default: break;
    }
}

// Pushes regs keeping rsp 16-byte aligned; returns the padding used.
int save_regs(CodeGenerator& gen, const std::vector<int>& regs) {
    for (int r : regs) gen.push(Reg64(r));
    int pad = (regs.size() & 1) ? 8 : 0;
    if (pad) gen.sub(rsp, pad);
    return pad;
}

void restore_regs(CodeGenerator& gen, const std::vector<int>& regs, int pad) {
    if (pad) gen.add(rsp, pad);
    for (size_t i = regs.size(); i-- > 0;) gen.pop(Reg64(regs[i]));
}

}  // namespace

void Emitter::tlb_lookup(int addr_reg, MemOp m, unsigned mmu_idx, bool is_store, Xbyak::Label& slow) {
    const SoftmmuConfig& mmu = rt_.config->softmmu;
    if (mmu.tlb_offset < 0) {
        gen_.jmp(slow, CodeGenerator::T_NEAR);
        return;
    }
    const Reg64 addr(addr_reg), s0(kScratch0), s1(kScratch1);
    const unsigned size = memop_size(m), align = memop_align(m);
    gen_.mov(s0, addr);
    gen_.shr(s0, kPageBits - 5);
    gen_.and_(s0, (kTlbSize - 1) << 5);
    const int64_t base = int64_t{mmu.tlb_offset} + int64_t{mmu_idx} * kTlbSize * sizeof(TlbEntry);
    const int32_t tag_off = static_cast<int32_t>(base + (is_store ? offsetof(TlbEntry, addr_write)
                                                                  : offsetof(TlbEntry, addr_read)));
    const int32_t addend_off = static_cast<int32_t>(base + offsetof(TlbEntry, addend));
    if (size > align) {
        gen_.lea(s1, ptr[addr + (size - align)]);
    } else {
        gen_.mov(s1, addr);
    }
    gen_.and_(s1, static_cast<uint32_t>(kPageMask | (align - 1)));   // sign-extended to 64 bits
    gen_.cmp(s1, ptr[Reg64(kEnvReg) + s0 + tag_off]);
    gen_.jne(slow, CodeGenerator::T_NEAR);
    gen_.mov(s1, ptr[Reg64(kEnvReg) + s0 + addend_off]);
    gen_.add(s1, addr);
}

void Emitter::guest_load(const Inst& inst) {
    const MemOpIdx oi = static_cast<MemOpIdx>(inst.cst(0));
    const MemOp m = get_memop(oi);
    const unsigned size = memop_size(m);
    const Type t = out_type(inst);
    const int addr = ra_.use(inst.in(0));
    // The slow path may fault: it brings env up to date first. Taken
    // before the output may reuse a dead input's register.
    const auto dirty = ra_.dirty_globals();
    const int d = ra_.output_reg(inst, 0);
    const std::vector<int> saved = [&] {
        std::vector<int> regs;
        for (int r : ra_.live_caller_saved()) {
            if (r != d) regs.push_back(r);
        }
        return regs;
    }();
    Xbyak::Label start, slow, done;
    gen_.L(start);
    tlb_lookup(addr, m, get_mmu_idx(oi), false, slow);
    load_raw(gen_, d, Reg64(kScratch1), size);
    if (m & kMoBigEndian) swap_bytes(gen_, d, size);
    gen_.L(done);
    if (m & kMoSign) sign_extend(gen_, d, size, t);

    // Slow path: load_slow(env, vaddr, memop, mmu_idx, retaddr); the value
    // comes back zero-extended in the right byte order.
    slow_paths_.push_back([this, saved, dirty, addr, d, m, oi, start, slow, done]() mutable {
        gen_.L(slow);
        RegAlloc::store_globals(gen_, dirty);
        const int pad = save_regs(gen_, saved);
        gen_.mov(rsi, Reg64(addr));
        gen_.mov(rdi, Reg64(kEnvReg));
        gen_.mov(edx, m);
        gen_.mov(ecx, get_mmu_idx(oi));
        gen_.lea(r8, ptr[rip + start + 1]);   // inside this guest instruction's code
        gen_.mov(rax, reinterpret_cast<uintptr_t>(rt_.config->softmmu.load_slow));
        gen_.call(rax);
        gen_.mov(Reg64(kScratch1), rax);
        restore_regs(gen_, saved, pad);
        gen_.mov(Reg64(d), Reg64(kScratch1));
        gen_.jmp(done, CodeGenerator::T_NEAR);
    });
    finish(inst, d);
}

void Emitter::guest_store(const Inst& inst) {
    const MemOpIdx oi = static_cast<MemOpIdx>(inst.cst(0));
    const MemOp m = get_memop(oi);
    const unsigned size = memop_size(m);
    // A constant little-endian value is stored as an immediate; the slow
    // path gets it in a register of its own.
    const bool imm = ra_.is_imm32(inst.in(0)) && !(m & kMoBigEndian);
    const uint64_t imm_value = imm ? ra_.const_value(inst.in(0)) : 0;
    const int val = imm ? -1 : ra_.use(inst.in(0));
    const int addr = ra_.use(inst.in(1));
    const auto dirty = ra_.dirty_globals();   // the slow path may fault: env first
    const std::vector<int> saved = ra_.live_caller_saved();
    Xbyak::Label start, slow, after;
    gen_.L(start);
    tlb_lookup(addr, m, get_mmu_idx(oi), true, slow);
    if (imm) {
        store_imm(gen_, Reg64(kScratch1), size, imm_value);
    } else if (m & kMoBigEndian) {
        gen_.mov(Reg64(kScratch0), Reg64(val));
        swap_bytes(gen_, kScratch0, size);
        gen_.mov(sized(Reg64(kScratch1), size), Reg64(kScratch0).changeBit(size * 8));
    } else {
        gen_.mov(sized(Reg64(kScratch1), size), Reg64(val).changeBit(size * 8));
    }
    gen_.L(after);

    // Slow path: store_slow(env, vaddr, value, memop, mmu_idx, retaddr).
    slow_paths_.push_back([this, saved, dirty, addr, val, imm_value, m, oi, start, slow, after]() mutable {
        gen_.L(slow);
        RegAlloc::store_globals(gen_, dirty);
        const int pad = save_regs(gen_, saved);
        gen_.mov(Reg64(kScratch0), Reg64(addr));
        if (val >= 0) gen_.mov(Reg64(kScratch1), Reg64(val));
        else gen_.mov(Reg64(kScratch1), imm_value);
        gen_.mov(rdi, Reg64(kEnvReg));
        gen_.mov(rsi, Reg64(kScratch0));
        gen_.mov(rdx, Reg64(kScratch1));
        gen_.mov(ecx, m);
        gen_.mov(r8d, get_mmu_idx(oi));
        gen_.lea(r9, ptr[rip + start + 1]);
        gen_.mov(rax, reinterpret_cast<uintptr_t>(rt_.config->softmmu.store_slow));
        gen_.call(rax);
        restore_regs(gen_, saved, pad);
        gen_.jmp(after, CodeGenerator::T_NEAR);
    });
    finish(inst, -1);
}

bool Emitter::emit_memory(const Inst& inst) {
    switch (inst.op) {
    case Opcode::ld_i32:
    case Opcode::ld_i64: {
        const MemOp m = static_cast<MemOp>(inst.cst(1));
        const int32_t off = static_cast<int32_t>(inst.cst(0));
        const int d = ra_.alloc();
        load_raw(gen_, d, Reg64(kEnvReg) + off, memop_size(m));
        if (m & kMoSign) sign_extend(gen_, d, memop_size(m), out_type(inst));
        finish(inst, d);
        return true;
    }
    case Opcode::st_i32:
    case Opcode::st_i64: {
        const MemOp m = static_cast<MemOp>(inst.cst(1));
        const int32_t off = static_cast<int32_t>(inst.cst(0));
        const unsigned size = memop_size(m);
        const uint32_t v = inst.in(0);
        if ((ra_.is_const(v) && size == 4) || (ra_.is_imm32(v) && size == 8)) {
            store_imm(gen_, Reg64(kEnvReg) + off, size, ra_.const_value(v));
        } else {
            const int v = ra_.use(inst.in(0));
            gen_.mov(sized(Reg64(kEnvReg) + off, size), Reg64(v).changeBit(size * 8));
        }
        finish(inst, -1);
        return true;
    }
    case Opcode::qemu_ld_i32:
    case Opcode::qemu_ld_i64: guest_load(inst); return true;
    case Opcode::qemu_st_i32:
    case Opcode::qemu_st_i64: guest_store(inst); return true;
    default: return false;
    }
}

}  // namespace mimic::tcg::x64
