#include "memory_dump_text.h"

#include <fmt/format.h>

#include <array>

#include "mimic/monitor/monitor_hub.h"

namespace mimic::monitor {

namespace {

uint64_t load_le(const uint8_t* bytes, int size) {
    uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) value = (value << 8) | bytes[i];
    return value;
}

// A character the way QEMU's monitor quotes it: 'a', '\n', '\x00'.
std::string quote_char(uint64_t c) {
    switch (c) {
        case '\'': return "'\\''";
        case '\\': return "'\\\\'";
        case '\n': return "'\\n'";
        case '\r': return "'\\r'";
        default:
            if (c >= 32 && c <= 126) return fmt::format("'{}'", static_cast<char>(c));
            return fmt::format("'\\x{:02x}'", c);
    }
}

}  // namespace

MemoryDumpText::MemoryDumpText(MonitorHub& hub, int cpu, const DumpRequest& request, int bits)
    : hub_(hub), cpu_(cpu), request_(request), address_(request.address) {
    // As QEMU: the length comes from the unit size, but 'c' then shows every
    // byte of it ("x/3c" with the default word unit prints twelve characters).
    bool units = request.format != 's' && request.format != 'i';
    remaining_ = units ? int64_t{request.size} * request.count : request.count;
    if (request.format == 'i') {
        disassembler_ = std::make_unique<Disassembler>(
            [this](uint64_t address, std::span<uint8_t> buffer) { return read(address, buffer); }, bits);
    }
}

bool MemoryDumpText::read(uint64_t address, std::span<uint8_t> buffer) const {
    const MemoryProvider* memory = hub_.providers().memory;
    if (!memory) return false;
    return request_.physical ? memory->read_physical(address, buffer) : memory->read_virtual(cpu_, address, buffer);
}

bool MemoryDumpText::next(std::string& out) {
    if (remaining_ <= 0) return false;
    switch (request_.format) {
        case 's': return next_strings(out);
        case 'i': return next_instructions(out);
        default: return next_units(out);
    }
}

bool MemoryDumpText::next_units(std::string& out) {
    int line_size = request_.size == 1 ? 8 : 16;
    int size = request_.format == 'c' ? 1 : request_.size;
    int digits;
    switch (request_.format) {
        case 'o': digits = (size * 8 + 2) / 3; break;
        case 'u':
        case 'd': digits = (size * 8 * 10 + 32) / 33; break;
        default: digits = size * 2; break;
    }
    size_t piece_end = out.size() + kPieceBytes;
    while (remaining_ > 0 && out.size() < piece_end) {
        out += fmt::format("{:016x}:", address_);
        int chunk = static_cast<int>(std::min<int64_t>(remaining_, line_size));
        std::array<uint8_t, 16> buffer{};
        if (!read(address_, std::span<uint8_t>(buffer.data(), static_cast<size_t>(chunk)))) {
            out += " Cannot access memory\n";
            remaining_ = 0;
            break;
        }
        for (int i = 0; i < chunk; i += size) {
            uint64_t value = load_le(buffer.data() + i, size);
            out += ' ';
            switch (request_.format) {
                case 'o': out += fmt::format("{:#{}o}", value, digits); break;
                case 'u': out += fmt::format("{:{}}", value, digits); break;
                case 'd': out += fmt::format("{:{}}", static_cast<int64_t>(value), digits); break;
                case 'c': out += quote_char(value); break;
                default: out += fmt::format("0x{:0{}x}", value, digits); break;
            }
        }
        out += '\n';
        address_ += static_cast<uint64_t>(chunk);
        remaining_ -= chunk;
    }
    return remaining_ > 0;
}

// Mimic extension (as gdb's x/s): `count` NUL-terminated strings, each cut
// at 4 KiB.
bool MemoryDumpText::next_strings(std::string& out) {
    size_t piece_end = out.size() + kPieceBytes;
    while (remaining_ > 0 && out.size() < piece_end) {
        out += fmt::format("{:016x}: \"", address_);
        for (int length = 0; length < 4096; ++length) {
            std::array<uint8_t, 1> byte{};
            if (!read(address_, byte)) {
                out += "\" Cannot access memory\n";
                remaining_ = 0;
                return false;
            }
            ++address_;
            if (byte[0] == 0) break;
            std::string quoted = quote_char(byte[0]);
            out += quoted.substr(1, quoted.size() - 2);
        }
        out += "\"\n";
        --remaining_;
    }
    return remaining_ > 0;
}

bool MemoryDumpText::next_instructions(std::string& out) {
    size_t piece_end = out.size() + kPieceBytes;
    while (remaining_ > 0 && out.size() < piece_end) {
        --remaining_;
        if (!disassembler_->next(address_, out)) remaining_ = 0;
    }
    return remaining_ > 0;
}

}  // namespace mimic::monitor
