#include "reg_alloc.h"

#include "mimic/util/error.h"

namespace mimic::tcg::x64 {

using namespace Xbyak;
using namespace Xbyak::util;

namespace {

// Callee-saved first: values there survive helper calls.
constexpr int kAllocOrder[] = {Operand::RBX, Operand::RBP, Operand::R12, Operand::R13, Operand::R15,
                               Operand::RSI, Operand::RDI, Operand::R8,  Operand::R9,  Operand::RAX,
                               Operand::RCX, Operand::RDX};

}  // namespace

RegAlloc::RegAlloc(CodeGenerator& gen, const Block& block)
    : gen_(gen),
      block_(block),
      state_(block.temps.size()),
      last_read_(block.temps.size(), 0),
      loops_(block.has_backward_branch()) {
    for (int& r : reg_temp_) r = -1;
    for (size_t i = 0; i < block.insts.size(); ++i) {
        const Inst& inst = block.insts[i];
        for (int k = 0; k < inst.n_in; ++k) last_read_[inst.in(k)] = static_cast<uint32_t>(i);
    }
}

Address RegAlloc::home(uint32_t t) {
    const TempInfo& info = block_.temps[t];
    if (info.kind == TempKind::Global) return ptr[Reg64(kEnvReg) + info.offset];
    State& s = state_[t];
    // A temp keeps its slot for the whole block: code emitted earlier (a
    // loop head) may read a value that code emitted later stores.
    if (s.slot < 0) {
        if (next_slot_ >= kFrameSlots) throw Error("translation block needs more than {} spill slots", kFrameSlots);
        s.slot = next_slot_++;
    }
    return ptr[rsp + s.slot * 8];
}

void RegAlloc::store(uint32_t t) {
    State& s = state_[t];
    if (s.reg < 0 || !s.dirty) return;
    const TempInfo& info = block_.temps[t];
    if (info.kind == TempKind::Global && info.type == Type::I32) {
        gen_.mov(home(t), Reg32(s.reg));
    } else {
        gen_.mov(home(t), Reg64(s.reg));
    }
    s.dirty = false;
}

void RegAlloc::free_reg(int reg) {
    int t = reg_temp_[reg];
    if (t >= 0) state_[t].reg = -1;
    reg_temp_[reg] = -1;
}

bool RegAlloc::is_imm32(uint32_t t) const {
    if (!block_.is_const(t)) return false;
    const TempInfo& info = block_.temps[t];
    if (info.type == Type::I32) return true;
    return static_cast<int64_t>(info.value) == static_cast<int32_t>(info.value);
}

void RegAlloc::load_to(int reg, uint32_t t) {
    const TempInfo& info = block_.temps[t];
    const State& s = state_[t];
    if (info.kind == TempKind::Env) {
        gen_.mov(Reg64(reg), Reg64(kEnvReg));
    } else if (s.reg >= 0) {
        if (s.reg != reg) gen_.mov(Reg64(reg), Reg64(s.reg));
    } else if (info.kind == TempKind::Const) {
        if (info.value == 0) {
            gen_.xor_(Reg32(reg), Reg32(reg));
        } else {
            gen_.mov(Reg64(reg), info.value);
        }
    } else if (info.type == Type::I32) {
        gen_.mov(Reg32(reg), home(t));
    } else {
        gen_.mov(Reg64(reg), home(t));
    }
}

int RegAlloc::alloc() {
    for (int r : kAllocOrder) {
        if (reg_temp_[r] < 0 && !locked(r)) {
            lock(r);
            return r;
        }
    }
    // Spill: round-robin over unlocked registers.
    for (unsigned i = 0; i < std::size(kAllocOrder); ++i) {
        int r = kAllocOrder[(next_victim_ + i) % std::size(kAllocOrder)];
        if (locked(r)) continue;
        next_victim_ = (next_victim_ + i + 1) % std::size(kAllocOrder);
        store(static_cast<uint32_t>(reg_temp_[r]));
        free_reg(r);
        lock(r);
        return r;
    }
    throw Error("register allocator: no register left");
}

int RegAlloc::use(uint32_t t) {
    if (block_.temps[t].kind == TempKind::Env) return kEnvReg;
    State& s = state_[t];
    if (s.reg >= 0) {
        lock(s.reg);
        return s.reg;
    }
    int r = alloc();
    load_to(r, t);
    s.reg = r;
    s.dirty = false;
    reg_temp_[r] = static_cast<int>(t);
    return r;
}

int RegAlloc::reuse_or_alloc(const Inst& inst, int input) {
    uint32_t t = inst.in(input);
    TempKind kind = block_.temps[t].kind;
    if (inst.is_dead(inst.n_out + input) && state_[t].reg >= 0 &&
        (kind == TempKind::Normal || kind == TempKind::Global)) {
        return state_[t].reg;
    }
    return alloc();
}

void RegAlloc::evict_and_lock(int reg) {
    if (reg_temp_[reg] >= 0) {
        store(static_cast<uint32_t>(reg_temp_[reg]));
        free_reg(reg);
    }
    lock(reg);
}

void RegAlloc::release_dead_inputs(const Inst& inst) {
    for (int k = 0; k < inst.n_in; ++k) {
        uint32_t t = inst.in(k);
        if (!inst.is_dead(inst.n_out + k)) continue;
        TempKind kind = block_.temps[t].kind;
        if (kind != TempKind::Normal && kind != TempKind::Global) continue;
        State& s = state_[t];
        if (s.reg >= 0) {
            // A dead value is overwritten before anyone reads it: no store.
            reg_temp_[s.reg] = -1;
            s.reg = -1;
            s.dirty = false;
        }
    }
}

void RegAlloc::bind_output(const Inst& inst, int k, int reg) {
    uint32_t t = inst.out(k);
    State& s = state_[t];
    if (reg_temp_[reg] >= 0 && reg_temp_[reg] != static_cast<int>(t)) free_reg(reg);
    if (s.reg >= 0 && s.reg != reg) free_reg(s.reg);
    if (inst.is_dead(k)) {
        // Nobody reads it; the register is free right away.
        reg_temp_[reg] = -1;
        s.reg = -1;
        s.dirty = false;
        return;
    }
    s.reg = reg;
    s.dirty = true;
    reg_temp_[reg] = static_cast<int>(t);
}

void store_imm(CodeGenerator& gen, const RegExp& at, unsigned size, uint64_t v) {
    switch (size) {
    case 1: gen.mov(byte[at], static_cast<uint8_t>(v)); break;
    case 2: gen.mov(word[at], static_cast<uint16_t>(v)); break;
    case 4: gen.mov(dword[at], static_cast<uint32_t>(v)); break;
    default: gen.mov(qword[at], v); break;   // xbyak takes the 64-bit value it sign-extends to
    }
}

void RegAlloc::store_const_global(uint32_t t, uint64_t v) {
    State& s = state_[t];
    if (s.reg >= 0) free_reg(s.reg);
    s.dirty = false;
    store_imm(gen_, Reg64(kEnvReg) + block_.temps[t].offset, block_.temps[t].type == Type::I32 ? 4 : 8, v);
}

void RegAlloc::sync_globals() {
    for (uint32_t g = 1; g < block_.num_globals(); ++g) store(g);
}

void RegAlloc::drop_globals() {
    for (uint32_t g = 1; g < block_.num_globals(); ++g) {
        if (state_[g].reg >= 0) free_reg(state_[g].reg);
        state_[g].dirty = false;
    }
}

void RegAlloc::save_all(bool temps_too) {
    for (int r = 0; r < 16; ++r) {
        int t = reg_temp_[r];
        if (t < 0) continue;
        const bool global = block_.is_global(static_cast<uint32_t>(t));
        if (global || (temps_too && (loops_ || last_read_[t] > pos_))) store(static_cast<uint32_t>(t));
        state_[t].dirty = false;
        free_reg(r);
    }
}

void RegAlloc::evict_caller_saved() {
    for (int r = 0; r < 16; ++r) {
        if (is_caller_saved(r) && reg_temp_[r] >= 0) evict_and_lock(r);
    }
}

std::vector<int> RegAlloc::live_caller_saved() const {
    std::vector<int> regs;
    for (int r = 0; r < 16; ++r) {
        if (is_caller_saved(r) && reg_temp_[r] >= 0) regs.push_back(r);
    }
    return regs;
}

}  // namespace mimic::tcg::x64
