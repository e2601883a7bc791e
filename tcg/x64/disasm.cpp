#include "disasm.h"

#include <capstone/capstone.h>
#include <fmt/format.h>

namespace mimic::tcg::x64 {

std::string disassemble(const uint8_t* code, size_t size) {
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return "  (capstone unavailable)\n";
    std::string out;
    cs_insn* insn = nullptr;
    size_t n = cs_disasm(handle, code, size, reinterpret_cast<uintptr_t>(code), 0, &insn);
    for (size_t i = 0; i < n; ++i) {
        out += fmt::format("0x{:016x}:  {:<8} {}\n", insn[i].address, insn[i].mnemonic, insn[i].op_str);
    }
    if (n) cs_free(insn, n);
    cs_close(&handle);
    return out;
}

}  // namespace mimic::tcg::x64
