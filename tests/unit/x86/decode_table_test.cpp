// Hand-written encodings per instruction category with the expected decode,
// plus the regressions the differential test found (each marked so).

#include "zydis_oracle.h"

#include "mimic/x86/decode/decoder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mimic::x86::test {
namespace {

constexpr CpuMode k16 = CpuMode::k16, k32 = CpuMode::k32, k64 = CpuMode::k64;

const char* reason_name(InvalidReason r) {
    switch (r) {
        case InvalidReason::kNone: return "none";
        case InvalidReason::kUndefinedOpcode: return "undefined";
        case InvalidReason::kInvalidIn64: return "invalid-in-64";
        case InvalidReason::kOnlyIn64: return "only-in-64";
        case InvalidReason::kLockNotAllowed: return "lock";
        case InvalidReason::kRegisterNotAllowed: return "register";
        case InvalidReason::kMemoryNotAllowed: return "memory";
        case InvalidReason::kReservedRegister: return "reserved-register";
    }
    return "?";
}

// "add reg:eax, imm:0x1 /2" (mnemonic, operands, length), or the verdict.
std::string render(const DecodedInsn& d) {
    switch (d.status) {
        case DecodeStatus::kOk: break;
        case DecodeStatus::kNeedMoreBytes: return "need-more";
        case DecodeStatus::kInvalid: return fmt::format("#UD({})", reason_name(d.reason));
        case DecodeStatus::kTooLong: return "#GP(too-long)";
        case DecodeStatus::kUnsupported: return "unsupported";
    }
    std::string ops = join(describe_operands(d));
    return fmt::format("{}{}{} /{}", mnemonic_name(d.mnemonic), ops.empty() ? "" : " ", ops, d.length);
}

struct Case {
    CpuMode mode;
    std::vector<uint8_t> bytes;
    const char* expect;
};

std::string decode_text(const Case& c) {
    DecodedInsn d;
    decode(c.bytes, c.mode, d);
    return render(d);
}

void run_cases(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
        EXPECT_EQ(decode_text(c), c.expect) << "bytes " << hex_bytes(c.bytes) << " mode "
                                            << (c.mode == k16 ? 16 : c.mode == k32 ? 32 : 64);
    }
}

