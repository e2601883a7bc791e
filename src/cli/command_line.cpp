#include "mimic/cli/command_line.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <set>

#include "mimic/util/error.h"
#include "mimic/util/log.h"
#include "mimic/util/size.h"
#include "mimic/util/uuid.h"

namespace mimic::cli {
namespace {

enum class Section { Standard, Block, Boot, Devices, Display, Char, Process, Debug };

enum class OptionId {
#define MIMIC_OPTION(id, name, arg, section, help) id,
#include "options.inc"
#undef MIMIC_OPTION
};

struct OptionInfo {
    OptionId id;
    const char* name;
    const char* arg;  // nullptr: the option takes no argument
    Section section;
    const char* help;
};

constexpr OptionInfo kOptions[] = {
#define MIMIC_OPTION(id, name, arg, section, help) {OptionId::id, name, arg, Section::section, help},
#include "options.inc"
#undef MIMIC_OPTION
};

const OptionInfo* find_option(std::string_view name) {
    for (const OptionInfo& info : kOptions) {
        if (name == info.name) return &info;
    }
    return nullptr;
}

// Drive letters QEMU's pc machine can boot from: floppy, disk, CD-ROM, network.
constexpr std::string_view kPcBootDevices = "abcdn";

void validate_boot_devices(std::string_view devices) {
    std::set<char> seen;
    for (char c : devices) {
        if (c < 'a' || c > 'p') throw Error("Invalid boot device '{}'", c);
        if (!seen.insert(c).second) throw Error("Boot device '{}' was given twice", c);
        if (kPcBootDevices.find(c) == std::string_view::npos)
            throw Error("Invalid boot device for PC: '{}'", c);
    }
}

const OptDesc kBootDescs[] = {
    {"order", OptType::kString, "boot order"},
    {"once", OptType::kString, "boot order for the first boot only"},
    {"menu", OptType::kBool, "show the boot menu"},
    {"splash", OptType::kString, "splash picture"},
    {"splash-time", OptType::kNumber, "splash time in ms"},
    {"reboot-timeout", OptType::kNumber, "reboot after this many ms when no boot device"},
    {"strict", OptType::kBool, "do not fall back to other boot devices"},
};

const OptDesc kMemoryDescs[] = {
    {"size", OptType::kString, "initial amount of guest memory"},
    {"slots", OptType::kNumber, "number of hotplug slots"},
    {"maxmem", OptType::kSize, "maximum amount of guest memory"},
};

const OptDesc kRtcDescs[] = {
    {"base", OptType::kString, "utc, localtime or a date"},
    {"clock", OptType::kString, "host, rt or vm"},
    {"driftfix", OptType::kString, "none or slew"},
};

// -smbios fields, QEMU's names per structure type.
const OptDesc kSmbiosType0Descs[] = {
    {"type", OptType::kNumber, "SMBIOS element type"},
    {"vendor", OptType::kString, "vendor name"},
    {"version", OptType::kString, "version number"},
    {"date", OptType::kString, "release date"},
    {"release", OptType::kString, "revision number"},
    {"uefi", OptType::kBool, "uefi support"},
};

const OptDesc kSmbiosType1Descs[] = {
    {"type", OptType::kNumber, "SMBIOS element type"},
    {"manufacturer", OptType::kString, "manufacturer name"},
    {"product", OptType::kString, "product name"},
    {"version", OptType::kString, "version number"},
    {"serial", OptType::kString, "serial number"},
    {"uuid", OptType::kString, "UUID"},
    {"sku", OptType::kString, "SKU number"},
    {"family", OptType::kString, "family name"},
};

const OptDesc kMonDescs[] = {
    {"chardev", OptType::kString, "character device"},
    {"mode", OptType::kString, "readline or control"},
    {"pretty", OptType::kBool, "pretty-print JSON"},
};

const OptDesc kOvercommitDescs[] = {
    {"mem-lock", OptType::kBool, "lock all memory"},
    {"cpu-pm", OptType::kBool, "let the guest control CPU power management"},
};

// -sandbox: the values of the sub-options are checked when the filter is
// made, after the whole command line, as QEMU does.
const OptDesc kSandboxDescs[] = {
    {"enable", OptType::kBool, ""},
    {"obsolete", OptType::kString, ""},
    {"elevateprivileges", OptType::kString, ""},
    {"spawn", OptType::kString, ""},
    {"resourcecontrol", OptType::kString, ""},
};

const OptDesc kNameDescs[] = {
    {"guest", OptType::kString, "guest name"},
    {"process", OptType::kString, "process name"},
    {"debug-threads", OptType::kBool, "name threads"},
};

// Every backend type QEMU knows; which ones Mimic implements is decided when
// the backend is created, so a QEMU spelling never reads as a typo.
constexpr std::array<std::string_view, 12> kNetdevTypes = {
    "user", "tap", "bridge", "socket", "stream", "dgram", "l2tpv3", "vde", "netmap",
    "vhost-user", "vhost-vdpa", "hubport"};
bool is_help_value(std::string_view value) { return value == "help" || value == "?"; }

constexpr std::array<std::string_view, 10> kDisplayTypes = {
    "none", "sdl", "gtk", "vnc", "curses", "egl-headless", "dbus", "spice-app", "cocoa", "default"};
constexpr std::array<std::string_view, 8> kVgaTypes = {
    "std", "cirrus", "vmware", "qxl", "virtio", "none", "bochs", "ramfb"};
constexpr std::array<std::string_view, 3> kAccelTypes = {"tcg", "kvm", "qtest"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view value) {
    for (std::string_view item : list) {
        if (item == value) return true;
    }
    return false;
}


// "driver.prop=value", or QEMU's long form "driver=d,property=p,value=v".
Opts parse_global(std::string_view text) {
    size_t dot = text.find('.');
    size_t eq = text.find('=');
    if (dot != std::string_view::npos && eq != std::string_view::npos && dot < eq && dot > 0 &&
        eq > dot + 1) {
        Opts opts;
        opts.set("driver", text.substr(0, dot));
        opts.set("property", text.substr(dot + 1, eq - dot - 1));
        opts.set("value", text.substr(eq + 1));
        return opts;
    }
    Opts opts = parse_opts(text);
    static const OptDesc kGlobalDescs[] = {
        {"driver", OptType::kString, ""},
        {"property", OptType::kString, ""},
        {"value", OptType::kString, ""},
    };
    validate(opts, kGlobalDescs);
    for (const char* key : {"driver", "property", "value"}) {
        if (!opts.has(key)) throw Error("Parameter '{}' is missing", key);
    }
    return opts;
}

class Parser {
public:
    explicit Parser(std::FILE* out) : out_(out) {}

