// Guest memory inspection: HMP x/xp, and memsave/pmemsave in QMP and HMP.
#include "builtins.h"
#include "memory_dump_text.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/util/error.h"
#include "mimic/util/output_file.h"

#include <fmt/format.h>

#include <array>
#include <memory>
#include <optional>

namespace mimic::monitor {

namespace {

// memsave/pmemsave: copy guest memory into a host file.
void save_memory(MonitorHub& hub, uint64_t address, int64_t size, const std::string& filename, bool physical,
                 int cpu) {
    MemoryProvider& memory = require(hub.providers().memory, physical ? "pmemsave" : "memsave");
    if (!physical && hub.providers().cpu && (cpu < 0 || cpu >= hub.providers().cpu->cpu_count())) {
        throw QmpError("Parameter 'cpu-index' expects a CPU number");
    }
    // QEMU's texts; a file this command created does not outlive a failure.
    std::optional<OutputFile> file;
    try {
        file.emplace(filename);
    } catch (const OutputFileError& e) {
        throw QmpError(fmt::format("Could not open '{}': {}", filename, e.what()));
    }
    const uint64_t start = address;
    const int64_t total = size;
    std::array<uint8_t, 1024> buffer;
    try {
        while (size > 0) {
            size_t chunk = static_cast<size_t>(std::min<int64_t>(size, buffer.size()));
            std::span<uint8_t> span(buffer.data(), chunk);
            bool ok = physical ? memory.read_physical(address, span) : memory.read_virtual(cpu, address, span);
            if (!ok) throw QmpError(fmt::format("Invalid addr 0x{:016x}/size {} specified", start, total));
            file->write(span);
            address += chunk;
            size -= static_cast<int64_t>(chunk);
        }
        file->commit();
    } catch (const OutputFileError&) {
        throw QmpError("An IO error has occurred");
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
            require(ctx.hub.providers().memory, physical ? "xp" : "x");
            CpuProvider* cpu = ctx.hub.providers().cpu;
            int bits = request.format == 'i' && cpu ? cpu->code_bits(ctx.session.cpu) : 64;
            auto text = std::make_shared<MemoryDumpText>(ctx.hub, ctx.session.cpu, request, bits);
            ctx.stream([text](std::string& out) { return text->next(out); });
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