TEST(X86DecodeTable, AluAndAddressing) {
    run_cases({
        {k32, {0x01, 0xD8}, "add reg:eax, reg:ebx /2"},
        {k32, {0x03, 0x44, 0x8B, 0x10}, "add reg:eax, mem:ds:[ebx+ecx*4+0x10]/4 /4"},
        {k32, {0x83, 0xC0, 0xFF}, "add reg:eax, imm:0xffffffff /3"},
        {k16, {0x05, 0x34, 0x12}, "add reg:ax, imm:0x1234 /3"},
        {k16, {0x66, 0x05, 0x78, 0x56, 0x34, 0x12}, "add reg:eax, imm:0x12345678 /6"},
        {k64, {0x48, 0x05, 0x00, 0x00, 0x00, 0x80}, "add reg:rax, imm:0xffffffff80000000 /6"},
        {k16, {0x8B, 0x46, 0xFE}, "mov reg:ax, mem:ss:[bp+-0x2]/2 /3"},
        {k16, {0x8B, 0x00}, "mov reg:ax, mem:ds:[bx+si*1+0x0]/2 /2"},
        {k16, {0x8B, 0x06, 0x34, 0x12}, "mov reg:ax, mem:ds:[+0x1234]/2 /4"},
        {k32, {0x8B, 0x04, 0x24}, "mov reg:eax, mem:ss:[esp+0x0]/4 /3"},
        {k32, {0x8B, 0x05, 0x78, 0x56, 0x34, 0x12}, "mov reg:eax, mem:ds:[+0x12345678]/4 /6"},
        {k32, {0x8B, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12}, "mov reg:eax, mem:ds:[+0x12345678]/4 /7"},
        {k64, {0x8B, 0x05, 0x10, 0x00, 0x00, 0x00}, "mov reg:eax, mem:ds:[rip+0x10]/4 /6"},
        {k64, {0x67, 0x8B, 0x05, 0x10, 0x00, 0x00, 0x00}, "mov reg:eax, mem:ds:[eip+0x10]/4 /7"},
        {k64, {0x4E, 0x8B, 0x04, 0xE5, 0, 0, 0, 0}, "mov reg:r8, mem:ds:[+r12*8+0x0]/8 /8"},
        {k64, {0x41, 0x8B, 0x45, 0x00}, "mov reg:eax, mem:ds:[r13+0x0]/4 /4"},
        {k64, {0x26, 0x8B, 0x00}, "mov reg:eax, mem:ds:[rax+0x0]/4 /3"},  // ES ignored in 64-bit mode
        {k64, {0x65, 0x8B, 0x00}, "mov reg:eax, mem:gs:[rax+0x0]/4 /3"},
        {k32, {0x36, 0x8B, 0x00}, "mov reg:eax, mem:ss:[eax+0x0]/4 /3"},
        // Byte registers: AH..BH without REX, SPL..DIL with any REX, R8B.. with REX.B.
        {k64, {0x88, 0xE0}, "mov reg:al, reg:ah /2"},
        {k64, {0x40, 0x88, 0xE0}, "mov reg:al, reg:spl /3"},
        {k64, {0x49, 0x8A, 0xC8}, "mov reg:cl, reg:r8b /3"},  // regression: REX.B ignored on mod==3
        {k64, {0x48, 0xB8, 1, 2, 3, 4, 5, 6, 7, 8}, "mov reg:rax, imm:0x807060504030201 /10"},
        {k32, {0xA1, 0x78, 0x56, 0x34, 0x12}, "mov reg:eax, mem:ds:[+0x12345678]/4 /5"},
        {k64, {0xA0, 1, 2, 3, 4, 5, 6, 7, 8}, "mov reg:al, mem:ds:[+0x807060504030201]/1 /9"},
        {k32, {0x8D, 0x04, 0x40}, "lea reg:eax, mem:ds:[eax+eax*2+0x0] /3"},
        {k32, {0x69, 0xC0, 0x10, 0x00, 0x00, 0x00}, "imul reg:eax, reg:eax, imm:0x10 /6"},
        {k32, {0xF6, 0xC1, 0x01}, "test reg:cl, imm:0x1 /3"},
        {k32, {0xC1, 0xE0, 0x04}, "shl reg:eax, imm:0x4 /3"},
        {k32, {0xD3, 0xF8}, "sar reg:eax, reg:cl /2"},
        {k32, {0x0F, 0xA4, 0xC2, 0x03}, "shld reg:edx, reg:eax, imm:0x3 /4"},
        {k32, {0x0F, 0xBA, 0xE0, 0x05}, "bt reg:eax, imm:0x5 /4"},
        {k64, {0x48, 0x0F, 0xC8}, "bswap reg:rax /3"},
        {k64, {0x41, 0x0F, 0xC9}, "bswap reg:r9d /3"},
        {k32, {0x0F, 0xB6, 0xC1}, "movzx reg:eax, reg:cl /3"},
        {k32, {0x0F, 0xBF, 0x03}, "movsx reg:eax, mem:ds:[ebx+0x0]/2 /3"},
        {k64, {0x48, 0x63, 0xC1}, "movsxd reg:rax, reg:ecx /3"},
        {k64, {0x66, 0x63, 0xC1}, "movsxd reg:ax, reg:cx /3"},  // regression: 16-bit source with 66
        {k32, {0x0F, 0x44, 0xC1}, "cmovz reg:eax, reg:ecx /3"},
        {k32, {0x0F, 0x94, 0xC0}, "setz reg:al /3"},
        {k32, {0xF3, 0x0F, 0xB8, 0xC1}, "popcnt reg:eax, reg:ecx /4"},
        {k32, {0xF3, 0x0F, 0xBC, 0xC1}, "tzcnt reg:eax, reg:ecx /4"},
        {k32, {0x0F, 0xBC, 0xC1}, "bsf reg:eax, reg:ecx /3"},
        {k32, {0x66, 0xF3, 0x0F, 0xBD, 0xC1}, "lzcnt reg:ax, reg:cx /5"},
        {k64, {0x0F, 0x38, 0xF0, 0x07}, "movbe reg:eax, mem:ds:[rdi+0x0]/4 /4"},
        {k64, {0xF2, 0x48, 0x0F, 0x38, 0xF1, 0xC1}, "crc32 reg:rax, reg:rcx /6"},
        {k32, {0x27}, "daa /1"},
        {k32, {0xD5, 0x0A}, "aad imm:0xa /2"},
        {k64, {0x27}, "#UD(invalid-in-64)"},
    });
}

