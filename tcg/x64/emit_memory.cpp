// Env loads/stores and guest memory accesses with the inline TLB fast path.
//
// Fast path (kScratch0/1 are never allocated):
//   s0 = (addr >> 12) & mask[mmu]                the entry's index
//   s1 = (addr + size - align) & (kPageMask | (align-1))
//   cmp s1, [env + addr_read/addr_write[mmu] + s0*8]
//   jne slow
//   s1 = [env + addend[mmu] + s0*8]
//   load/store at [s1 + addr]                   the host address
// The slow path is emitted out of line, after the block's code, and saves
// the caller-saved registers that hold values, so allocation is unaffected.
#include <bit>
#include <cstddef>

#include "emitter.h"
#include "encode.h"
#include "mimic/util/error.h"

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

// Pushes the registers in mask `regs` keeping rsp 16-byte aligned; returns
// the padding used.
int save_regs(CodeGenerator& gen, uint16_t regs) {
    for (int r = 0; r < 16; ++r) {
        if ((regs >> r) & 1) encode::push_pop(gen, true, r);
    }
    int pad = (std::popcount(regs) & 1) ? 8 : 0;
    if (pad) gen.sub(rsp, pad);
    return pad;
}

void restore_regs(CodeGenerator& gen, uint16_t regs, int pad) {
    if (pad) gen.add(rsp, pad);
    for (int r = 16; r-- > 0;) {
        if ((regs >> r) & 1) encode::push_pop(gen, false, r);
    }
}

}  // namespace

size_t Emitter::jump_placeholder(bool if_not_equal) {
    if (if_not_equal) {
        gen_.db(0x0f);
        gen_.db(0x85);   // jne rel32
    } else {
        gen_.db(0xe9);   // jmp rel32
    }
    gen_.dd(0);
    return gen_.getSize() - 4;
}

void Emitter::resolve_jump(size_t field) {
    gen_.rewrite(field, static_cast<uint32_t>(static_cast<int32_t>(gen_.getSize() - (field + 4))), 4);
}

size_t Emitter::short_jne_placeholder() {
    gen_.db(0x75);   // jne rel8
    gen_.db(0);
    return gen_.getSize() - 1;
}

void Emitter::resolve_short_jump(size_t field) {
    const size_t rel = gen_.getSize() - (field + 1);
    if (rel > 127) throw Error("x86-64 back end: short jump over {} bytes", rel);
    gen_.rewrite(field, rel, 1);
}

// The fast path's fixed instructions, encoded here rather than through
// the assembler's general operand handling: every guest memory access
// emits them, and translation speed is guest speed for code run once.
// With s0 = r10, s1 = r11, env = r14:
//   mov r10d, [index_ctl]; bextr r10, addr, r10 (without BMI1: mov, shr, and [mask])
//   lea r11, [addr + size - align] (or mov r11, addr); and r11, mask
//   cmp r11, [r14 + r10*8 + tag]; jne slow; mov r11, [r14 + r10*8 + addend]
int32_t Emitter::tlb_tag_offset(unsigned mmu_idx, bool is_store) const {
    return static_cast<int32_t>(rt_.config->softmmu.tlb_offset +
                                (is_store ? SoftTlb::write_offset(mmu_idx) : SoftTlb::read_offset(mmu_idx)));
}

void Emitter::tlb_index(int reg, unsigned mmu_idx) {
    // The table's size changes at run time: its index field is read from
    // env (a load that does not wait for reg).
    const int32_t tlb = rt_.config->softmmu.tlb_offset;
    if (rt_.bmi1) {
        // One instruction: a shift and a mask would be one more cycle
        // between a loaded address and the load from it.
        encode::mov_mem(gen_, true, false, kScratch0, kEnvReg,
                        tlb + static_cast<int32_t>(SoftTlb::index_ctl_offset(mmu_idx)));
        encode::bextr(gen_, kScratch0, reg, kScratch0);
    } else {
        encode::mov_reg(gen_, true, kScratch0, reg);
        encode::shr_imm(gen_, kScratch0, kPageBits);
        encode::and_mem32(gen_, kScratch0, kEnvReg, tlb + static_cast<int32_t>(SoftTlb::mask_offset(mmu_idx)));
    }
}

