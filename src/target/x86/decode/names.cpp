// Printable names of mnemonics and registers, for logs, -d in_asm and tests.

#include "mimic/x86/decode/decoded_insn.h"
#include "mimic/x86/decode/registers.h"

#include <array>
#include <string>

namespace mimic::x86 {

namespace {

// "Cmovnbe" -> "cmovnbe", "Feni8087Nop" -> "feni8087_nop".
constexpr auto kMnemonicIds = std::to_array<std::string_view>({
#define X(name) #name,
#include "mimic/x86/decode/mnemonics.inc"
#undef X
});

std::array<std::string, kMnemonicIds.size()> make_mnemonic_names() {
    std::array<std::string, kMnemonicIds.size()> names;
    for (size_t i = 0; i < kMnemonicIds.size(); ++i) {
        std::string& s = names[i];
        for (size_t j = 0; j < kMnemonicIds[i].size(); ++j) {
            char c = kMnemonicIds[i][j];
            if (c >= 'A' && c <= 'Z') {
                if (j != 0) s += '_';
                c = static_cast<char>(c - 'A' + 'a');
            }
            s += c;
        }
    }
    return names;
}

const std::array<std::string, kMnemonicIds.size()> kMnemonicNames = make_mnemonic_names();

constexpr std::string_view kGpr8[16] = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                                        "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"};
constexpr std::string_view kGpr8High[4] = {"ah", "ch", "dh", "bh"};
constexpr std::string_view kGpr16[16] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                         "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"};
constexpr std::string_view kGpr32[16] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                         "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
constexpr std::string_view kGpr64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                         "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};
constexpr std::string_view kSegs[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
constexpr std::string_view kCrs[16] = {"cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7",
                                       "cr8", "cr9", "cr10", "cr11", "cr12", "cr13", "cr14", "cr15"};
constexpr std::string_view kDrs[8] = {"dr0", "dr1", "dr2", "dr3", "dr4", "dr5", "dr6", "dr7"};
constexpr std::string_view kMmx[8] = {"mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", "mm7"};
constexpr std::string_view kXmm[16] = {"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"};
constexpr std::string_view kSt[8] = {"st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7"};

}  // namespace

std::string_view mnemonic_name(Mnemonic m) {
    auto i = static_cast<size_t>(m);
    return i < kMnemonicNames.size() ? std::string_view(kMnemonicNames[i]) : std::string_view("?");
}

std::string_view reg_name(Reg reg, unsigned ip_size) {
    const unsigned n = reg.num;
    switch (reg.cls) {
        case RegClass::kNone: return "";
        case RegClass::kGpr8: return kGpr8[n & 15];
        case RegClass::kGpr8High: return kGpr8High[n & 3];
        case RegClass::kGpr16: return kGpr16[n & 15];
        case RegClass::kGpr32: return kGpr32[n & 15];
        case RegClass::kGpr64: return kGpr64[n & 15];
        case RegClass::kSeg: return n < 6 ? kSegs[n] : "?";
        case RegClass::kCr: return kCrs[n & 15];
        case RegClass::kDr: return kDrs[n & 7];
        case RegClass::kMmx: return kMmx[n & 7];
        case RegClass::kXmm: return kXmm[n & 15];
        case RegClass::kSt: return kSt[n & 7];
        case RegClass::kIp: return ip_size == 8 ? "rip" : ip_size == 4 ? "eip" : "ip";
    }
    return "?";
}

}  // namespace mimic::x86