TEST(X86DecodeTable, StackAndBranches) {
    run_cases({
        {k64, {0x50}, "push reg:rax /1"},
        {k64, {0x66, 0x50}, "push reg:ax /2"},
        {k64, {0x41, 0x5F}, "pop reg:r15 /2"},
        {k32, {0x6A, 0xFF}, "push imm:0xffffffff /2"},
        {k64, {0xFF, 0x30}, "push mem:ds:[rax+0x0]/8 /2"},
        {k32, {0x60}, "pushad /1"},
        {k16, {0x60}, "pusha /1"},
        {k64, {0x60}, "#UD(invalid-in-64)"},
        {k64, {0x9C}, "pushfq /1"},
        {k32, {0xC8, 0x10, 0x00, 0x01}, "enter imm:0x10, imm:0x1 /4"},
        {k32, {0xEB, 0xFE}, "jmp rel:-0x2 /2"},
        {k32, {0xE9, 0x00, 0x01, 0x00, 0x00}, "jmp rel:0x100 /5"},
        {k16, {0xE9, 0x00, 0x01}, "jmp rel:0x100 /3"},
        {k64, {0x66, 0xE9, 0x00, 0x01, 0x00, 0x00}, "jmp rel:0x100 /6"},  // 66 ignored (Intel)
        {k32, {0x0F, 0x84, 0x10, 0x00, 0x00, 0x00}, "jz rel:0x10 /6"},
        {k32, {0x74, 0x10}, "jz rel:0x10 /2"},
        {k32, {0xE3, 0x10}, "jecxz rel:0x10 /2"},
        {k32, {0x67, 0xE3, 0x10}, "jcxz rel:0x10 /3"},
        {k64, {0xE3, 0x10}, "jrcxz rel:0x10 /2"},
        {k32, {0xE8, 0xFB, 0xFF, 0xFF, 0xFF}, "call rel:-0x5 /5"},
        {k64, {0xFF, 0xD0}, "call reg:rax /2"},
        {k64, {0x41, 0xFF, 0xE3}, "jmp reg:r11 /3"},
        {k16, {0xEA, 0x00, 0x7C, 0x00, 0x00}, "jmpf ptr:0x0:0x7c00 /5"},
        {k32, {0x9A, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00}, "callf ptr:0x8:0x12345678 /7"},
        {k64, {0xEA, 0, 0, 0, 0, 0, 0}, "#UD(invalid-in-64)"},
        {k32, {0xFF, 0x28}, "jmpf mem:ds:[eax+0x0]/6 /2"},
        {k32, {0xFF, 0xE8}, "#UD(register)"},
        {k32, {0xC2, 0x08, 0x00}, "ret imm:0x8 /3"},
        {k32, {0xCB}, "retf /1"},
        {k32, {0xCD, 0x80}, "int imm:0x80 /2"},
        {k32, {0xCF}, "iretd /1"},
        {k64, {0x48, 0xCF}, "iretq /2"},
        {k32, {0xE2, 0xFE}, "loop rel:-0x2 /2"},
    });
}

TEST(X86DecodeTable, BranchTargets) {
    DecodedInsn d;
    ASSERT_EQ(decode(std::vector<uint8_t>{0xEB, 0xFE}, k32, d), DecodeStatus::kOk);
    EXPECT_EQ(d.branch_target(0x1000), 0x1000u);
    ASSERT_EQ(decode(std::vector<uint8_t>{0xE9, 0x00, 0x10}, k16, d), DecodeStatus::kOk);
    EXPECT_EQ(d.branch_target(0xF800), 0x0803u);  // wraps at 64 KiB
    ASSERT_EQ(decode(std::vector<uint8_t>{0x66, 0xE9, 0x00, 0x10, 0x00, 0x00}, k16, d), DecodeStatus::kOk);
    EXPECT_EQ(d.branch_target(0xF800), 0x10806u);  // 66: 32-bit operand size, no wrap
    ASSERT_EQ(decode(std::vector<uint8_t>{0x0F, 0x84, 0xFA, 0xFF, 0xFF, 0xFF}, k64, d), DecodeStatus::kOk);
    EXPECT_EQ(d.branch_target(0xffffffff80000000ull), 0xffffffff80000000ull);
}

