// Port I/O: IN, OUT, INS, OUTS. In protected mode with CPL > IOPL, and
// always in V86 mode, the TSS I/O permission bitmap decides (in a helper).
#include "dc.h"

namespace mimic::x86 {

using tcg::I32;
using tcg::I64;

void gen_string(Dc& dc, unsigned op);

bool translate_io(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    const bool check = dc.pe && (dc.cpl > dc.iopl || dc.vm);
    switch (in.mnemonic) {
    case Mnemonic::kIn:
    case Mnemonic::kOut: {
        const bool is_in = in.mnemonic == Mnemonic::kIn;
        const Operand& port_op = is_in ? in.ops[1] : in.ops[0];
        const unsigned size = is_in ? in.ops[0].size : in.ops[1].size;
        I32 port = b.temp_i32();
        if (port_op.kind == OperandKind::kImm) b.movi(port, static_cast<uint32_t>(in.imm) & 0xff);
        else b.extrl_i64_i32(port, dc.load_gpr(kRDX, 2));
        dc.sync_eip(dc.pc);
        if (check) b.call(MIMIC_HELPER(helper_check_io), {b.env(), port, b.const_i32(size)});
        if (is_in) {
            I64 v = b.temp_i64();
            b.call(MIMIC_HELPER(helper_in), v, {b.env(), port, b.const_i32(size)});
            dc.store_gpr(kRAX, size, v);
        } else {
            b.call(MIMIC_HELPER(helper_out), {b.env(), port, b.const_i32(size), dc.load_gpr(kRAX, size)});
        }
        // A device may have raised an interrupt or changed the memory map:
        // let the loop look before the next instruction.
        dc.stop_after();
        return true;
    }
    case Mnemonic::kInsb: case Mnemonic::kInsw: case Mnemonic::kInsd:
    case Mnemonic::kOutsb: case Mnemonic::kOutsw: case Mnemonic::kOutsd: {
        const bool is_in = in.mnemonic == Mnemonic::kInsb || in.mnemonic == Mnemonic::kInsw ||
                           in.mnemonic == Mnemonic::kInsd;
        if (check) {
            const unsigned size = is_in ? in.ops[0].size : in.ops[1].size;
            I32 port = b.temp_i32();
            b.extrl_i64_i32(port, dc.load_gpr(kRDX, 2));
            dc.sync_eip(dc.pc);
            b.call(MIMIC_HELPER(helper_check_io), {b.env(), port, b.const_i32(size)});
        }
        gen_string(dc, is_in ? 5 : 6);
        dc.stop_after();
        return true;
    }
    default: return false;
    }
}

}  // namespace mimic::x86