void Emitter::tlb_lookup(SlowPath& path, bool is_store) {
    static_assert(kScratch0 == Operand::R10 && kScratch1 == Operand::R11 && kEnvReg == Operand::R14);
    const SoftmmuConfig& mmu = rt_.config->softmmu;
    if (mmu.tlb_offset < 0) {
        path.branch = jump_placeholder(false);
        return;
    }
    const int addr = path.addr;
    const unsigned size = memop_size(path.memop), align = memop_align(path.memop);
    tlb_index(addr, path.mmu_idx);
    if (size > align) encode::lea(gen_, kScratch1, addr, static_cast<int32_t>(size - align));
    else encode::mov_reg(gen_, true, kScratch1, addr);
    encode::and_imm32(gen_, true, kScratch1, static_cast<uint32_t>(kPageMask | (align - 1)));
    encode::op_mem_index8(gen_, 0x3b, kScratch1, kEnvReg, kScratch0, tlb_tag_offset(path.mmu_idx, is_store));
    path.branch = jump_placeholder(true);
    // The access adds addr in its addressing mode.
    encode::op_mem_index8(gen_, 0x8b, kScratch1, kEnvReg, kScratch0,
                          static_cast<int32_t>(mmu.tlb_offset + SoftTlb::addend_offset(path.mmu_idx)));
}

void Emitter::guest_load(const Inst& inst) {
    const MemOpIdx oi = static_cast<MemOpIdx>(inst.cst(0));
    const MemOp m = get_memop(oi);
    const unsigned size = memop_size(m);
    const Type t = out_type(inst);
    SlowPath path{};
    path.kind = SlowPath::Kind::kLoad;
    path.memop = m;
    path.mmu_idx = get_mmu_idx(oi);
    const int addr = ra_.use(inst.in(0));
    path.addr = static_cast<int8_t>(addr);
    // The slow path may fault: it brings env up to date first. Taken
    // before the output may reuse a dead input's register.
    path.dirty = ra_.dirty_globals();
    const int d = ra_.output_reg(inst, 0);
    path.value = static_cast<int8_t>(d);
    path.saved = static_cast<uint16_t>(ra_.live_caller_saved() & ~(1u << d));
    path.access = gen_.getSize();
    tlb_lookup(path, false);
    load_raw(gen_, d, Reg64(kScratch1) + Reg64(addr), size);
    if (m & kMoBigEndian) swap_bytes(gen_, d, size);
    path.resume = gen_.getSize();
    if (m & kMoSign) sign_extend(gen_, d, size, t);
    slow_paths_.push_back(path);
    finish(inst, d);
}

void Emitter::guest_store(const Inst& inst) {
    const MemOpIdx oi = static_cast<MemOpIdx>(inst.cst(0));
    const MemOp m = get_memop(oi);
    const unsigned size = memop_size(m);
    SlowPath path{};
    path.kind = SlowPath::Kind::kStore;
    path.memop = m;
    path.mmu_idx = get_mmu_idx(oi);
    // A constant little-endian value is stored as an immediate; the slow
    // path gets it in a register of its own.
    const bool imm = ra_.is_imm32(inst.in(0)) && !(m & kMoBigEndian);
    path.imm_value = imm ? ra_.const_value(inst.in(0)) : 0;
    const int val = imm ? -1 : ra_.use(inst.in(0));
    path.value = static_cast<int8_t>(val);
    const int addr = ra_.use(inst.in(1));
    path.addr = static_cast<int8_t>(addr);
    path.dirty = ra_.dirty_globals();   // the slow path may fault: env first
    path.saved = ra_.live_caller_saved();
    path.access = gen_.getSize();
    tlb_lookup(path, true);
    const RegExp host = Reg64(kScratch1) + Reg64(addr);
    if (imm) {
        store_imm(gen_, host, size, path.imm_value);
    } else if (m & kMoBigEndian) {
        gen_.mov(Reg64(kScratch0), Reg64(val));
        swap_bytes(gen_, kScratch0, size);
        gen_.mov(sized(host, size), Reg64(kScratch0).changeBit(size * 8));
    } else {
        gen_.mov(sized(host, size), Reg64(val).changeBit(size * 8));
    }
    path.resume = gen_.getSize();
    slow_paths_.push_back(path);
    finish(inst, -1);
}

