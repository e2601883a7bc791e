// Guest memory inspection: HMP x/xp, and memsave/pmemsave in QMP and HMP.
#include "builtins.h"
#include "disassembler.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/util/error.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>

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

struct DumpRequest {
    int count;
    char format;
    int size;
    uint64_t address;
    bool physical;
};

std::string dump_memory(MonitorHub& hub, int cpu, const DumpRequest& request) {
    MemoryProvider& memory = require(hub.providers().memory, request.physical ? "xp" : "x");
    auto read = [&](uint64_t address, std::span<uint8_t> buffer) {
        return request.physical ? memory.read_physical(address, buffer) : memory.read_virtual(cpu, address, buffer);
    };
    if (request.format == 'i') {
        int bits = hub.providers().cpu ? hub.providers().cpu->code_bits(cpu) : 64;
        return disassemble(read, request.address, request.count, bits);
    }

    std::string out;
    uint64_t address = request.address;
    if (request.format == 's') {
        // Mimic extension (as gdb's x/s): `count` NUL-terminated strings.
        for (int n = 0; n < request.count; ++n) {
            out += fmt::format("{:016x}: \"", address);
            for (int length = 0; length < 4096; ++length) {
                std::array<uint8_t, 1> byte{};
                if (!read(address, byte)) {
                    out += "\" Cannot access memory\n";
                    return out;
                }
                ++address;
                if (byte[0] == 0) break;
                std::string quoted = quote_char(byte[0]);
                out += quoted.substr(1, quoted.size() - 2);
            }
            out += "\"\n";
        }
        return out;
    }

    // As QEMU: the length and the line width come from the unit size, but
    // 'c' then shows every byte of it ("x/3c" with the default word unit
    // prints twelve characters on one line).
    int64_t length = static_cast<int64_t>(request.size) * request.count;
    int line_size = request.size == 1 ? 8 : 16;
    int size = request.format == 'c' ? 1 : request.size;
    int digits;
    switch (request.format) {
        case 'o': digits = (size * 8 + 2) / 3; break;
        case 'u':
        case 'd': digits = (size * 8 * 10 + 32) / 33; break;
        default: digits = size * 2; break;
    }
    while (length > 0) {
        out += fmt::format("{:016x}:", address);
        int chunk = static_cast<int>(std::min<int64_t>(length, line_size));
        std::array<uint8_t, 16> buffer{};
        if (!read(address, std::span<uint8_t>(buffer.data(), chunk))) {
            out += " Cannot access memory\n";
            break;
        }
        for (int i = 0; i < chunk; i += size) {
            uint64_t value = load_le(buffer.data() + i, size);
            out += ' ';
            switch (request.format) {
                case 'o': out += fmt::format("{:#{}o}", value, digits); break;
                case 'u': out += fmt::format("{:{}}", value, digits); break;
                case 'd': out += fmt::format("{:{}}", static_cast<int64_t>(value), digits); break;
                case 'c': out += quote_char(value); break;
                default: out += fmt::format("0x{:0{}x}", value, digits); break;
            }
        }
        out += '\n';
        address += chunk;
        length -= chunk;
    }
    return out;
}

// memsave/pmemsave: copy guest memory into a host file.
void save_memory(MonitorHub& hub, uint64_t address, int64_t size, const std::string& filename, bool physical,
                 int cpu) {
    MemoryProvider& memory = require(hub.providers().memory, physical ? "pmemsave" : "memsave");
    if (!physical && hub.providers().cpu && (cpu < 0 || cpu >= hub.providers().cpu->cpu_count())) {
        throw QmpError("Parameter 'cpu-index' expects a CPU number");
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(filename.c_str(), "wb"), &std::fclose);
    if (!file) throw QmpError(fmt::format("Could not open '{}': {}", filename, errno_string(errno)));
    const uint64_t start = address;
    const int64_t total = size;
    std::array<uint8_t, 1024> buffer;
    while (size > 0) {
        size_t chunk = static_cast<size_t>(std::min<int64_t>(size, buffer.size()));
        std::span<uint8_t> span(buffer.data(), chunk);
        bool ok = physical ? memory.read_physical(address, span) : memory.read_virtual(cpu, address, span);
        if (!ok) throw QmpError(fmt::format("Invalid addr 0x{:016x}/size {} specified", start, total));
        if (std::fwrite(buffer.data(), 1, chunk, file.get()) != chunk) throw QmpError("An IO error has occurred");
        address += chunk;
        size -= static_cast<int64_t>(chunk);
    }
}

}  // namespace