TEST(X86DecodeTable, StringsAndIo) {
    DecodedInsn d;
    ASSERT_EQ(decode(std::vector<uint8_t>{0xF3, 0xA5}, k32, d), DecodeStatus::kOk);
    EXPECT_EQ(d.mnemonic, Mnemonic::kMovsd);
    EXPECT_EQ(d.rep, RepKind::kRep);
    EXPECT_EQ(render(d), "movsd mem:ds:[esi+0x0]/4, mem:ds:[esi+0x0]/4 /2");  // mem is the source; ES:EDI implied

    // Regression (found by the front end): MOVS with an override read its source from ES.
    ASSERT_EQ(decode(std::vector<uint8_t>{0x2E, 0xA5}, k32, d), DecodeStatus::kOk);
    EXPECT_EQ(render(d), "movsd mem:cs:[esi+0x0]/4, mem:cs:[esi+0x0]/4 /2");
    EXPECT_TRUE(d.mem.seg_override);
    ASSERT_EQ(decode(std::vector<uint8_t>{0x64, 0x48, 0xA7}, k64, d), DecodeStatus::kOk);
    EXPECT_EQ(render(d), "cmpsq mem:fs:[rsi+0x0]/8, mem:fs:[rsi+0x0]/8 /3");

    ASSERT_EQ(decode(std::vector<uint8_t>{0x26, 0xAA}, k16, d), DecodeStatus::kOk);
    EXPECT_EQ(render(d), "stosb mem:es:[di+0x0]/1, reg:al /2");  // the destination ignores overrides

    ASSERT_EQ(decode(std::vector<uint8_t>{0xF2, 0xAE}, k64, d), DecodeStatus::kOk);
    EXPECT_EQ(d.rep, RepKind::kRepne);
    EXPECT_EQ(render(d), "scasb reg:al, mem:es:[rdi+0x0]/1 /2");

    ASSERT_EQ(decode(std::vector<uint8_t>{0xF3, 0x67, 0x48, 0xA7}, k64, d), DecodeStatus::kOk);
    EXPECT_EQ(d.rep, RepKind::kRepe);
    EXPECT_EQ(render(d), "cmpsq mem:ds:[esi+0x0]/8, mem:ds:[esi+0x0]/8 /4");

    ASSERT_EQ(decode(std::vector<uint8_t>{0xF3, 0x01, 0xC0}, k32, d), DecodeStatus::kOk);
    EXPECT_EQ(d.rep, RepKind::kNone);  // REP means nothing to ADD

    // XLAT has no explicit operand; the segment and address size it uses are still there.
    ASSERT_EQ(decode(std::vector<uint8_t>{0x26, 0x67, 0xD7}, k32, d), DecodeStatus::kOk);
    EXPECT_EQ(d.mnemonic, Mnemonic::kXlat);
    EXPECT_EQ(d.mem.seg, kES);
    EXPECT_TRUE(d.mem.seg_override);
    EXPECT_EQ(d.mem.addr_size, 2);

    run_cases({
        {k32, {0xE4, 0x60}, "in reg:al, imm:0x60 /2"},
        {k32, {0xED}, "in reg:eax, reg:dx /1"},
        {k64, {0x48, 0xED}, "in reg:eax, reg:dx /2"},
        {k16, {0xEE}, "out reg:dx, reg:al /1"},
        {k16, {0x6D}, "insw mem:es:[di+0x0]/2, reg:dx /1"},
        {k32, {0x2E, 0x6E}, "outsb reg:dx, mem:cs:[esi+0x0]/1 /2"},
    });
}