    ParseOutcome parse(int argc, const char* const* argv);

private:
    // Handles one option; returns false when parsing should stop (info printed).
    bool handle(const OptionInfo& option, const std::string& arg, const std::string& location);
    void add_drive(const std::string& location, const std::string& file, std::string_view extra);
    void finish();

    std::FILE* out_;
    ParseOutcome outcome_;
    std::optional<OptionUse> smp_;
    std::set<std::string> netdev_ids_, chardev_ids_;
    bool empty_kernel_ = false;  // "-kernel ''" names a file that cannot exist
};

void Parser::add_drive(const std::string& location, const std::string& file,
                       std::string_view extra) {
    Opts opts = parse_opts(std::string("file=") + escape_commas(file) + "," + std::string(extra));
    outcome_.config.drives.push_back({location, std::move(opts)});
}

bool Parser::handle(const OptionInfo& option, const std::string& arg,
                    const std::string& location) {
    VmConfig& config = outcome_.config;
    switch (option.id) {
        case OptionId::Help:
        case OptionId::H:
            print_usage(out_);
            return false;
        case OptionId::Version:
            print_version(out_);
            return false;

        case OptionId::Machine:
        case OptionId::M: {
            Opts opts = parse_keyval(arg, "type");
            if (opts.get("type") == "help" || opts.get("type") == "?") {
                outcome_.help = HelpRequest{HelpRequest::Topic::kMachine, "", location};
                return false;
            }
            config.machine.opts.merge(opts);
            config.machine.location = location;
            return true;
        }
        case OptionId::Cpu:
            if (arg == "help" || arg == "?") {
                outcome_.help = HelpRequest{HelpRequest::Topic::kCpu, "", location};
                return false;
            }
            config.cpu_model = arg;  // "" is refused once the last -cpu is known
            return true;
        case OptionId::Accel: {
            Opts opts = parse_opts(arg, "accel");
            std::string name = opts.get_or("accel", "");
            if (name == "help" || name == "?") {
                outcome_.help = HelpRequest{HelpRequest::Topic::kAccel, "", location};
                return false;
            }
            if (!contains(kAccelTypes, name)) throw Error("invalid accelerator {}", name);
            config.accels.push_back({location, std::move(opts)});
            return true;
        }
        case OptionId::EnableKvm:
            config.accels.push_back({location, parse_opts("kvm", "accel")});
            return true;
        case OptionId::Smp: {
            Opts opts = parse_opts(arg, "cpus");
            if (!smp_) smp_ = OptionUse{location, {}};
            smp_->opts.merge(opts);
            smp_->location = location;
            return true;
        }
        case OptionId::Memory: {
            if (arg.empty()) return true;  // QEMU: no option at all
            Opts opts = parse_opts(arg, "size");
            validate(opts, kMemoryDescs);
            if (auto size_text = opts.get("size")) {
                // First read as bytes, as QEMU's option list does: "1.5" is a
                // fraction of a byte even though the size means MiB later.
                SizeResult size = parse_size_checked(*size_text);
                if (size.error == SizeError::kOutOfRange)
                    throw Error("Value '{}' is out of range for parameter 'size'", *size_text);
                if (size.error != SizeError::kNone)
                    throw Error("Parameter 'size' expects a non-negative number below 2^64\n"
                                "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
                                "and exabytes, respectively.");
                // 0 means the machine's default.
                config.memory_size = size.value == 0 ? "" : *size_text;
            }
            if (opts.has("maxmem") || opts.has("slots"))
                throw Error("memory hotplug (slots, maxmem) is not supported yet");
            config.memory_option = OptionUse{location, std::move(opts)};
            return true;
        }
        case OptionId::Overcommit: {
            Opts opts = parse_opts(arg);
            validate(opts, kOvercommitDescs);
            // Checked now, as QEMU does ("expects 'on' or 'off'").
            if (auto lock = opts.get_bool("mem-lock")) config.overcommit_mem_lock = *lock;
            if (auto pm = opts.get_bool("cpu-pm")) config.overcommit_cpu_pm = *pm;
            return true;
        }
        case OptionId::Name: {
            Opts opts = parse_opts(arg, "guest");
            validate(opts, kNameDescs);
            config.name = opts.get_or("guest", "");
            return true;
        }
        case OptionId::Uuid:
            if (!is_valid_uuid(arg)) throw Error("Fail to parse UUID string. Wrong format.");
            config.uuid = arg;
            return true;
        case OptionId::Smbios: {
            Opts opts = parse_opts(arg);
            if (opts.has("file")) throw Error("-smbios file= is not supported yet");
            auto type_text = opts.get("type");
            if (!type_text) throw Error("Must specify type= or file=");
            uint64_t type = opts.get_number("type").value_or(0);
            if (type == 0) {
                validate(opts, kSmbiosType0Descs);
                if (auto release = opts.get("release")) {
                    unsigned major = 0, minor = 0;
                    char tail = 0;
                    if (std::sscanf(release->c_str(), "%u.%u%c", &major, &minor, &tail) != 2 || major > 255 ||
                        minor > 255)
                        throw Error("Invalid release");
                }
            } else if (type == 1) {
                validate(opts, kSmbiosType1Descs);
                if (auto uuid = opts.get("uuid")) {
                    if (!is_valid_uuid(*uuid)) throw Error("Invalid UUID");
                    config.uuid = *uuid;  // as QEMU: the machine's UUID too
                }
            } else if (type == 2 || type == 3 || type == 4 || type == 11 || type == 17 || type == 41) {
                throw Error("-smbios type={} is not supported yet", type);
            } else {
                throw Error("Don't know how to build fields for SMBIOS type {}", type);
            }
            config.smbios.push_back({location, std::move(opts)});
            return true;
        }
        case OptionId::Global:
            config.globals.push_back({location, parse_global(arg)});
            return true;
        case OptionId::Nodefaults:
            config.nodefaults = true;
            return true;

        case OptionId::Fda:
            add_drive(location, arg, "if=floppy,index=0");
            return true;
        case OptionId::Fdb:
            add_drive(location, arg, "if=floppy,index=1");
            return true;
        case OptionId::Hda:
        case OptionId::Hdb:
        case OptionId::Hdc:
        case OptionId::Hdd: {
            int index = static_cast<int>(option.id) - static_cast<int>(OptionId::Hda);
            add_drive(location, arg, "index=" + std::to_string(index) + ",media=disk");
            return true;
        }
        case OptionId::Cdrom:
            add_drive(location, arg, "index=2,media=cdrom");
            return true;
        case OptionId::Drive:
            config.drives.push_back({location, parse_opts(arg)});
            return true;
        case OptionId::Snapshot:
            config.snapshot = true;
            return true;

        case OptionId::Boot: {
            Opts opts = parse_opts(arg, "order");
            validate(opts, kBootDescs);
            if (auto order = opts.get("order")) validate_boot_devices(*order);
            if (auto once = opts.get("once")) validate_boot_devices(*once);
            opts.get_bool("menu");
            opts.get_bool("strict");
            config.boot.opts.merge(opts);
            config.boot.location = location;
            return true;
        }
        case OptionId::Kernel:
            config.kernel = arg;
            empty_kernel_ = arg.empty();
            return true;
        case OptionId::Initrd:
            config.initrd = arg;
            return true;
        case OptionId::Append:
            config.append = arg;
            return true;
        case OptionId::Bios:
            config.bios = arg;
            return true;
        case OptionId::FirmwareDir:
            if (arg == "help") throw Error("firmware path listing is not supported yet");
            config.firmware_dirs.push_back(arg);
            return true;
        case OptionId::Loadvm:
            config.loadvm = arg;
            return true;
        case OptionId::Rtc: {
            Opts opts = parse_opts(arg);
            validate(opts, kRtcDescs);
            config.rtc = {location, std::move(opts)};
            return true;
        }

        case OptionId::Device: {
            Opts opts = parse_opts(arg, "driver");
            std::string driver = opts.get_or("driver", "");
            if (driver == "help" || driver == "?") {
                outcome_.help = HelpRequest{HelpRequest::Topic::kDevice, "", location};
                return false;
            }
            if (driver.empty()) throw Error("Parameter 'driver' is missing");
            if (opts.wants_help()) {
                outcome_.help = HelpRequest{HelpRequest::Topic::kDeviceProperties, driver, location};
                return false;
            }
            config.devices.push_back({location, std::move(opts)});
            return true;
        }
        case OptionId::Object: {
            Opts opts = parse_opts(arg, "qom-type");
            std::optional<std::string> type = opts.get("qom-type");
            // QEMU's keyval takes an empty first element as an empty type.
            if (!type && arg.starts_with(",")) type = "";
            if (type && (*type == "help" || *type == "?")) {
                outcome_.help = HelpRequest{HelpRequest::Topic::kObject, "", location};
                return false;
            }
            if (opts.wants_help()) {
                if (!type) throw Error("Parameter 'qom-type' is missing");
                outcome_.help = HelpRequest{HelpRequest::Topic::kObjectProperties, *type, location};
                return false;
            }
            // Ids are checked here, as QEMU's option lists do; the type and
            // properties when the object is created.
            if (!opts.id().empty()) {
                for (const OptionUse& earlier : config.objects) {
                    if (earlier.opts.id() == opts.id()) throw Error("Duplicate ID '{}' for object", opts.id());
                }
            }
            config.objects.push_back({location, std::move(opts)});
            return true;
        }
        case OptionId::Netdev: {
            Opts opts = parse_opts(arg, "type");
            std::string type = opts.get_or("type", "");
            if (type == "help" || type == "?") {
                outcome_.help = HelpRequest{HelpRequest::Topic::kNetdev, "", location};
                return false;
            }
            // QEMU's order: the option list checks the id, then the type.
            if (opts.id().empty()) throw Error("Parameter 'id' is missing");
            if (!netdev_ids_.insert(opts.id()).second)
                throw Error("Duplicate ID '{}' for netdev", opts.id());
            if (type.empty()) throw Error("Parameter 'type' is missing");
            if (!contains(kNetdevTypes, type)) throw Error("Parameter 'type' does not accept value '{}'", type);
            config.netdevs.push_back({location, std::move(opts)});
            return true;
        }
        case OptionId::Net: {
            Opts opts = parse_opts(arg, "type");
            std::string type = opts.get_or("type", "");
            if (type != "nic" && type != "none" && !contains(kNetdevTypes, type))
                throw Error("Parameter 'type' does not accept value '{}'", type);
            if (type == "nic" && is_help_value(opts.get_or("model", ""))) {
                outcome_.help = HelpRequest{HelpRequest::Topic::kNicModels, "-net", location};
                return false;
            }
            config.nets.push_back({location, std::move(opts)});
            return true;
        }
        case OptionId::Nic: {
            Opts opts = parse_opts(arg, "type");
            if (is_help_value(opts.get_or("model", ""))) {
                outcome_.help = HelpRequest{HelpRequest::Topic::kNicModels, "", location};
                return false;
            }
            config.nics.push_back({location, std::move(opts)});
            return true;
        }

        case OptionId::Display: {
            // "-display vnc=ARG" is "-vnc ARG", all of the rest included.
            if (arg.rfind("vnc=", 0) == 0) {
                config.vnc = arg.substr(4);
                config.vnc_location = location;
                return true;
            }
            if (arg == "vnc" || arg.rfind("vnc,", 0) == 0) throw Error("VNC requires a display argument vnc=<display>");
            Opts opts = parse_opts(arg, "type");
            std::string type = opts.get_or("type", "");
            if (type == "help" || type == "?") {
                outcome_.help = HelpRequest{HelpRequest::Topic::kDisplay, "", location};
                return false;
            }
            if (!contains(kDisplayTypes, type))
                throw Error("Parameter 'type' does not accept value '{}'", type);
            config.display = OptionUse{location, std::move(opts)};
            return true;
        }
        case OptionId::Nographic:
            config.nographic = true;
            return true;
        case OptionId::Vga:
            if (arg == "help" || arg == "?") {
                outcome_.help = HelpRequest{HelpRequest::Topic::kVga, "", location};
                return false;
            }
            if (!contains(kVgaTypes, arg)) throw Error("unknown vga type: {}", arg);
            config.vga = arg;
            return true;
        case OptionId::Vnc:
            config.vnc = arg;
            config.vnc_location = location;
            return true;
        case OptionId::Keyboard:
            config.keyboard_layout = arg;
            return true;

        case OptionId::Chardev: {
            Opts opts = parse_opts(arg, "backend");
            std::string backend = opts.get_or("backend", "");
            if (backend == "help" || backend == "?") {
                outcome_.help = HelpRequest{HelpRequest::Topic::kChardev, "", location};
                return false;
            }
            if (opts.id().empty()) throw Error("chardev: no id specified");
            if (!chardev_ids_.insert(opts.id()).second)
                throw Error("Duplicate ID '{}' for chardev", opts.id());
            config.chardevs.push_back({location, std::move(opts)});
            return true;
        }
        case OptionId::Serial:
        case OptionId::Monitor:
        case OptionId::Qmp:
        case OptionId::QmpPretty:
        case OptionId::Debugcon: {
            // Legacy chardev strings ("telnet:127.0.0.1:4444,server,nowait")
            // are kept whole; the chardev layer knows their grammar.
            Opts opts;
            opts.set("spec", arg);
            if (option.id == OptionId::QmpPretty) opts.set("pretty", "on");
            auto& list = option.id == OptionId::Serial    ? config.serials
                         : option.id == OptionId::Monitor ? config.monitors
                         : option.id == OptionId::Debugcon ? config.debugcons
                                                           : config.qmps;
            list.push_back({location, std::move(opts)});
            return true;
        }
        case OptionId::Mon: {
            Opts opts = parse_opts(arg, "chardev");
            validate(opts, kMonDescs);
            if (!opts.has("chardev")) throw Error("Parameter 'chardev' is missing");
            std::string mode = opts.get_or("mode", "readline");
            if (mode != "readline" && mode != "control")
                throw Error("Parameter 'mode' does not accept value '{}'", mode);
            config.mons.push_back({location, std::move(opts)});
            return true;
        }

        case OptionId::Pidfile:
            config.pidfile = arg;
            return true;
        case OptionId::Daemonize:
            config.daemonize = true;
            return true;
        case OptionId::NoAcpi:
            // QEMU's shorthand for -machine acpi=off.
            config.machine.opts.set("acpi", "off");
            return true;
        case OptionId::NoHpet:
            // QEMU's shorthand for -machine hpet=off.
            config.machine.opts.set("hpet", "off");
            return true;
        case OptionId::NoReboot:
            config.no_reboot = true;
            return true;
        case OptionId::NoShutdown:
            config.no_shutdown = true;
            return true;
        case OptionId::Freeze:
            config.start_paused = true;
            return true;

        case OptionId::GdbDefault:
            config.gdb = "tcp::1234";
            return true;
        case OptionId::Gdb:
            config.gdb = arg;
            return true;
        case OptionId::LogItems:
            if (arg == "help" || arg == "?") {
                std::fprintf(out_, "Log items (comma separated):\n");
                for (auto* item = log::items_begin(); item != log::items_end(); ++item)
                    std::fprintf(out_, "%-15s %s\n", item->name, item->help);
                return false;
            }
            config.log_mask |= log::parse_items(arg);
            return true;
        case OptionId::LogFile:
            config.log_file = arg;
            return true;
        case OptionId::LogFilter:
            config.log_filter = log::parse_address_ranges(arg);
            return true;
        case OptionId::Qtest:
            config.qtest = arg;
            return true;
        case OptionId::QtestLog:
            config.qtest_log = arg;
            return true;
        case OptionId::Sandbox: {
            // As QEMU, an empty argument sets nothing: the sandbox stays off.
            Opts opts = arg.empty() ? Opts{} : parse_opts(arg, "enable");
            validate(opts, kSandboxDescs);
            config.sandboxes.push_back({location, std::move(opts)});
            return true;
        }
    }
    return true;
}

// The last -m's size as the machine gets it: digits alone mean MiB.
uint64_t resolve_ram_size(const std::string& text) {
    std::string with_unit = std::isdigit(static_cast<unsigned char>(text.back())) ? text + "M" : text;
    auto size = parse_size(with_unit);
    if (!size) throw UnlocatedError("Parameter 'memory.size' expects size");
    // Sizes round up to 8 KiB.
    if (*size > UINT64_MAX - 8191) throw UnlocatedError("ram size too large");
    return (*size + 8191) & ~uint64_t{8191};
}

void Parser::finish() {
    VmConfig& config = outcome_.config;
    if (smp_) config.smp = with_location(smp_->location, [&] { return resolve_smp(smp_->opts); });
    if (!config.memory_size.empty()) config.ram_size = resolve_ram_size(config.memory_size);
    if (empty_kernel_) throw UnlocatedError("could not open kernel file '': No such file or directory");
    if (!config.machine.opts.has("type")) config.machine.opts.set("type", "pc");
}

ParseOutcome Parser::parse(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word.size() < 2 || word[0] != '-') {
            // A bare argument is the first hard disk's image, as in QEMU.
            with_location(word, [&] { add_drive(word, word, "index=0,media=disk"); });
            continue;
        }
        // QEMU accepts "--option" as well as "-option".
        std::string name = word.substr(word[1] == '-' ? 2 : 1);
        const OptionInfo* option = find_option(name);
        if (!option) throw Error("{}: invalid option", word);
        std::string arg;
        std::string location = word;
        if (option->arg) {
            if (i + 1 >= argc) throw Error("{}: requires an argument", word);
            arg = argv[++i];
            location += " " + arg;
        }
        bool go_on = with_location(location, [&] { return handle(*option, arg, location); });
        if (!go_on) {
            outcome_.exit_now = !outcome_.help.has_value();
            return std::move(outcome_);
        }
    }
    finish();
    return std::move(outcome_);
}