// load_slow(env, vaddr, memop, mmu_idx, retaddr), the value coming back
// zero-extended in the right byte order; or store_slow(env, vaddr, value,
// memop, mmu_idx, retaddr). retaddr points inside the guest instruction's
// code, for restore_state.
void Emitter::emit_slow_path(const SlowPath& path) {
    resolve_jump(path.branch);
    RegAlloc::store_globals(gen_, path.dirty);
    const int pad = save_regs(gen_, path.saved);
    const void* retaddr = gen_.getCode() + path.access + 1;
    if (path.kind == SlowPath::Kind::kRaise) {
        // Does not return: nothing to save or restore.
        gen_.mov(rdi, Reg64(kEnvReg));
        gen_.lea(rsi, ptr[rip + retaddr]);
        gen_.mov(rax, reinterpret_cast<uintptr_t>(path.raise));
        gen_.call(rax);
        gen_.ud2();
        return;
    }
    // The fixed sequences below are encoded directly (see encode.h).
    if (path.kind == SlowPath::Kind::kLoad) {
        encode::mov_reg(gen_, true, Operand::RSI, path.addr);
        encode::mov_reg(gen_, true, Operand::RDI, kEnvReg);
        encode::mov_imm32(gen_, Operand::RDX, path.memop);
        encode::mov_imm32(gen_, Operand::RCX, path.mmu_idx);
        encode::lea_rip(gen_, Operand::R8, retaddr);
        encode::mov_imm64(gen_, Operand::RAX, reinterpret_cast<uintptr_t>(rt_.config->softmmu.load_slow));
        encode::call_reg(gen_, Operand::RAX);
        encode::mov_reg(gen_, true, kScratch1, Operand::RAX);
        restore_regs(gen_, path.saved, pad);
        encode::mov_reg(gen_, true, path.value, kScratch1);
    } else {
        encode::mov_reg(gen_, true, kScratch0, path.addr);
        if (path.value >= 0) encode::mov_reg(gen_, true, kScratch1, path.value);
        else gen_.mov(Reg64(kScratch1), path.imm_value);
        encode::mov_reg(gen_, true, Operand::RDI, kEnvReg);
        encode::mov_reg(gen_, true, Operand::RSI, kScratch0);
        encode::mov_reg(gen_, true, Operand::RDX, kScratch1);
        encode::mov_imm32(gen_, Operand::RCX, path.memop);
        encode::mov_imm32(gen_, Operand::R8, path.mmu_idx);
        encode::lea_rip(gen_, Operand::R9, retaddr);
        encode::mov_imm64(gen_, Operand::RAX, reinterpret_cast<uintptr_t>(rt_.config->softmmu.store_slow));
        encode::call_reg(gen_, Operand::RAX);
        restore_regs(gen_, path.saved, pad);
    }
    encode::jmp_to(gen_, gen_.getCode() + path.resume);
}

// guard_sext_i64: a compare on the fast path; the raise is out of line,
// after env is brought up to date (the helper longjmps out).
void Emitter::guard_sext(const Inst& inst) {
    const unsigned bits = static_cast<unsigned>(inst.cst(0));
    const int v = ra_.use(inst.in(0));
    SlowPath path{};
    path.kind = SlowPath::Kind::kRaise;
    path.raise = reinterpret_cast<const Helper*>(inst.cst(1))->fn;
    path.dirty = ra_.dirty_globals();
    path.access = gen_.getSize();
    const Reg64 s0(kScratch0);
    gen_.mov(s0, Reg64(v));
    gen_.shl(s0, 64 - bits);
    gen_.sar(s0, 64 - bits);
    gen_.cmp(s0, Reg64(v));
    path.branch = jump_placeholder(true);
    path.resume = gen_.getSize();
    slow_paths_.push_back(path);
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
    case Opcode::guard_sext_i64: guard_sext(inst); return true;
    default: return false;
    }
}

}  // namespace mimic::tcg::x64