TEST(X86DecodeTable, SystemInstructions) {
    run_cases({
        {k32, {0x0F, 0x01, 0x10}, "lgdt mem:ds:[eax+0x0]/6 /3"},
        {k64, {0x0F, 0x01, 0x18}, "lidt mem:ds:[rax+0x0]/10 /3"},
        {k32, {0x8D, 0xC0}, "#UD(register)"},  // LEA of a register
        {k32, {0x0F, 0x01, 0x38}, "invlpg mem:ds:[eax+0x0]/1 /3"},
        {k32, {0x0F, 0x01, 0xE0}, "smsw reg:eax /3"},
        {k32, {0x0F, 0x01, 0xF0}, "lmsw reg:ax /3"},
        {k64, {0x0F, 0x01, 0xF8}, "swapgs /3"},
        {k32, {0x0F, 0x01, 0xF8}, "#UD(only-in-64)"},
        {k32, {0x0F, 0x01, 0xF9}, "rdtscp /3"},
        {k32, {0x0F, 0x01, 0xC1}, "unsupported"},  // VMCALL
        {k32, {0x0F, 0x00, 0xD8}, "ltr reg:ax /3"},
        {k32, {0x0F, 0x00, 0x00}, "sldt mem:ds:[eax+0x0]/2 /3"},
        {k32, {0x0F, 0x00, 0xF0}, "#UD(undefined)"},
        {k32, {0x0F, 0x02, 0xC1}, "lar reg:eax, reg:ecx /3"},
        {k64, {0x48, 0x0F, 0x03, 0xC1}, "lsl reg:rax, reg:ecx /4"},
        {k32, {0x0F, 0x20, 0xC0}, "mov reg:eax, reg:cr0 /3"},
        {k32, {0x0F, 0x20, 0x00}, "mov reg:eax, reg:cr0 /3"},  // mod is ignored: no displacement
        {k64, {0x44, 0x0F, 0x22, 0xC0}, "mov reg:cr8, reg:rax /4"},
        {k32, {0x0F, 0x22, 0xC8}, "#UD(reserved-register)"},  // CR1
        {k32, {0x0F, 0x23, 0xF8}, "mov reg:dr7, reg:eax /3"},
        {k32, {0x8E, 0xD8}, "mov reg:ds, reg:ax /2"},
        {k32, {0x8E, 0xC8}, "#UD(reserved-register)"},  // MOV CS
        {k32, {0x8C, 0xF0}, "#UD(reserved-register)"},  // segment register 6
        {k32, {0x8C, 0xC8}, "mov reg:eax, reg:cs /2"},
        {k32, {0x8C, 0x08}, "mov mem:ds:[eax+0x0]/2, reg:cs /2"},
        {k32, {0x0F, 0x30}, "wrmsr /2"},
        {k32, {0x0F, 0x31}, "rdtsc /2"},
        {k32, {0x0F, 0x32}, "rdmsr /2"},
        {k32, {0x0F, 0x33}, "rdpmc /2"},
        {k32, {0x0F, 0x34}, "sysenter /2"},
        {k32, {0x0F, 0x35}, "sysexit /2"},
        {k64, {0x0F, 0x05}, "syscall /2"},
        {k64, {0x48, 0x0F, 0x07}, "sysret /3"},
        {k32, {0x0F, 0xA2}, "cpuid /2"},
        {k32, {0x0F, 0x06}, "clts /2"},
        {k32, {0x0F, 0x0B}, "ud2 /2"},
        {k32, {0xF4}, "hlt /1"},
        {k32, {0xFA}, "cli /1"},
        {k32, {0x0F, 0x01, 0xD0 ^ 0xD0 ^ 0xD1}, "xsetbv /3"},
        {k64, {0x66, 0x0F, 0x38, 0x82, 0x00}, "invpcid reg:rax, mem:ds:[rax+0x0]/16 /5"},
        {k64, {0xF3, 0x48, 0x0F, 0xAE, 0xC0}, "rdfsbase reg:rax /5"},
        {k64, {0x66, 0x0F, 0xC7, 0xF0}, "rdrand reg:ax /4"},
        {k64, {0xF3, 0x0F, 0xC7, 0xF9}, "rdpid reg:rcx /4"},                   // r64 whatever the REX.W
        {k32, {0xF3, 0x0F, 0xC7, 0xF9}, "rdpid reg:ecx /4"},
        {k64, {0x66, 0x0F, 0xAE, 0x30}, "clwb mem:ds:[rax+0x0] /4"},
        {k64, {0x66, 0x0F, 0xAE, 0x38}, "clflushopt mem:ds:[rax+0x0] /4"},
        {k64, {0x66, 0x0F, 0xAE, 0xF1}, "unsupported"},                         // TPAUSE
    });
}