const char* section_title(Section section) {
    switch (section) {
        case Section::Standard: return "Standard options";
        case Section::Block: return "Block device options";
        case Section::Boot: return "Boot and firmware options";
        case Section::Devices: return "Device and network options";
        case Section::Display: return "Display options";
        case Section::Char: return "Character device and monitor options";
        case Section::Process: return "Process options";
        case Section::Debug: return "Debug/Expert options";
    }
    return "";
}

}  // namespace

void print_version(std::FILE* out) {
    // Test harnesses (kvm-unit-tests, avocado) take a binary whose help
    // names QEMU for one they can drive with QEMU's options.
    std::fprintf(out, "Mimic emulator version %s (QEMU %s compatible)\nCopyright (c) 2026 the Mimic developers\n",
                 kVersion, kQemuCompatibleVersion);
}

void print_usage(std::FILE* out) {
    print_version(out);
    std::fprintf(out,
                 "usage: %s [options] [disk_image]\n\n"
                 "'disk_image' is a raw hard disk image for IDE hard disk 0\n",
                 kProgramName);
    std::optional<Section> current;
    for (const OptionInfo& option : kOptions) {
        if (option.section != current) {
            current = option.section;
            std::fprintf(out, "\n%s:\n", section_title(option.section));
        }
        std::string synopsis = std::string("-") + option.name;
        if (option.arg) synopsis += std::string(" ") + option.arg;
        std::fprintf(out, "%s\n                %s\n", synopsis.c_str(), option.help);
    }
    std::fprintf(out,
                 "\nDuring emulation, with -nographic: C-a h prints the escape keys "
                 "(C-a x exits, C-a c switches to the monitor).\n");
}

ParseOutcome parse_command_line(int argc, const char* const* argv, std::FILE* out) {
    return Parser(out).parse(argc, argv);
}

}  // namespace mimic::cli
