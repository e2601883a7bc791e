#include "mimic/tcg/printer.h"

#include <fmt/format.h>

namespace mimic::tcg {

std::string temp_name(const Block& block, uint32_t idx) {
    if (idx >= block.temps.size()) return fmt::format("<bad:{}>", idx);
    const TempInfo& t = block.temps[idx];
    switch (t.kind) {
    case TempKind::Env:
    case TempKind::Global: return block.globals().name(idx);
    case TempKind::Const: return fmt::format("$0x{:x}", t.value);
    case TempKind::Normal: break;
    }
    // Number normal temps only, so constants do not leave gaps.
    uint32_t n = 0;
    for (uint32_t i = block.num_globals(); i < idx; ++i) n += block.temps[i].kind == TempKind::Normal;
    return fmt::format("tmp{}", n);
}

std::string memop_name(MemOp m) {
    static const char* const kSizes[2][4] = {{"ub", "uw", "ul", "uq"}, {"sb", "sw", "sl", "sq"}};
    std::string s;
    if (m & kMoAlignMask) s += fmt::format("al{}+", memop_align(m));
    if (m & kMoBigEndian) s += "be";
    if (m & kMoGuestBit) s += "g+";
    s += kSizes[(m & kMoSign) != 0][m & kMoSizeMask];
    return s;
}

std::string print_inst(const Block& block, const Inst& inst, bool with_liveness) {
    const OpInfo& info = op_info(inst.op);
    if (inst.op == Opcode::insn_start) {
        return fmt::format(" ---- 0x{:x} 0x{:x}", inst.cst(0), inst.cst(1));
    }
    std::string s = fmt::format(" {}", info.name);
    std::string args;
    auto add = [&](const std::string& a) {
        args += args.empty() ? " " : ",";
        args += a;
    };
    if (inst.op == Opcode::call) {
        // Like QEMU: helper name, flags and output count, then outputs and inputs.
        const Helper* h = reinterpret_cast<const Helper*>(inst.cst(0));
        add(h->name);
        add(fmt::format("$0x{:x}", h->flags));
        add(fmt::format("${}", inst.n_out));
    }
    if (inst.op == Opcode::host_code) add(reinterpret_cast<const HostCode*>(inst.cst(0))->name);
    for (int i = 0; i < inst.n_out + inst.n_in; ++i) add(temp_name(block, static_cast<uint32_t>(inst.args[i])));
    if (inst.op != Opcode::call && inst.op != Opcode::host_code) {
        for (int i = 0; i < inst.n_const; ++i) {
            uint64_t v = inst.cst(i);
            switch (info.consts[i]) {
            case 'c': add(cond_name(static_cast<Cond>(v))); break;
            case 'h': add(reinterpret_cast<const Helper*>(v)->name); break;
            case 'L': add(fmt::format("$L{}", v)); break;
            case 'm':
                if (inst.op == Opcode::ld_i32 || inst.op == Opcode::ld_i64 || inst.op == Opcode::st_i32 ||
                    inst.op == Opcode::st_i64) {
                    add(memop_name(static_cast<MemOp>(v)));
                } else {
                    add(fmt::format("{},{}", memop_name(get_memop(static_cast<MemOpIdx>(v))),
                                    get_mmu_idx(static_cast<MemOpIdx>(v))));
                }
                break;
            default: add(fmt::format("$0x{:x}", v)); break;
            }
        }
    }
    s += args;
    if (with_liveness && inst.dead) {
        std::string dead;
        for (int i = 0; i < inst.n_out + inst.n_in; ++i) {
            if (inst.is_dead(i)) dead += fmt::format("{}{}", dead.empty() ? "" : ",", i);
        }
        s += fmt::format("  dead: {}", dead);
    }
    return s;
}

std::string print_block(const Block& block, bool with_liveness) {
    std::string s;
    for (const Inst& inst : block.insts) {
        s += print_inst(block, inst, with_liveness);
        s += '\n';
    }
    return s;
}

}  // namespace mimic::tcg