TEST(X86DecodeTable, LockAndPrefixRules) {
    run_cases({
        {k32, {0xF0, 0x01, 0x08}, "add mem:ds:[eax+0x0]/4, reg:ecx /3"},
        {k32, {0xF0, 0x01, 0xC8}, "#UD(lock)"},  // register destination
        {k32, {0xF0, 0x8B, 0x08}, "#UD(lock)"},  // MOV is not lockable
        {k32, {0xF0, 0x90}, "#UD(lock)"},
        {k32, {0xF0, 0x0F, 0xC7, 0x08}, "cmpxchg8b mem:ds:[eax+0x0]/8 /4"},
        {k64, {0xF0, 0x48, 0x0F, 0xC7, 0x08}, "cmpxchg16b mem:ds:[rax+0x0]/16 /5"},
        {k32, {0x0F, 0xC7, 0xC8}, "#UD(register)"},
        {k32, {0xF0, 0x0F, 0xC1, 0x08}, "xadd mem:ds:[eax+0x0]/4, reg:ecx /4"},
        {k32, {0xF0, 0x86, 0x08}, "xchg mem:ds:[eax+0x0]/1, reg:cl /3"},
        // REX is a prefix only directly before the opcode.
        {k64, {0x48, 0x66, 0x01, 0xC0}, "add reg:ax, reg:ax /4"},
        {k64, {0x66, 0x48, 0x01, 0xC0}, "add reg:rax, reg:rax /4"},
        {k64, {0x90}, "nop /1"},
        {k64, {0x41, 0x90}, "xchg reg:r8d, reg:eax /2"},
        {k64, {0xF3, 0x90}, "pause /2"},
        {k64, {0xF3, 0x41, 0x90}, "pause /3"},  // regression: REX.B does not undo PAUSE
        {k32, {0x0F, 0x1F, 0x44, 0x00, 0x00}, "nop mem:ds:[eax+eax*1+0x0]/4, reg:eax /5"},
        {k32, {0x66, 0x0F, 0x1F, 0x84, 0, 0, 0, 0, 0}, "nop mem:ds:[eax+eax*1+0x0]/2, reg:ax /9"},
        // Fifteen bytes is the limit: #GP, not #UD.
        {k32, {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0, 0, 0, 0},
         "#GP(too-long)"},
        {k32, {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0, 0, 0, 0, 0},
         "nop mem:cs:[eax+eax*1+0x0]/2, reg:ax /15"},
        {k32, std::vector<uint8_t>(20, 0x66), "#GP(too-long)"},
        // VEX, EVEX, XOP and 3DNow! are outside the model; LES/LDS/BOUND remain.
        {k64, {0xC5, 0xF8, 0x77}, "unsupported"},
        {k32, {0xC5, 0xF8, 0x77}, "unsupported"},
        {k32, {0xC5, 0x06}, "lds reg:eax, mem:ds:[esi+0x0]/6 /2"},
        {k32, {0x62, 0x00}, "bound reg:eax, mem:ds:[eax+0x0]/8 /2"},
        {k32, {0x8F, 0xE8, 0x78, 0xC0}, "unsupported"},
        {k32, {0x8F, 0xC0}, "pop reg:eax /2"},
        {k32, {0x0F, 0x0F, 0xC1, 0x9E}, "unsupported"},
    });
}

TEST(X86DecodeTable, MandatoryPrefixes) {
    run_cases({
        {k32, {0x0F, 0x10, 0xC1}, "movups reg:xmm0, reg:xmm1 /3"},
        {k32, {0x66, 0x0F, 0x10, 0xC1}, "movupd reg:xmm0, reg:xmm1 /4"},
        {k32, {0xF3, 0x0F, 0x10, 0x00}, "movss reg:xmm0, mem:ds:[eax+0x0]/4 /4"},
        {k32, {0xF2, 0x0F, 0x10, 0x00}, "movsd reg:xmm0, mem:ds:[eax+0x0]/8 /4"},
        {k32, {0x66, 0xF2, 0x0F, 0x10, 0x00}, "movsd reg:xmm0, mem:ds:[eax+0x0]/8 /5"},  // F2/F3 beat 66
        {k32, {0xF2, 0xF3, 0x0F, 0x10, 0x00}, "movss reg:xmm0, mem:ds:[eax+0x0]/4 /5"},  // the last of F2/F3 wins
        {k64, {0x66, 0x45, 0x0F, 0xEF, 0xC1}, "pxor reg:xmm8, reg:xmm9 /5"},
        {k64, {0x0F, 0xEF, 0xC1}, "pxor reg:mm0, reg:mm1 /3"},
        {k64, {0x41, 0x0F, 0xEF, 0xC1}, "pxor reg:mm0, reg:mm1 /4"},  // MMX ignores REX
        {k32, {0x66, 0x0F, 0x53, 0xC1}, "#UD(undefined)"},  // regression: no RCPPD
        {k32, {0x66, 0x0F, 0x77}, "#UD(undefined)"},        // regression: 66 EMMS
        {k64, {0x66, 0x48, 0x0F, 0x6E, 0xC0}, "movq reg:xmm0, reg:rax /5"},
        {k64, {0x66, 0x0F, 0x6E, 0xC0}, "movd reg:xmm0, reg:eax /4"},
        {k64, {0xF3, 0x0F, 0x7E, 0xC1}, "movq reg:xmm0, reg:xmm1 /4"},
        {k64, {0x66, 0x0F, 0x3A, 0x0F, 0xC1, 0x08}, "palignr reg:xmm0, reg:xmm1, imm:0x8 /6"},
        {k64, {0x66, 0x0F, 0x3A, 0x63, 0xC1, 0x0C}, "pcmpistri reg:xmm0, reg:xmm1, imm:0xc /6"},
        {k64, {0x66, 0x0F, 0x38, 0x00, 0x00}, "pshufb reg:xmm0, mem:ds:[rax+0x0]/16 /5"},
        {k64, {0x66, 0x0F, 0x73, 0xFB, 0x04}, "pslldq reg:xmm3, imm:0x4 /5"},
        {k64, {0x66, 0x0F, 0x73, 0x3B, 0x04}, "#UD(memory)"},
        {k64, {0x48, 0x0F, 0x50, 0xC1}, "movmskps reg:rax, reg:xmm1 /4"},  // regression: REX.W widens
        {k64, {0x66, 0x0F, 0x38, 0xDC, 0xC1}, "aesenc reg:xmm0, reg:xmm1 /5"},
        {k64, {0x0F, 0xAE, 0x10}, "ldmxcsr mem:ds:[rax+0x0]/4 /3"},
        {k64, {0x66, 0x0F, 0xAE, 0x10}, "unsupported"},
        {k64, {0x0F, 0xAE, 0xF0}, "mfence /3"},
        {k64, {0x48, 0x0F, 0xAE, 0x20}, "xsave64 mem:ds:[rax+0x0] /4"},
    });
}

