#include "disassembler.h"

#include <capstone/capstone.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace mimic::monitor {

namespace {

constexpr size_t kMaxInsnBytes = 15;  // x86's architectural limit
constexpr size_t kBytesPerLine = 8;   // QEMU wraps longer encodings

}  // namespace

// Owns a capstone handle for the duration of one dump.
class Disassembler::Capstone {
public:
    explicit Capstone(int bits) {
        cs_mode mode = bits == 16 ? CS_MODE_16 : bits == 32 ? CS_MODE_32 : CS_MODE_64;
        ok_ = cs_open(CS_ARCH_X86, mode, &handle_) == CS_ERR_OK;
        // QEMU prints x86 code in AT&T syntax.
        if (ok_) cs_option(handle_, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    }
    ~Capstone() {
        if (ok_) cs_close(&handle_);
    }
    Capstone(const Capstone&) = delete;
    Capstone& operator=(const Capstone&) = delete;

    bool ok() const { return ok_; }
    csh handle() const { return handle_; }

private:
    csh handle_ = 0;
    bool ok_ = false;
};

namespace {

std::string format_bytes(const uint8_t* bytes, size_t size) {
    std::string text;
    for (size_t i = 0; i < size; ++i) {
        if (i > 0 && i % kBytesPerLine == 0) text += "\n             ";
        text += fmt::format("{:02x} ", bytes[i]);
    }
    size_t last_line = size % kBytesPerLine == 0 ? kBytesPerLine : size % kBytesPerLine;
    text.append(3 * (kBytesPerLine - last_line), ' ');
    return text;
}

}  // namespace

Disassembler::Disassembler(CodeReader read, int bits)
    : read_(std::move(read)), capstone_(std::make_unique<Capstone>(bits)) {}

Disassembler::~Disassembler() = default;

bool Disassembler::next(uint64_t& address, std::string& out) {
    if (!capstone_->ok()) {
        out += "Cannot disassemble: capstone failed to initialize\n";
        return false;
    }
    std::array<uint8_t, kMaxInsnBytes> buffer{};
    // Near the end of mapped memory an instruction may still fit in
    // fewer bytes, so shrink the read before giving up.
    size_t available = kMaxInsnBytes;
    while (available > 0 && !read_(address, std::span<uint8_t>(buffer.data(), available))) --available;
    if (available == 0) {
        out += fmt::format("0x{:08x}:  Cannot access memory\n", address);
        return false;
    }
    cs_insn* insn = nullptr;
    size_t decoded = cs_disasm(capstone_->handle(), buffer.data(), available, address, 1, &insn);
    if (decoded == 0) {
        out += fmt::format("0x{:08x}:  {} .byte    0x{:02x}\n", address, format_bytes(buffer.data(), 1), buffer[0]);
        address += 1;
        return true;
    }
    out += fmt::format("0x{:08x}:  {} {:<8} {}\n", address, format_bytes(insn->bytes, insn->size), insn->mnemonic,
                       insn->op_str);
    address += insn->size;
    cs_free(insn, decoded);
    return true;
}

}  // namespace mimic::monitor
