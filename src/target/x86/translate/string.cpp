// String instructions (MOVS CMPS STOS LODS SCAS, and INS/OUTS from io.cpp)
// with their REP forms. The helper runs the whole loop, updating ESI/EDI/ECX
// in env as it goes, so a fault in the middle leaves the architectural
// state of the interrupted iteration; long loops return to the cpu loop
// periodically (eip left at the instruction) so interrupts are not delayed.
#include "dc.h"

namespace mimic::x86 {

// Descriptor layout shared with helper_string.
uint32_t string_desc(unsigned op, unsigned size, unsigned addr_size, RepKind rep, unsigned seg) {
    return op | (size << 4) | (addr_size << 8) | (static_cast<unsigned>(rep) << 12) | (seg << 16);
}

void gen_string(Dc& dc, unsigned op) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    unsigned size = 1;
    for (unsigned i = 0; i < in.op_count; ++i)
        if (in.ops[i].kind == OperandKind::kMem) size = in.ops[i].size;
    RepKind rep = (in.prefixes & (kPfxRep | kPfxRepne)) ? in.rep : RepKind::kNone;
    if (rep == RepKind::kNone && (in.prefixes & (kPfxRep | kPfxRepne))) rep = RepKind::kRep;
    // The source segment: DS unless overridden (the destination is always ES).
    unsigned seg = dc.seg_prefix != kNoSeg ? dc.seg_prefix : static_cast<unsigned>(kDS);
    dc.sync_eip(dc.pc);
    b.call(MIMIC_HELPER(helper_string),
           {b.env(), b.const_i32(string_desc(op, size, in.addr_size, rep, seg)),
            b.const_i64(dc.next_pc)});
    dc.cc_op = kCcOpDynamic;
    if (rep != RepKind::kNone) {
        // The helper decided where execution continues.
        dc.jump_indirect();
    }
}

bool translate_string(Dc& dc) {
    switch (dc.insn->mnemonic) {
    case Mnemonic::kMovsb: case Mnemonic::kMovsw: case Mnemonic::kMovsd: case Mnemonic::kMovsq:
        gen_string(dc, 0);
        return true;
    case Mnemonic::kCmpsb: case Mnemonic::kCmpsw: case Mnemonic::kCmpsd: case Mnemonic::kCmpsq:
        gen_string(dc, 1);
        return true;
    case Mnemonic::kStosb: case Mnemonic::kStosw: case Mnemonic::kStosd: case Mnemonic::kStosq:
        gen_string(dc, 2);
        return true;
    case Mnemonic::kLodsb: case Mnemonic::kLodsw: case Mnemonic::kLodsd: case Mnemonic::kLodsq:
        gen_string(dc, 3);
        return true;
    case Mnemonic::kScasb: case Mnemonic::kScasw: case Mnemonic::kScasd: case Mnemonic::kScasq:
        gen_string(dc, 4);
        return true;
    default: return false;
    }
}

}  // namespace mimic::x86