TEST(X86DecodeTable, X87) {
    run_cases({
        {k32, {0xD9, 0xC1}, "fld reg:st1 /2"},
        {k32, {0xD9, 0x00}, "fld mem:ds:[eax+0x0]/4 /2"},
        {k32, {0xDD, 0x00}, "fld mem:ds:[eax+0x0]/8 /2"},
        {k32, {0xDB, 0x28}, "fld mem:ds:[eax+0x0]/10 /2"},
        {k32, {0xD8, 0xC1}, "fadd reg:st0, reg:st1 /2"},
        {k32, {0xDC, 0xC1}, "fadd reg:st1, reg:st0 /2"},
        {k32, {0xDE, 0xC1}, "faddp reg:st1, reg:st0 /2"},
        {k32, {0xD9, 0xE8}, "fld1 /2"},
        {k32, {0xD9, 0xE2}, "#UD(register)"},  // the /4 memory form (FLDENV) with mod == 3
        {k32, {0xDF, 0xE0}, "fnstsw reg:ax /2"},
        {k32, {0xDD, 0x38}, "fnstsw mem:ds:[eax+0x0]/2 /2"},
        {k32, {0xD9, 0x30}, "fnstenv mem:ds:[eax+0x0]/28 /2"},
        {k16, {0xD9, 0x30}, "fnstenv mem:ds:[bx+si*1+0x0]/14 /2"},
        {k32, {0xDB, 0xE3}, "fninit /2"},
        {k32, {0xDF, 0x28}, "fild mem:ds:[eax+0x0]/8 /2"},
        {k32, {0xDA, 0xC9}, "fcmove reg:st0, reg:st1 /2"},
        {k32, {0x9B}, "fwait /1"},
        {k64, {0x0F, 0xAE, 0x00}, "fxsave mem:ds:[rax+0x0]/512 /3"},
    });
}

TEST(X86DecodeTable, FetchProtocol) {
    DecodedInsn d;
    const std::vector<uint8_t> insn = {0x8B, 0x84, 0x88, 0x78, 0x56, 0x34, 0x12};  // mov eax,[eax+ecx*4+disp32]
    for (size_t n = 0; n < insn.size(); ++n) {
        EXPECT_EQ(decode(std::span(insn).first(n), k32, d), DecodeStatus::kNeedMoreBytes) << n;
    }
    EXPECT_EQ(decode(insn, k32, d), DecodeStatus::kOk);
    EXPECT_EQ(d.length, 7);
    // An invalid opcode needs no more bytes than it has.
    EXPECT_EQ(decode(std::vector<uint8_t>{0x0F, 0x0B}, k32, d), DecodeStatus::kOk);
    EXPECT_EQ(decode(std::vector<uint8_t>{0x0F, 0x04}, k32, d), DecodeStatus::kInvalid);
    // Fourteen prefixes with nothing after them are not yet too long.
    EXPECT_EQ(decode(std::vector<uint8_t>(14, 0x66), k32, d), DecodeStatus::kNeedMoreBytes);
}

