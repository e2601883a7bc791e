#include "reg_alloc.h"

#include "encode.h"

#include <algorithm>
#include <span>

#include "mimic/util/error.h"

namespace mimic::tcg::x64 {

using namespace Xbyak;
using namespace Xbyak::util;

namespace {

// Callee-saved first: values there survive helper calls.
constexpr int kAllocOrder[] = {Operand::RBX, Operand::RBP, Operand::R12, Operand::R13, Operand::R15,
                               Operand::RSI, Operand::RDI, Operand::R8,  Operand::R9,  Operand::RAX,
                               Operand::RCX, Operand::RDX};
// Registers for pinned globals: callee-saved, so helper calls keep them;
// the caller-saved ones stay for temps.
constexpr int kPinOrder[] = {Operand::RBX, Operand::RBP, Operand::R12, Operand::R13, Operand::R15};

}  // namespace

RegAlloc::RegAlloc(CodeGenerator& gen, const Block& block, RegAllocStorage& storage)
    : gen_(gen),
      block_(block),
      storage_(storage),
      state_(storage.state),
      last_read_(storage.last_read),
      loops_(block.has_backward_branch()),
      pinned_(storage.pinned),
      written_(storage.written),
      written_anywhere_(storage.written_anywhere),
      synced_(storage.synced) {
    state_.assign(block.temps.size(), State{});
    last_read_.assign(block.temps.size(), 0);
    pinned_.clear();
    for (int& r : reg_temp_) r = -1;
    for (size_t i = 0; i < block.insts.size(); ++i) {
        const Inst& inst = block.insts[i];
        for (int k = 0; k < inst.n_in; ++k) last_read_[inst.in(k)] = static_cast<uint32_t>(i);
        insn_starts_ += inst.op == Opcode::insn_start;
    }
    choose_pinned();
}

void RegAlloc::choose_pinned() {
    const uint32_t n = block_.num_globals();
    written_.assign(n, false);
    written_anywhere_.assign(n, false);
    synced_.assign(n, false);
    // What a register saves: a load per read, a store per computed write.
    // A constant write costs the same either way, except inside a loop,
    // where the register keeps it from being stored on every turn; the
    // constants a block exit stores (the next pc) are not inside it.
    std::vector<bool>& exit_tail = storage_.exit_tail;
    if (loops_) {
        exit_tail.assign(block_.insts.size(), false);
        bool tail = false;
        for (size_t i = block_.insts.size(); i-- > 0;) {
            const Opcode op = block_.insts[i].op;
            if (op == Opcode::exit_tb || op == Opcode::goto_tb || op == Opcode::goto_tb_guarded ||
                op == Opcode::lookup_and_goto_ptr ||
                op == Opcode::lookup_and_goto_ptr_pc)
                tail = true;
            else if (op == Opcode::set_label || op == Opcode::br || op == Opcode::brcond_i32 || op == Opcode::brcond_i64)
                tail = false;
            exit_tail[i] = tail;
        }
    }
    std::vector<unsigned>& score = storage_.score;
    score.assign(n, 0);
    uint32_t excluded = 0;   // registers host code takes
    for (size_t i = 0; i < block_.insts.size(); ++i) {
        const Inst& inst = block_.insts[i];
        for (int k = 0; k < inst.n_in; ++k)
            if (inst.in(k) < n && block_.is_global(inst.in(k))) score[inst.in(k)] += 2;
        for (int k = 0; k < inst.n_out && inst.op != Opcode::discard_i64; ++k) {
            const uint32_t g = inst.out(k);
            if (g >= n) continue;
            written_anywhere_[g] = true;
            const bool constant = (inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) && block_.is_const(inst.in(0));
            if (!constant || (loops_ && !exit_tail[i])) score[g] += 2;
        }
        if (inst.op == Opcode::host_code) {
            const HostCode& code = *reinterpret_cast<const HostCode*>(inst.cst(0));
            excluded |= code.clobbers;
            for (int k = 0; k < code.n_in; ++k) excluded |= 1u << code.in_regs[k];
            for (int k = 0; k < code.n_out; ++k) excluded |= 1u << code.out_regs[k];
        }
    }
    // A global used once gains nothing from a register of its own (its
    // load or store just moves to the entry or the exits), except in a
    // loop, where that use repeats.
    std::vector<uint32_t>& candidates = storage_.candidates;
    candidates.clear();
    for (uint32_t g = 1; g < n; ++g)
        if (score[g] >= (loops_ ? 2u : 4u)) candidates.push_back(g);
    // Ties in index order, as a stable sort would leave them (std::sort
    // does not allocate a buffer).
    std::sort(candidates.begin(), candidates.end(),
              [&](uint32_t a, uint32_t b) { return score[a] != score[b] ? score[a] > score[b] : a < b; });
    size_t next = 0;
    for (int r : kPinOrder) {
        if ((excluded >> r) & 1) continue;
        if (next == candidates.size()) break;
        const uint32_t g = candidates[next++];
        pinned_.push_back(g);
        pinned_regs_ |= 1u << r;
        state_[g] = State{r, false, true, -1};
        reg_temp_[r] = static_cast<int>(g);
    }
}

bool RegAlloc::pinned_written(uint32_t t) const { return loops_ ? written_anywhere_[t] : written_[t]; }

void RegAlloc::load_pinned() {
    for (uint32_t g : pinned_) {
        const TempInfo& info = block_.temps[g];
        encode::mov_mem(gen_, true, info.type != Type::I32, state_[g].reg, kEnvReg, info.offset);
    }
}

RegAlloc::DirtyGlobals RegAlloc::dirty_globals() const {
    DirtyGlobals out;
    // Only globals in registers can be dirty: visit the 16 registers, not
    // every global.
    for (int r = 0; r < 16; ++r) {
        const int t = reg_temp_[r];
        if (t < 0 || !block_.is_global(static_cast<uint32_t>(t))) continue;
        const uint32_t g = static_cast<uint32_t>(t);
        const State& s = state_[g];
        if (s.reg < 0 || !(s.pinned ? pinned_written(g) : s.dirty)) continue;
        out.at[out.count++] = {s.reg, block_.temps[g].offset, block_.temps[g].type == Type::I32};
    }
    return out;
}

void RegAlloc::store_globals(CodeGenerator& gen, const DirtyGlobals& globals) {
    for (const DirtyGlobal& g : std::span(globals.at, globals.count)) {
        encode::mov_mem(gen, false, !g.is_i32, g.reg, kEnvReg, g.offset);
    }
}

Address RegAlloc::home(uint32_t t) {
    const HomeSlot h = home_slot(t);
    return ptr[Reg64(h.base) + h.disp];
}

RegAlloc::HomeSlot RegAlloc::home_slot(uint32_t t) {
    const TempInfo& info = block_.temps[t];
    if (info.kind == TempKind::Global) return {kEnvReg, info.offset};
    State& s = state_[t];
    // A temp keeps its slot for the whole block: code emitted earlier (a
    // loop head) may read a value that code emitted later stores.
    if (s.slot < 0) {
        if (next_slot_ >= kFrameSlots) throw Error("translation block needs more than {} spill slots", kFrameSlots);
        s.slot = next_slot_++;
    }
    return {Operand::RSP, s.slot * 8};
}

void RegAlloc::move_home(bool load, bool wide, int reg, uint32_t t) {
    const HomeSlot h = home_slot(t);
    encode::mov_mem(gen_, load, wide, reg, h.base, h.disp);
}

void RegAlloc::store(uint32_t t) {
    State& s = state_[t];
    if (s.pinned) {
        // Its register stays the value; env gets a copy when it may be behind.
        if (!pinned_written(t) || synced_[t]) return;
        move_home(false, block_.temps[t].type != Type::I32, s.reg, t);
        synced_[t] = true;
        return;
    }
    if (s.reg < 0 || !s.dirty) return;
    const TempInfo& info = block_.temps[t];
    move_home(false, !(info.kind == TempKind::Global && info.type == Type::I32), s.reg, t);
    s.dirty = false;
}

void RegAlloc::discard(uint32_t t) {
    State& s = state_[t];
    if (s.pinned || s.reg < 0) return;
    s.dirty = false;
    free_reg(s.reg);
}

void RegAlloc::free_reg(int reg) {
    if (is_pinned_reg(reg)) throw Error("register allocator: freeing the register of a pinned global");
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
        encode::mov_reg(gen_, true, reg, kEnvReg);
    } else if (s.reg >= 0) {
        if (s.reg != reg) encode::mov_reg(gen_, true, reg, s.reg);
    } else if (info.kind == TempKind::Const) {
        if (info.value == 0) {
            gen_.xor_(Reg32(reg), Reg32(reg));
            ++flag_writes_;
        } else {
            gen_.mov(Reg64(reg), info.value);
        }
    } else {
        move_home(true, info.type != Type::I32, reg, t);
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
        if (locked(r) || is_pinned_reg(r)) continue;
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
    if (inst.is_dead(inst.n_out + input) && state_[t].reg >= 0 && !state_[t].pinned &&
        (kind == TempKind::Normal || kind == TempKind::Global)) {
        return state_[t].reg;
    }
    return alloc();
}

bool RegAlloc::can_take(uint32_t t) const {
    const TempKind kind = block_.temps[t].kind;
    return state_[t].reg >= 0 && !state_[t].pinned && (kind == TempKind::Normal || kind == TempKind::Global);
}

int RegAlloc::output_reg(const Inst& inst, int input) {
    const State& out = state_[inst.out(0)];
    if (out.pinned) {
        bool clash = false;
        for (int k = 0; k < inst.n_in; ++k)
            if (k != input && state_[inst.in(k)].reg == out.reg) clash = true;
        if (!clash) {
            lock(out.reg);
            return out.reg;
        }
    }
    return reuse_or_alloc(inst, input);
}

void RegAlloc::evict_and_lock(int reg) {
    if (is_pinned_reg(reg)) throw Error("register allocator: evicting the register of a pinned global");
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
        if (s.pinned) continue;
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
    if (s.pinned) {
        written_[t] = true;
        synced_[t] = false;
        if (reg != s.reg && !inst.is_dead(k)) {
            encode::mov_reg(gen_, block_.temps[t].type != Type::I32, s.reg, reg);
        }
        return;   // reg was a free register the result passed through
    }
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

void RegAlloc::store_global_from(uint32_t t, int reg) {
    State& s = state_[t];
    if (s.reg >= 0 && s.reg != reg) free_reg(s.reg);
    s.dirty = false;
    encode::mov_mem(gen_, false, block_.temps[t].type != Type::I32, reg, kEnvReg, block_.temps[t].offset);
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
    if (s.pinned) {
        written_[t] = true;
        synced_[t] = false;
        if (block_.temps[t].type == Type::I32) gen_.mov(Reg32(s.reg), static_cast<uint32_t>(v));
        else gen_.mov(Reg64(s.reg), v);
        return;
    }
    if (s.reg >= 0) free_reg(s.reg);
    s.dirty = false;
    encode::mov_mem_imm32(gen_, block_.temps[t].type != Type::I32, kEnvReg, block_.temps[t].offset,
                          static_cast<uint32_t>(v));
}

void RegAlloc::sync_globals() {
    for (int r = 0; r < 16; ++r) {
        const int t = reg_temp_[r];
        if (t >= 0 && block_.is_global(static_cast<uint32_t>(t))) store(static_cast<uint32_t>(t));
    }
}

void RegAlloc::at_label() { synced_.assign(synced_.size(), false); }

void RegAlloc::drop_globals() {
    at_label();   // the reload makes them agree, but a store more is cheap here
    for (int r = 0; r < 16; ++r) {
        const int t = reg_temp_[r];
        if (t < 0 || is_pinned_reg(r) || !block_.is_global(static_cast<uint32_t>(t))) continue;
        state_[t].dirty = false;
        free_reg(r);
    }
    load_pinned();
}

void RegAlloc::save_all(bool temps_too) {
    for (int r = 0; r < 16; ++r) {
        int t = reg_temp_[r];
        if (t < 0 || is_pinned_reg(r)) continue;
        const bool global = block_.is_global(static_cast<uint32_t>(t));
        if (global || (temps_too && (last_read_[t] > pos_ || block_.live_at_loop_head(static_cast<uint32_t>(t)))))
            store(static_cast<uint32_t>(t));
        state_[t].dirty = false;
        free_reg(r);
    }
}

void RegAlloc::save_all_for_branch() {
    for (int r = 0; r < 16; ++r) {
        const int t = reg_temp_[r];
        if (t < 0 || is_pinned_reg(r)) continue;
        const auto u = static_cast<uint32_t>(t);
        if (block_.is_global(u) || last_read_[u] > pos_ || block_.live_at_loop_head(u)) {
            store(u);   // stays in r, now clean
            continue;
        }
        state_[u].dirty = false;
        free_reg(r);
    }
}

void RegAlloc::evict_caller_saved() {
    for (int r = 0; r < 16; ++r) {
        if (is_caller_saved(r) && reg_temp_[r] >= 0) evict_and_lock(r);
    }
}

uint16_t RegAlloc::live_caller_saved() const {
    uint16_t regs = 0;
    for (int r = 0; r < 16; ++r) {
        if (is_caller_saved(r) && reg_temp_[r] >= 0) regs |= static_cast<uint16_t>(1u << r);
    }
    return regs;
}

}  // namespace mimic::tcg::x64