void register_memory_commands(MonitorHub& hub) {
    Schema& schema = hub.schema();
    schema.add_command({
        .name = "memsave",
        .arguments = {{"val", "int", false, "virtual address"},
                      {"size", "int", false, "bytes to save"},
                      {"filename", "str"},
                      {"cpu-index", "int", kOptional, "whose page tables translate 'val'"}},
        .doc = "Saves a region of guest virtual memory to a file.",
        .handler = [](const Json& args, CommandContext& ctx) -> Json {
            save_memory(ctx.hub, args["val"].get<uint64_t>(), args["size"].get<int64_t>(),
                        args["filename"].get<std::string>(), false, args.value("cpu-index", 0));
            return Json::object();
        },
    });
    schema.add_command({
        .name = "pmemsave",
        .arguments = {{"val", "int", false, "physical address"}, {"size", "int"}, {"filename", "str"}},
        .doc = "Saves a region of guest physical memory to a file.",
        .handler = [](const Json& args, CommandContext& ctx) -> Json {
            save_memory(ctx.hub, args["val"].get<uint64_t>(), args["size"].get<int64_t>(),
                        args["filename"].get<std::string>(), true, 0);
            return Json::object();
        },
    });

    HmpTable& hmp = hub.hmp();
    auto dump = [](bool physical) {
        return [physical](const Json& args, HmpContext& ctx) {
            const Json& format = args["fmt"];
            DumpRequest request{format["count"].get<int>(), format["format"].get<std::string>()[0], format["size"].get<int>(),
                                args["addr"].get<uint64_t>(), physical};
            if (request.size < 0) request.size = 1;
            ctx.print_text(dump_memory(ctx.hub, ctx.session.cpu, request));
        };
    };
    hmp.add_command({"x", "/fmt addr", "virtual memory dump starting at 'addr'",
                     {{"fmt", HmpArgKind::kFormat}, {"addr", HmpArgKind::kInteger}}, dump(false)});
    hmp.add_command({"xp", "/fmt addr", "physical memory dump starting at 'addr'",
                     {{"fmt", HmpArgKind::kFormat}, {"addr", HmpArgKind::kInteger}}, dump(true)});

    auto save = [](const char* command) {
        return [command](const Json& args, HmpContext& ctx) {
            Json qmp = {{"val", static_cast<int64_t>(args["val"].get<uint64_t>())},
                        {"size", static_cast<int64_t>(args["size"].get<uint64_t>())},
                        {"filename", args["filename"]}};
            if (std::string_view(command) == "memsave") qmp["cpu-index"] = ctx.session.cpu;
            ctx.hub.execute(command, qmp, ctx.monitor);
        };
    };
    hmp.add_command({"memsave", "addr size file",
                     "save to disk virtual memory dump starting at 'addr' of size 'size'",
                     {{"val", HmpArgKind::kInteger}, {"size", HmpArgKind::kInteger}, {"filename", HmpArgKind::kString}},
                     save("memsave")});
    hmp.add_command({"pmemsave", "addr size file",
                     "save to disk physical memory dump starting at 'addr' of size 'size'",
                     {{"val", HmpArgKind::kInteger}, {"size", HmpArgKind::kInteger}, {"filename", HmpArgKind::kString}},
                     save("pmemsave")});
}

}  // namespace mimic::monitor
