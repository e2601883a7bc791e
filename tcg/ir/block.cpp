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

Block::Block(const Globals& globals) : temps(globals.temps()), globals_(&globals) {}

uint32_t Block::new_temp(Type type) {
    temps.push_back(TempInfo{type, TempKind::Normal, 0, 0});
    return static_cast<uint32_t>(temps.size() - 1);
}

uint32_t Block::new_const(Type type, uint64_t value) {
    value &= type_mask(type);
    auto& map = consts_[type == Type::I64];
    auto it = map.find(value);
    if (it != map.end()) return it->second;
    temps.push_back(TempInfo{type, TempKind::Const, 0, value});
    uint32_t idx = static_cast<uint32_t>(temps.size() - 1);
    map.emplace(value, idx);
    return idx;
}

bool Block::has_backward_branch() const {
    std::vector<bool> seen(num_labels, false);
    for (const Inst& inst : insts) {
        if (inst.op == Opcode::set_label) seen[inst.cst(0)] = true;
        else if (inst.op == Opcode::br && seen[inst.cst(0)]) return true;
        else if ((inst.op == Opcode::brcond_i32 || inst.op == Opcode::brcond_i64) && seen[inst.cst(1)]) return true;
    }
    return false;
}

}  // namespace mimic::tcg
