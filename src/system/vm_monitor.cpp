#include "vm_monitor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <optional>

#include "mimic/hw/fw_cfg.h"
#include "mimic/hw/i8259.h"
#include "mimic/hw/vga.h"
#include "mimic/ui/console.h"
#include "mimic/ui/input.h"
#include "mimic/ui/qcode.h"
#include "mimic/ui/surface.h"
#include "mimic/main_loop/timer.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/x86_cpu.h"
#include "mimic/hw/pci.h"
#include "mimic/memory/mtree.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/qom/standard_buses.h"
#include "mimic/system/runstate.h"
#include "mimic/accel/accel_registry.h"
#include "mimic/x86/cpu_dump.h"
#include "mimic/x86/cpu_models.h"
#include "mimic/x86/mce.h"
#include "mimic/util/log.h"
#include "mimic/util/error.h"
#include "mimic/util/output_file.h"
#include "mimic/x86/page_tables.h"
#include "png_writer.h"

namespace mimic::system {

using monitor::Json;

namespace {

// Every realized PCI function of the machine, in bus and devfn order.
void for_each_pci_function(qom::Bus& bus, const std::function<void(hw::PciDevice&)>& visit) {
    for (qom::Device* device : bus.devices()) {
        for (qom::Bus* child : device->child_buses()) {
            if (child->is_a(qom::kTypePciBus)) {
                auto& pci = static_cast<qom::PciBus&>(*child);
                for (int devfn = 0; devfn < 256; ++devfn) {
                    auto* function = dynamic_cast<hw::PciDevice*>(pci.device_at(devfn));
                    if (function && function->realized()) visit(*function);
                }
            }
            for_each_pci_function(*child, visit);
        }
    }
}

// screendump's file, with QEMU's texts; a file it created does not outlive
// a failure.
void write_file(const std::string& filename, const std::vector<uint8_t>& bytes) {
    std::optional<OutputFile> file;
    try {
        file.emplace(filename);
    } catch (const OutputFileError& e) {
        throw monitor::QmpError(fmt::format("failed to open file '{}': {}", filename, e.what()));
    }
    try {
        file->write(bytes);
        file->commit();
    } catch (const OutputFileError& e) {
        throw monitor::QmpError(fmt::format("Unable to write to file: {}", e.what()));
    }
}

// One QAPI PciDeviceInfo.
Json pci_device_info(const hw::PciDevice& d) {
    namespace pc = hw::pci_config;
    Json info = {{"bus", 0}, {"slot", d.slot()}, {"function", d.function()}};
    info["class_info"] = {{"class", d.get_word(pc::kClassDevice)}};
    // As QEMU: no "desc" for a class without a name.
    if (std::string desc = d.class_description(); !desc.empty()) info["class_info"]["desc"] = desc;
    Json id = {{"device", d.get_word(pc::kDeviceId)}, {"vendor", d.get_word(pc::kVendorId)}};
    if ((d.get_byte(pc::kHeaderType) & 0x7f) == 0) {
        id["subsystem"] = d.get_word(pc::kSubsystemId);
        id["subsystem-vendor"] = d.get_word(pc::kSubsystemVendorId);
    }
    info["id"] = id;
    if (uint8_t pin = d.get_byte(pc::kInterruptPin); pin != 0) info["irq"] = d.get_byte(pc::kInterruptLine);
    info["irq_pin"] = d.get_byte(pc::kInterruptPin);
    info["qdev_id"] = d.id();
    Json regions = Json::array();
    for (int bar = 0; bar <= hw::kPciRomBar; ++bar) {
        if (!d.bar_registered(bar)) continue;
        uint64_t address = d.bar_address(bar);
        Json region = {{"bar", bar}};
        if (d.bar_flags(bar) & hw::kBarIo) {
            region["type"] = "io";
        } else {
            region["type"] = "memory";
            region["prefetch"] = (d.bar_flags(bar) & hw::kBarPrefetch) != 0;
            region["mem_type_64"] = (d.bar_flags(bar) & hw::kBarMem64) != 0;
        }
        region["address"] = address == hw::kPciBarUnmapped ? int64_t{-1} : static_cast<int64_t>(address);
        region["size"] = d.bar_size(bar);
        regions.push_back(std::move(region));
    }
    info["regions"] = std::move(regions);
    return info;
}

}  // namespace

class VmMonitor::Impl : public monitor::CpuProvider,
                        public monitor::MemoryProvider,
                        public monitor::PciProvider,
                        public monitor::AccelProvider {
public:
    Impl(monitor::MonitorHub& hub, hw::Machine& machine, accel::Accelerator& accel, RunControl& run_control,
         const cli::SmpConfig& smp)
        : hub_(hub), machine_(machine), accel_(accel), run_control_(run_control), smp_(smp) {
        monitor::Providers& providers = hub.providers();
        providers.accel = this;
        providers.memory = this;
        providers.pci = this;
        if (accel_.cpu_count() > 0) providers.cpu = this;
        register_commands();
    }

    ~Impl() override {
        monitor::Providers& providers = hub_.providers();
        providers.accel = nullptr;
        providers.memory = nullptr;
        providers.pci = nullptr;
        providers.cpu = nullptr;
    }

    // --- AccelProvider -----------------------------------------------------
    monitor::KvmInfo kvm() const override {
        // As QEMU: `present` means built in, `enabled` in use.
        return {.enabled = accel_.name() == "kvm", .present = accel::find_accel_type("kvm") != nullptr};
    }

    // --- CpuProvider ---------------------------------------------------------
    std::vector<monitor::CpuDefinition> cpu_definitions() const override {
        std::vector<monitor::CpuDefinition> list;
        for (const x86::CpuModel& model : x86::cpu_models()) {
            std::string name(model.name);
            std::vector<std::string> unavailable;
            // Under KVM what the host lacks is only known at -cpu parsing.
            if (accel_.name() != "kvm")
                for (std::string_view f : x86::unavailable_cpu_features(name)) unavailable.emplace_back(f);
            // QEMU calls `max` migration-unsafe: it follows the host (here: what Mimic implements).
            list.push_back({.name = name, .type_name = name + "-x86_64-cpu", .alias_of = std::string(model.alias_of),
                            .unavailable_features = std::move(unavailable), .migration_safe = name != "max",
                            .is_static = name == "base", .deprecated = false});
            // `host` (the host's CPU, KVM only) follows `base`, as in -cpu help;
            // without KVM QEMU names the missing accelerator as its feature.
            if (name == "base") {
                std::vector<std::string> needs;
                if (accel_.name() != "kvm") needs.emplace_back("kvm");
                list.push_back({.name = "host", .type_name = "host-x86_64-cpu", .alias_of = "",
                                .unavailable_features = std::move(needs), .migration_safe = false,
                                .is_static = false, .deprecated = false});
            }
        }
        return list;
    }
    int cpu_count() const override { return static_cast<int>(accel_.cpu_count()); }

    // Every vCPU with the host thread that runs it. The QOM CPU objects (hw/x86_cpu.h) name and place each one.
    Json query_cpus_fast() const override {
        Json list = Json::array();
        std::vector<hw::X86CpuDevice*> cpus = hw::x86_cpus(machine_);
        for (int i = 0; i < cpu_count() && static_cast<size_t>(i) < cpus.size(); ++i) {
            const hw::X86CpuDevice& cpu = *cpus[static_cast<size_t>(i)];
            list.push_back({{"cpu-index", i},
                            {"qom-path", cpu.canonical_path()},
                            {"thread-id", accel_.cpu_thread_id(static_cast<unsigned>(i))},
                            {"props", cpu.topology_props(smp_.dies > 1)},
                            {"target", "x86_64"}});
        }
        return list;
    }

    std::string registers_text(int cpu) const override {
        check_cpu(cpu);
        Parked parked(*this);
        const x86::CpuState& s = accel_.synchronize_state(static_cast<unsigned>(cpu));
        return x86::format_registers(s, accel_.cpu_eflags(static_cast<unsigned>(cpu)));
    }

    std::optional<uint64_t> read_register(int cpu, const std::string& name) const override {
        check_cpu(cpu);
        Parked parked(*this);
        const x86::CpuState& s = accel_.synchronize_state(static_cast<unsigned>(cpu));
        // QEMU's numbering: the order of the ModRM register field.
        static const char* const kGpr32[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
        static const char* const kGpr64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                               "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
        for (int i = 0; i < 8; ++i) {
            if (name == kGpr32[i]) return s.regs[i] & 0xffffffffu;
        }
        for (int i = 0; i < 16; ++i) {
            if (name == kGpr64[i]) return s.regs[i];
        }
        if (name == "eip") return s.eip & 0xffffffffu;
        if (name == "rip") return s.eip;
        if (name == "pc") return s.seg[x86::kCS].base + s.eip;  // the linear address of the next instruction
        if (name == "eflags") return accel_.cpu_eflags(static_cast<unsigned>(cpu));
        if (name == "cr0") return s.cr[0];
        if (name == "cr2") return s.cr[2];
        if (name == "cr3") return s.cr[3];
        if (name == "cr4") return s.cr[4];
        static const char* const kSeg[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
        for (int i = 0; i < 6; ++i) {
            if (name == kSeg[i]) return s.seg[i].selector;
            if (name == std::string(kSeg[i]) + ".base") return s.seg[i].base;
            if (name == std::string(kSeg[i]) + ".limit") return s.seg[i].limit;
        }
        return std::nullopt;
    }

    int code_bits(int cpu) const override {
        check_cpu(cpu);
        Parked parked(*this);
        uint32_t hflags = accel_.synchronize_state(static_cast<unsigned>(cpu)).hflags;
        if (hflags & x86::kHfCs64) return 64;
        return (hflags & x86::kHfCs32) ? 32 : 16;
    }

    // --- MemoryProvider -------------------------------------------------------
    bool read_virtual(int cpu, uint64_t address, std::span<uint8_t> buffer) const override {
        if (accel_.cpu_count() == 0) return false;
        check_cpu(cpu);
        Parked parked(*this);
        const x86::CpuState& s = accel_.synchronize_state(static_cast<unsigned>(cpu));
        size_t done = 0;
        while (done < buffer.size()) {
            uint64_t va = address + done;
            std::optional<uint64_t> pa = x86::debug_translate(s, machine_.memory_space(), va);
            if (!pa) return false;
            size_t chunk = std::min<size_t>(buffer.size() - done, 4096 - (va & 4095));
            if (!read_physical(*pa, buffer.subspan(done, chunk))) return false;
            done += chunk;
        }
        return true;
    }

    bool read_physical(uint64_t address, std::span<uint8_t> buffer) const override {
        return machine_.memory_space().read(address, buffer.data(), buffer.size()) == memory::AccessResult::kOk;
    }

    std::string mtree_text(bool flatview) const override { return memory::mtree_text_all({.flat = flatview}); }

    // --- PciProvider -----------------------------------------------------------
    Json query_pci() const override {
        Json devices = Json::array();
        for_each_pci_function(machine_.sysbus(), [&](hw::PciDevice& d) { devices.push_back(pci_device_info(d)); });
        return Json::array({{{"bus", 0}, {"devices", std::move(devices)}}});
    }
    std::string info_pci_text() const override { return hw::info_pci(machine_); }

private:
    // Holds the vCPU still while its state is read, so a dump is one
    // consistent snapshot; a running VM goes on afterwards.
    class Parked {
    public:
        explicit Parked(const Impl& impl) : impl_(impl), was_running_(impl.run_control_.running()) {
            if (was_running_) impl_.accel_.pause();
        }
        ~Parked() {
            if (was_running_) impl_.accel_.resume();
        }

    private:
        const Impl& impl_;
        bool was_running_;
    };

    void check_cpu(int cpu) const {
        if (cpu < 0 || cpu >= cpu_count()) throw monitor::QmpError("No CPU available");
    }

    // The CPU the monitor session has selected (HMP `cpu N`).
    // Called parked.
    const x86::CpuState& session_cpu_state(const monitor::HmpContext& ctx) const {
        check_cpu(ctx.session.cpu);
        return accel_.synchronize_state(static_cast<unsigned>(ctx.session.cpu));
    }

    // mce: QEMU's checks and texts. An unknown CPU index does nothing, as on QEMU.
    void inject_mce(monitor::HmpContext& ctx, uint64_t cpu_index, const x86::MceInjection& e, bool broadcast) {
        if (cpu_index >= accel_.cpu_count()) return;
        if (!accel_.can_inject_mce()) {
            // Said, not silently dropped (QEMU's words where a CPU cannot take one).
            ctx.print("MCE injection not supported\n");
            return;
        }
        Parked parked(*this);
        const x86::CpuState& state = accel_.synchronize_state(static_cast<unsigned>(cpu_index));
        if (std::string why = x86::check_mce_injection(state.msr, e); !why.empty()) {
            ctx.print("{}\n", why);
            return;
        }
        if (broadcast && !x86::supports_mce_broadcast(state.cpuid_version)) {
            ctx.print("Guest CPU does not support MCA broadcast\n");
            return;
        }
        deliver_mce(ctx, static_cast<unsigned>(cpu_index), e);
        if (!broadcast) return;
        // The other CPUs see an uncorrected error in bank 1 with MCIP set.
        const x86::MceInjection others{.bank = 1,
                                       .status = x86::kMciStatusVal | x86::kMciStatusUc,
                                       .mcg_status = x86::kMcgStatusMcip | x86::kMcgStatusRipv};
        for (unsigned i = 0; i < accel_.cpu_count(); ++i)
            if (i != cpu_index) deliver_mce(ctx, i, others);
    }

    void deliver_mce(monitor::HmpContext& ctx, unsigned cpu_index, const x86::MceInjection& e) {
        x86::MceOutcome outcome = accel_.inject_mce(cpu_index, e);
        if (!outcome.message.empty()) ctx.print("{}", outcome.message);
        if (outcome.action == x86::MceAction::kReset) {
            MIMIC_LOG(log::kInt, "{}\n", outcome.message);
            run_control_.request_reset(ShutdownCause::kGuestReset);
        }
    }

    // screendump: the VGA's console brought up to date, as PPM or PNG:
    // the same surface the display front ends show.
    void screendump(const std::string& filename, const std::string& format) {
        auto* source = qom::find_in_tree<hw::VgaDisplaySource>(machine_);
        ui::Console* console = source ? source->console() : nullptr;
        if (!console) throw monitor::QmpError("There is no QemuConsole I can screendump from.");
        console->hw_update();
        const ui::DisplaySurface& surface = console->surface();
        std::vector<uint8_t> rgb = surface.rgb();
        if (format == "png") {
            write_file(filename, encode_png(surface.width(), surface.height(), rgb));
            return;
        }
        hw::VgaScreen screen;
        screen.width = surface.width();
        screen.height = surface.height();
        screen.rgb = std::move(rgb);
        write_file(filename, screen.ppm());
    }

    // send-key: presses the keys in order, releases them in reverse order
    // after `hold_ms` of guest time, as QEMU does; through the input layer,
    // like the display front ends' keys.
    void send_keys(const std::vector<ui::QKeyCode>& keys, int64_t hold_ms) {
        if (!ui::input_find_handler(ui::InputEvent::Kind::kKey)) throw monitor::QmpError("No keyboard available");
        for (ui::QKeyCode key : keys) ui::input_send(ui::InputEvent::key_event(key, true));
        ui::input_sync();
        std::erase_if(release_timers_, [](const std::unique_ptr<Timer>& timer) { return !timer->pending(); });
        auto timer = std::make_unique<Timer>(Clock::kVirtual, [keys] {
            for (auto it = keys.rbegin(); it != keys.rend(); ++it) ui::input_send(ui::InputEvent::key_event(*it, false));
            ui::input_sync();
        }, kNsPerMs);
        timer->mod(clock_get_ms(Clock::kVirtual) + hold_ms);
        release_timers_.push_back(std::move(timer));
    }

    // A QAPI KeyValue: {"type": "qcode", "data": NAME} or {"type": "number", "data": N}.
    static ui::QKeyCode key_value(const Json& key, const char* member) {
        std::string type = key.is_object() ? key.value("type", std::string()) : std::string();
        if (type == "number" && key.contains("data") && key["data"].is_number_integer())
            return ui::qcode_from_number(static_cast<unsigned>(key["data"].get<int64_t>()));
        if (type != "qcode" || !key.contains("data") || !key["data"].is_string())
            throw monitor::QmpError(fmt::format("Invalid parameter type for '{}', expected: KeyValue", member));
        std::string name = key["data"].get<std::string>();
        std::optional<ui::QKeyCode> code = ui::qcode_from_name(name);
        if (!code) throw monitor::QmpError(fmt::format("Parameter 'data' does not accept value '{}'", name));
        return *code;
    }

    // input-send-event: every event checked first, then all sent, then one sync.
    void input_send_events(const Json& events) {
        if (!run_control_.running()) throw monitor::QmpError("VM not running");
        if (!events.is_array()) throw monitor::QmpError("Invalid parameter type for 'events', expected: array");
        static const char* const kKinds[] = {"key", "btn", "rel", "abs"};
        static const char* const kButtons[] = {"left", "middle", "right", "wheel-up", "wheel-down",
                                               "side", "extra", "wheel-left", "wheel-right"};
        std::vector<ui::InputEvent> parsed;
        for (const Json& event : events) {
            std::string type = event.is_object() ? event.value("type", std::string()) : std::string();
            const Json data = event.is_object() ? event.value("data", Json()) : Json();
            auto kind_it = std::find(std::begin(kKinds), std::end(kKinds), type);
            if (kind_it == std::end(kKinds))
                throw monitor::QmpError(fmt::format("Parameter 'type' does not accept value '{}'", type));
            if (!data.is_object()) throw monitor::QmpError("Parameter 'data' is missing");
            auto kind = static_cast<ui::InputEvent::Kind>(kind_it - std::begin(kKinds));
            ui::InputEvent e;
            e.kind = kind;
            if (kind == ui::InputEvent::Kind::kKey || kind == ui::InputEvent::Kind::kButton) {
                if (!data.contains("down") || !data["down"].is_boolean())
                    throw monitor::QmpError("Parameter 'down' is missing");
                e.down = data["down"].get<bool>();
            }
            if (kind == ui::InputEvent::Kind::kKey) {
                if (!data.contains("key")) throw monitor::QmpError("Parameter 'key' is missing");
                e.key = key_value(data["key"], "key");
            } else if (kind == ui::InputEvent::Kind::kButton) {
                std::string button = data.value("button", std::string());
                auto it = std::find(std::begin(kButtons), std::end(kButtons), button);
                if (it == std::end(kButtons))
                    throw monitor::QmpError(fmt::format("Parameter 'button' does not accept value '{}'", button));
                e.button = static_cast<ui::InputButton>(it - std::begin(kButtons));
            } else {
                std::string axis = data.value("axis", std::string());
                if (axis != "x" && axis != "y")
                    throw monitor::QmpError(fmt::format("Parameter 'axis' does not accept value '{}'", axis));
                if (!data.contains("value") || !data["value"].is_number_integer())
                    throw monitor::QmpError("Parameter 'value' is missing");
                e.axis = axis == "x" ? ui::InputAxis::kX : ui::InputAxis::kY;
                e.value = data["value"].get<int64_t>();
            }
            if (!ui::input_find_handler(kind))
                throw monitor::QmpError(fmt::format("Input handler not found for event type {}", type));
            parsed.push_back(e);
        }
        for (const ui::InputEvent& e : parsed) ui::input_send(e);
        ui::input_sync();
    }

    void register_commands() {
        monitor::Schema& schema = hub_.schema();
        schema.add_command({
            .name = "screendump",
            .arguments = {{"filename", "str"}, {"device", "str", monitor::kOptional},
                          {"head", "int", monitor::kOptional}, {"format", "ImageFormat", monitor::kOptional}},
            .doc = "Writes the screen to a PPM or PNG file.",
            .handler = [this](const Json& args, monitor::CommandContext&) -> Json {
                screendump(args["filename"].get<std::string>(), args.value("format", std::string("ppm")));
                return Json::object();
            },
        });
        schema.add_command({
            .name = "send-key",
            .arguments = {{"keys", "[any]", false, "[{\"type\": \"qcode\", \"data\": \"ctrl\"}, ...]"},
                          {"hold-time", "int", monitor::kOptional, "milliseconds (default 100)"}},
            .doc = "Sends keys to the guest as if pressed together.",
            .handler = [this](const Json& args, monitor::CommandContext&) -> Json {
                std::vector<ui::QKeyCode> keys;
                for (const Json& key : args["keys"]) keys.push_back(key_value(key, "keys"));
                send_keys(keys, args.value("hold-time", int64_t{100}));
                return Json::object();
            },
        });
        schema.add_command({
            .name = "input-send-event",
            .arguments = {{"events", "[any]", false, "[{\"type\": \"key\"|\"btn\"|\"rel\"|\"abs\", \"data\": {...}}]"},
                          {"device", "str", monitor::kOptional},
                          {"head", "int", monitor::kOptional}},
            .doc = "Sends input events to the guest's input devices.",
            .handler = [this](const Json& args, monitor::CommandContext&) -> Json {
                if (args.contains("device") && args["device"].get<std::string>() != "") {
                    // Consoles are named by their display device's id.
                    std::string device = args["device"].get<std::string>();
                    bool found = false;
                    for (int i = 0; ui::Console* console = ui::Console::find(i); ++i)
                        found = found || console->device_name() == device;
                    if (!found) throw monitor::QmpError(fmt::format("Device '{}' not found", device));
                }
                input_send_events(args["events"]);
                return Json::object();
            },
        });
        schema.add_command({
            .name = "query-mice",
            .arguments = {},
            .doc = "The pointer devices; the current one takes the input.",
            .handler = [](const Json&, monitor::CommandContext&) -> Json {
                Json list = Json::array();
                for (const ui::MouseInfo& mouse : ui::input_mice())
                    list.push_back({{"index", mouse.index}, {"name", mouse.name}, {"current", mouse.current},
                                    {"absolute", mouse.absolute}});
                return list;
            },
        });

        monitor::HmpTable& hmp = hub_.hmp();
        hmp.add_command({"screendump", "filename [-f format] [device [head]]",
                         "save screen from head 'head' of display device 'device' in specified format 'format' as "
                         "image 'filename'. Currently only 'png' and 'ppm' formats are supported.",
                         {{"filename", monitor::HmpArgKind::kString},
                          {"format", monitor::HmpArgKind::kFlag, monitor::kOptional, 'f'},
                          {"device", monitor::HmpArgKind::kString, monitor::kOptional},
                          {"head", monitor::HmpArgKind::kInteger, monitor::kOptional}},
                         [](const Json& args, monitor::HmpContext& ctx) {
                             Json qmp = {{"filename", args["filename"]}};
                             if (args["format"].get<bool>()) {
                                 // -f takes the format as the next word: "screendump x.png -f png".
                                 std::string format = args.value("device", std::string());
                                 if (format != "png" && format != "ppm") {
                                     ctx.print("Error: invalid parameter value: {}\n", format);
                                     return;
                                 }
                                 qmp["format"] = format;
                             } else if (args.contains("device")) {
                                 qmp["device"] = args["device"];
                             }
                             ctx.hub.execute("screendump", qmp, ctx.monitor);
                         }});
        hmp.add_command({"sendkey", "keys [hold_ms]",
                         "send keys to the VM (e.g. 'sendkey ctrl-alt-f1', default hold time=100 ms)",
                         {{"keys", monitor::HmpArgKind::kString}, {"hold-time", monitor::HmpArgKind::kInteger, monitor::kOptional}},
                         [](const Json& args, monitor::HmpContext& ctx) {
                             Json keys = Json::array();
                             std::string text = args["keys"].get<std::string>();
                             size_t start = 0;
                             while (start <= text.size()) {
                                 size_t dash = text.find('-', start);
                                 std::string name = text.substr(start, dash == std::string::npos ? std::string::npos
                                                                                                 : dash - start);
                                 // A number is a key number (0x1e is 'a'), as QEMU's sendkey takes it.
                                 if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
                                     char* end = nullptr;
                                     unsigned long number = std::strtoul(name.c_str(), &end, 0);
                                     ui::QKeyCode code = *end == '\0' ? ui::qcode_from_number(static_cast<unsigned>(number))
                                                                       : ui::kQKeyUnmapped;
                                     if (code != ui::kQKeyUnmapped) name = ui::qcode_name(code);
                                 }
                                 if (!ui::qcode_from_name(name)) {
                                     ctx.print("invalid parameter: {}\n", name);
                                     return;
                                 }
                                 keys.push_back({{"type", "qcode"}, {"data", name}});
                                 if (dash == std::string::npos) break;
                                 start = dash + 1;
                             }
                             Json qmp = {{"keys", keys}};
                             if (args.contains("hold-time"))
                                 qmp["hold-time"] = static_cast<int64_t>(args["hold-time"].get<uint64_t>());
                             ctx.hub.execute("send-key", qmp, ctx.monitor);
                         }});
        hmp.add_command({"mce", "[-b] cpu bank status mcgstatus addr misc",
                         "inject a MCE on the given CPU [and broadcast to other CPUs with -b option]",
                         {{"broadcast", monitor::HmpArgKind::kFlag, monitor::kOptional, 'b'},
                          {"cpu_index", monitor::HmpArgKind::kInteger},
                          {"bank", monitor::HmpArgKind::kInteger},
                          {"status", monitor::HmpArgKind::kInteger},
                          {"mcg_status", monitor::HmpArgKind::kInteger},
                          {"addr", monitor::HmpArgKind::kInteger},
                          {"misc", monitor::HmpArgKind::kInteger}},
                         [this](const Json& args, monitor::HmpContext& ctx) {
                             const uint64_t bank = args["bank"].get<uint64_t>();
                             x86::MceInjection e{.bank = static_cast<unsigned>(std::min<uint64_t>(bank, UINT32_MAX)),
                                                 .status = args["status"].get<uint64_t>(),
                                                 .mcg_status = args["mcg_status"].get<uint64_t>(),
                                                 .addr = args["addr"].get<uint64_t>(),
                                                 .misc = args["misc"].get<uint64_t>()};
                             inject_mce(ctx, args["cpu_index"].get<uint64_t>(), e, args["broadcast"].get<bool>());
                         }});
        hmp.add_info({"mice", "", "show which guest mouse is receiving events", {},
                      [](const Json&, monitor::HmpContext& ctx) {
                          Json mice = ctx.hub.execute("query-mice", Json::object(), ctx.monitor);
                          if (mice.empty()) {
                              ctx.print("No mouse devices connected\n");
                              return;
                          }
                          for (const Json& mouse : mice)
                              ctx.print("{} Mouse #{}: {}{}\n", mouse["current"].get<bool>() ? '*' : ' ',
                                        mouse["index"].get<int64_t>(), mouse["name"].get<std::string>(),
                                        mouse["absolute"].get<bool>() ? " (absolute)" : "");
                      }});
        hw::Machine* machine = &machine_;
        hmp.add_info({"pic", "", "show PIC state", {}, [machine](const Json&, monitor::HmpContext& ctx) {
                          ctx.print_text(hw::i8259_info(*machine));
                      }});
        hmp.add_info({"roms", "", "show roms", {}, [this](const Json&, monitor::HmpContext& ctx) {
                          // Option ROMs SeaBIOS finds in fw_cfg, then the images at fixed addresses.
                          if (auto* fw_cfg = qom::find_in_tree<hw::FwCfg>(machine_)) {
                              for (const auto& [name, size] : fw_cfg->files()) {
                                  if (!name.starts_with("genroms/")) continue;
                                  ctx.print("fw={} size={:#08x} name=\"{}\"\n", name, size, name.substr(8));
                              }
                          }
                          for (const hw::Machine::RomImage& rom : machine_.rom_images()) {
                              ctx.print("addr={:016x} size={:#08x} mem=rom name=\"{}\"\n", rom.address, rom.size,
                                        rom.name);
                          }
                      }});
        hmp.add_info({"irq", "", "show the interrupts statistics (if available)", {},
                      [machine](const Json&, monitor::HmpContext& ctx) {
                          ctx.print_text(hw::i8259_irq_statistics(*machine));
                      }});
        // The guest's tables decide how long these get (aliased tables map
        // 2^36 pages): streamed in pieces, like x.
        auto page_tables = [this](x86::PageTableText::Kind kind) {
            return [this, kind](const Json&, monitor::HmpContext& ctx) {
                if (accel_.cpu_count() == 0) {
                    ctx.print("No CPU available\n");
                    return;
                }
                std::shared_ptr<x86::PageTableText> text;
                {
                    Parked parked(*this);
                    text = std::make_shared<x86::PageTableText>(session_cpu_state(ctx), machine_.memory_space(),
                                                                kind);
                }
                ctx.stream([text](std::string& out) { return text->next(out); });
            };
        };
        hmp.add_info({"tlb", "", "show virtual to physical memory mappings", {},
                      page_tables(x86::PageTableText::Kind::kTlb)});
        hmp.add_info({"mem", "", "show the active virtual memory mappings", {},
                      page_tables(x86::PageTableText::Kind::kMem)});
    }

    monitor::MonitorHub& hub_;
    hw::Machine& machine_;
    accel::Accelerator& accel_;
    RunControl& run_control_;
    cli::SmpConfig smp_;
    std::vector<std::unique_ptr<Timer>> release_timers_;
};

VmMonitor::VmMonitor(monitor::MonitorHub& hub, hw::Machine& machine, accel::Accelerator& accel, RunControl& run_control,
                     const cli::SmpConfig& smp)
    : impl_(std::make_unique<Impl>(hub, machine, accel, run_control, smp)) {}
VmMonitor::~VmMonitor() = default;

}  // namespace mimic::system
