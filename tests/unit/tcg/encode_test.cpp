// The back end's direct encodings against the assembler's: the same bytes
// for every register, base and displacement size.
#include <gtest/gtest.h>

#include <vector>

#include "../../../tcg/x64/encode.h"

namespace mimic::tcg::x64::test {
namespace {

using namespace Xbyak;
using Xbyak::util::ptr;
using Xbyak::util::rip;
using Xbyak::util::dword;
using Xbyak::util::qword;

std::vector<uint8_t> bytes(const CodeGenerator& gen) { return {gen.getCode(), gen.getCode() + gen.getSize()}; }

TEST(EncodeTest, MovesMatchTheAssembler) {
    const int32_t disps[] = {0, 8, -8, 127, -128, 128, 0x90, 0x20708, -0x1000};
    for (int reg = 0; reg < 16; ++reg) {
        for (int base = 0; base < 16; ++base) {
            for (int32_t disp : disps) {
                for (bool wide : {false, true}) {
                    for (bool load : {false, true}) {
                        CodeGenerator ours, theirs;
                        encode::mov_mem(ours, load, wide, reg, base, disp);
                        const Address at = ptr[Reg64(base) + disp];
                        const Reg r = wide ? Reg(Reg64(reg)) : Reg(Reg32(reg));
                        if (load) theirs.mov(r, at);
                        else theirs.mov(at, r);
                        EXPECT_EQ(bytes(ours), bytes(theirs))
                            << "reg " << reg << " base " << base << " disp " << disp << " wide " << wide << " load " << load;
                    }
                    if (reg == 0) {   // once per base, displacement and width
                        CodeGenerator ours, theirs;
                        encode::mov_mem_imm32(ours, wide, base, disp, 0x80000123u);
                        if (wide) theirs.mov(qword[Reg64(base) + disp], uint64_t{0xffffffff80000123ull});
                        else theirs.mov(dword[Reg64(base) + disp], 0x80000123u);
                        EXPECT_EQ(bytes(ours), bytes(theirs)) << "imm base " << base << " disp " << disp << " wide " << wide;
                    }
                }
            }
            for (bool wide : {false, true}) {
                CodeGenerator ours, theirs;
                encode::mov_reg(ours, wide, reg, base);
                if (wide) theirs.mov(Reg64(reg), Reg64(base));
                else theirs.mov(Reg32(reg), Reg32(base));
                EXPECT_EQ(bytes(ours), bytes(theirs)) << "mov " << reg << ", " << base << " wide " << wide;
            }
        }
    }
}

// The slow paths' call sequences: immediates, rip-relative addresses,
// calls, jumps, pushes and pops.
TEST(EncodeTest, CallSequencesMatchTheAssembler) {
    static uint8_t buffer[2][4096];
    for (int reg = 0; reg < 16; ++reg) {
        CodeGenerator ours(sizeof(buffer[0]), buffer[0]), theirs(sizeof(buffer[1]), buffer[1]);
        // Targets at the same distance from each buffer.
        const uint8_t* target0 = buffer[0] + 3000;
        const uint8_t* target1 = buffer[1] + 3000;
        encode::mov_imm32(ours, reg, 0x12345678u);
        theirs.mov(Reg32(reg), 0x12345678u);
        encode::mov_imm64(ours, reg, 0x1122334455667788ull);
        theirs.mov(Reg64(reg), 0x1122334455667788ull);
        encode::lea_rip(ours, reg, target0);
        theirs.lea(Reg64(reg), ptr[rip + target1]);
        encode::call_reg(ours, reg);
        theirs.call(Reg64(reg));
        encode::push_pop(ours, true, reg);
        theirs.push(Reg64(reg));
        encode::push_pop(ours, false, reg);
        theirs.pop(Reg64(reg));
        encode::jmp_to(ours, target0);
        theirs.jmp(target1, CodeGenerator::T_NEAR);
        EXPECT_EQ(bytes(ours), bytes(theirs)) << "reg " << reg;
    }
}

// The TLB fast path's index, mask and table accesses.
TEST(EncodeTest, TlbLookupMatchesTheAssembler) {
    const int32_t disps[] = {0, 8, -8, 127, -128, 128, 0x206f0, -0x1000};
    for (int reg = 0; reg < 16; ++reg) {
        for (int base = 0; base < 16; ++base) {
            for (int32_t disp : disps) {
                CodeGenerator ours, theirs;
                encode::lea(ours, reg, base, disp);
                theirs.lea(Reg64(reg), ptr[Reg64(base) + disp]);
                encode::and_mem32(ours, reg, base, disp);
                theirs.and_(Reg32(reg), dword[Reg64(base) + disp]);
                EXPECT_EQ(bytes(ours), bytes(theirs)) << "lea reg " << reg << " base " << base << " disp " << disp;
                for (int index = 0; index < 16; ++index) {
                    if (index == 4) continue;   // rsp cannot be an index
                    CodeGenerator o, t;
                    encode::op_mem_index8(o, 0x8b, reg, base, index, disp);
                    t.mov(Reg64(reg), qword[Reg64(base) + Reg64(index) * 8 + disp]);
                    encode::op_mem_index8(o, 0x3b, reg, base, index, disp);
                    t.cmp(Reg64(reg), qword[Reg64(base) + Reg64(index) * 8 + disp]);
                    EXPECT_EQ(bytes(o), bytes(t)) << "reg " << reg << " base " << base << " index " << index
                                                  << " disp " << disp;
                }
            }
            CodeGenerator ours, theirs;
            encode::bextr(ours, reg, base, (reg + base) & 15);
            theirs.bextr(Reg64(reg), Reg64(base), Reg64((reg + base) & 15));
            EXPECT_EQ(bytes(ours), bytes(theirs)) << "bextr " << reg << ", " << base;
        }
        CodeGenerator ours, theirs;
        if (reg != 0) {   // the assembler has a shorter form for the accumulator
            encode::and_imm32(ours, true, reg, 0xfffff000u);
            theirs.and_(Reg64(reg), -4096);
            encode::and_imm32(ours, false, reg, 0xfffu);
            theirs.and_(Reg32(reg), 0xfff);
        }
        encode::shr_imm(ours, reg, 12);
        theirs.shr(Reg64(reg), 12);
        EXPECT_EQ(bytes(ours), bytes(theirs)) << "reg " << reg;
    }
}

}  // namespace
}  // namespace mimic::tcg::x64::test