// Each mismatch the differential test found while the table was written,
// kept as the encoding that showed it and the now-agreed result.
TEST(X86DecodeTable, DifferentialRegressions) {
    run_cases({
        {k64, {0x43, 0xFF, 0xD6}, "call reg:r14 /3"},                          // REX.B on a register r/m
        {k64, {0x4F, 0x10, 0xCB}, "adc reg:r11b, reg:r9b /3"},
        {k64, {0xF0, 0x64, 0x2E, 0x48, 0x83, 0x4A, 0x0A, 0xF7}, "or mem:fs:[rdx+0xa]/8, imm:0xfffffffffffffff7 /8"},  // CS ignored after FS
        {k64, {0x36, 0x13, 0x0D, 0x9C, 0x4F, 0x37, 0x23}, "adc reg:ecx, mem:ds:[rip+0x23374f9c]/4 /7"},
        {k16, {0x0F, 0xCB}, "bswap reg:bx /2"},                               // BSWAP follows the operand size
        {k16, {0x0F, 0xB9, 0x22}, "ud1 reg:esp, mem:ss:[bp+si*1+0x0]/4 /3"},   // UD1 is always 32-bit
        {k32, {0x0F, 0x03, 0xCF}, "lsl reg:ecx, reg:edi /3"},                 // LAR/LSL register source sized
        {k64, {0x4D, 0x0F, 0x02, 0xE8}, "lar reg:r13, reg:r8 /4"},
        {k64, {0x4E, 0x0F, 0x03, 0xF2}, "lsl reg:r14, reg:edx /4"},
        {k64, {0x4B, 0x0F, 0xC3, 0x1E}, "movnti mem:ds:[r14+0x0]/8, reg:rbx /4"},
        {k64, {0x4D, 0x0F, 0xD7, 0xEA}, "pmovmskb reg:r13d, reg:mm2 /4"},
        {k32, {0xD3, 0xF5}, "shl reg:ebp, reg:cl /2"},                         // /6 is SHL (SAL) for the oracle
        {k32, {0xDF, 0x73, 0x3B}, "fbstp mem:ds:[ebx+0x3b]/10 /3"},            // x87 memory forms: ST0 implicit
        {k32, {0xD9, 0xC6}, "fld reg:st6 /2"},
        {k32, {0xDD, 0xE4}, "fucom reg:st4 /2"},
        {k32, {0xDD, 0xEA}, "fucomp reg:st0, reg:st2 /2"},
        {k16, {0xDB, 0xE4}, "fsetpm287_nop /2"},
        {k32, {0x0F, 0xAE, 0x38}, "clflush mem:ds:[eax+0x0] /3"},
        {k32, {0x66, 0x0F, 0x38, 0x10, 0xC1}, "pblendvb reg:xmm0, reg:xmm1 /5"},  // XMM0 implicit
        {k32, {0x0F, 0x0D, 0x33}, "prefetch mem:ds:[ebx+0x0]/1 /3"},          // 0F 0D /6 aliases /0
        {k32, {0x0F, 0x0D, 0xFA}, "nop reg:edx, reg:edi /3"},
        {k32, {0x0F, 0x1A, 0xCF}, "nop reg:ecx /3"},                           // MPX space as hint NOP
        {k16, {0x66, 0x0F, 0x1E, 0xC9}, "nop reg:cx, reg:cx /4"},              // 66 taken by the CET table
        {k16, {0x66, 0x0F, 0x1E, 0x72, 0xCE}, "nop mem:ss:[bp+si*1+-0x32]/4, reg:esi /5"},
        {k32, {0x66, 0x0F, 0xAE, 0x10}, "unsupported"},                        // no 66 LDMXCSR
        {k32, {0xF3, 0x0F, 0x2B, 0x00}, "unsupported"},                        // SSE4a MOVNTSS
        {k32, {0x0F, 0x78, 0xC0}, "unsupported"},                              // VMREAD
        {k32, {0xF3, 0x0F, 0x01, 0x6A, 0x1A}, "unsupported"},                  // RSTORSSP
        {k64, {0xF3, 0x0F, 0xC7, 0xF4}, "unsupported"},                        // SENDUIPI
        {k32, {0xF3, 0x0F, 0x3A, 0xF0, 0xC0, 0x00}, "unsupported"},            // HRESET
        {k64, {0x48, 0x0F, 0xAE, 0x65, 0x5D}, "xsave64 mem:ss:[rbp+0x5d] /5"},
    });
}

TEST(X86DecodeTable, ZydisDivergencesFollowTheSdm) {
    // 67 REX.B SIB base=101 mod=00: no base, disp32 (Zydis 4.0 reports r13d).
    run_cases({
        {k64, {0x67, 0x4B, 0x63, 0x3C, 0xC5, 0xC4, 0x82, 0x0E, 0x91}, "movsxd reg:rdi, mem:ds:[+r8d*8+-0x6ef17d3c]/4 /9"},
    });
}

}  // namespace
}  // namespace mimic::x86::test
