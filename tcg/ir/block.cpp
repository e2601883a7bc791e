#include <algorithm>

#include "mimic/tcg/ir.h"

namespace mimic::tcg {

Globals::Globals() {
    temps_.push_back(TempInfo{Type::I64, TempKind::Env, 0, 0});
    names_.push_back("env");
}

uint32_t Globals::add(std::string name, Type type, int32_t offset) {
    temps_.push_back(TempInfo{type, TempKind::Global, offset, 0});
    names_.push_back(std::move(name));
    return static_cast<uint32_t>(temps_.size() - 1);
}

I32 Globals::add_i32(std::string name, int32_t offset) { return I32{add(std::move(name), Type::I32, offset)}; }
I64 Globals::add_i64(std::string name, int32_t offset) { return I64{add(std::move(name), Type::I64, offset)}; }

Block::Block(const Globals& globals) : temps(globals.temps()), globals_(&globals), const_slots_(64) {}

void Block::reset() {
    temps.assign(globals_->temps().begin(), globals_->temps().end());
    insts.clear();
    num_labels = 0;
    liveness_fresh = false;
    live_at_loop_heads.clear();
    const_count_ = 0;
    if (const_slots_.empty()) const_slots_.resize(64);   // the block was moved from
    if (++stamp_ == 0) {   // wrapped: old stamps could match again
        std::fill(const_slots_.begin(), const_slots_.end(), ConstSlot{});
        stamp_ = 1;
    }
}

namespace {

size_t const_hash(Type type, uint64_t value) {
    uint64_t h = (value ^ (type == Type::I64 ? 0x9e3779b97f4a7c15ull : 0)) * 0xff51afd7ed558ccdull;
    return static_cast<size_t>(h ^ (h >> 32));
}

}  // namespace

// The slot for (type, value): its temp index, or a free slot (0) to fill.
uint32_t* Block::find_const(Type type, uint64_t value) {
    const size_t mask = const_slots_.size() - 1;
    for (size_t i = const_hash(type, value) & mask;; i = (i + 1) & mask) {
        ConstSlot& s = const_slots_[i];
        if (s.stamp != stamp_) {
            s = ConstSlot{value, 0, stamp_};
            return &s.idx;
        }
        if (s.value == value && temps[s.idx].type == type) return &s.idx;
    }
}

void Block::grow_consts() {
    std::vector<ConstSlot> old(const_slots_.size() * 2);
    old.swap(const_slots_);
    for (const ConstSlot& s : old) {
        if (s.stamp != stamp_) continue;
        *find_const(temps[s.idx].type, s.value) = s.idx;
    }
}

uint32_t Block::new_temp(Type type) {
    temps.push_back(TempInfo{type, TempKind::Normal, 0, 0});
    return static_cast<uint32_t>(temps.size() - 1);
}

uint32_t Block::new_const(Type type, uint64_t value) {
    value &= type_mask(type);
    // At most half full, so probes stay short and always find a free slot.
    if (2 * (const_count_ + 1) > const_slots_.size()) grow_consts();
    uint32_t* idx = find_const(type, value);
    if (*idx) return *idx;   // index 0 is env, never a constant
    temps.push_back(TempInfo{type, TempKind::Const, 0, value});
    *idx = static_cast<uint32_t>(temps.size() - 1);
    ++const_count_;
    return *idx;
}

}  // namespace mimic::tcg
