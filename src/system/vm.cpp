#include "mimic/system/vm.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <sys/mman.h>
#include <unistd.h>

#include "mimic/accel/accel_registry.h"
#include "mimic/chardev/legacy.h"
#include "mimic/chardev/mux.h"
#include "mimic/chardev/registry.h"
#include "mimic/cli/command_line.h"
#include "mimic/cli/opts.h"
#include "mimic/hw/ide.h"
#include "mimic/hw/board_signals.h"
#include "mimic/hw/machine.h"
#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/main_loop.h"
#include "mimic/main_loop/signals.h"
#include "mimic/memory/mtree.h"
#include "mimic/memory/transaction.h"
#include "mimic/monitor/chardev_info.h"
#include "mimic/monitor/chardev_monitor.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/monitor_setup.h"
#include "mimic/monitor/qom_commands.h"
#include "mimic/net/net_client.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/qom/device_add.h"
#include "mimic/qom/global_properties.h"
#include "mimic/qom/type.h"
#include "mimic/qom/user_creatable.h"
#include "mimic/system/drives.h"
#include "mimic/system/firmware.h"
#include "mimic/system/process.h"
#include "mimic/system/runstate.h"
#include "mimic/system/sandbox.h"
#include "mimic/ui/console.h"
#include "mimic/ui/curses_display.h"
#include "mimic/ui/vnc.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"
#include "block_monitor.h"
#include "net_monitor.h"
#include "vnc_monitor.h"
#include "networks.h"
#include "vm_monitor.h"

namespace mimic::system {
namespace {

chardev::ChardevOptions chardev_options(const cli::Opts& opts) {
    chardev::ChardevOptions options;
    for (const cli::KeyValue& entry : opts.entries()) options[entry.key] = entry.value;
    options["id"] = opts.id();
    return options;
}

const qom::Type& machine_type(const std::string& name) {
    auto& registry = qom::TypeRegistry::instance();
    const qom::Type* type = registry.find(name + "-machine");
    if (!type) type = registry.find(name, /*with_alias=*/true);
    if (!type || !type->is_a(hw::kTypeX86Machine) || type->is_abstract())
        throw Error("unsupported machine type\nUse -machine help to list supported machines");
    return *type;
}

}  // namespace

class Vm::Impl {
public:
    explicit Impl(const cli::VmConfig& config) : config_(config), firmware_(config.firmware_dirs) {}

    void build();
    int run();
    void start();
    bool poll();
    void system_reset();

private:
    void install_sandboxes();
    void reject_unsupported();
    void create_chardevs();
    bool has_default_monitor() const;
    chardev::Chardev* create_legacy_chardev(const cli::OptionUse& use, const std::string& id);
    void create_machine();
    void create_objects();
    void create_devices();
    void create_serial_ports();
    void create_accelerator();
    void create_displays();
    ui::Console& first_console();
    void create_monitors();

    // First, so it goes last: the chardevs this VM created die with it,
    // after every front end attached to them and while the main loop's
    // timers and fd watches they use still exist, not among the static
    // destructors at exit (a pty's connect poll or a socket's reconnect
    // timer then touched a timer list already destroyed: double free).
    struct ChardevTeardown {
        ~ChardevTeardown();
    } chardev_teardown_;
    const cli::VmConfig& config_;
    FirmwarePath firmware_;
    RunControl run_control_;
    // Before root_: the back ends outlive the NICs linked to them.
    Networks networks_;
    std::unique_ptr<qom::Container> root_;
    hw::Machine* machine_ = nullptr;
    DriveSet drives_;
    // After root_: the vCPUs stop before the machine goes.
    std::unique_ptr<accel::Accelerator> accel_;
    // Monitors last: they go first, while everything they inspect exists.
    // The display front ends, after the devices they show and before the
    // monitors that inspect them.
    std::unique_ptr<ui::Console> blank_console_;  // -vga none: nothing to show
    std::unique_ptr<ui::VncServer> vnc_;
    std::unique_ptr<ui::CursesDisplay> curses_;
    std::unique_ptr<monitor::MonitorHub> hub_;
    std::unique_ptr<VmMonitor> vm_monitor_;
    std::unique_ptr<BlockMonitor> block_monitor_;
    std::unique_ptr<NetMonitor> net_monitor_;
    std::unique_ptr<VncMonitor> vnc_monitor_;
    std::unique_ptr<monitor::ChardevRegistryInfo> chardev_info_;
    std::vector<std::unique_ptr<monitor::ChardevMonitor>> monitors_;
    x86::CpuModel cpu_model_ = x86::default_cpu_model();   // -cpu
    Daemon daemon_;
};

Vm::Impl::ChardevTeardown::~ChardevTeardown() {
    auto& registry = chardev::ChardevRegistry::global();
    for (const chardev::ChardevInfo& info : registry.query())
        qom::BackendRegistry::instance().remove(qom::BackendKind::kChardev, info.label);
    registry.clear();
}

// -sandbox, as QEMU 7.2 loads it: right after the command line is read,
// before daemonizing and before any back end, device or thread exists, so
// everything start-up does already runs under the filter.
void Vm::Impl::install_sandboxes() {
    for (const cli::OptionUse& use : config_.sandboxes) {
        with_location(use.location, [&] {
            if (std::optional<SandboxPolicy> policy = parse_sandbox(use.opts)) install_sandbox(*policy);
        });
    }
}

void Vm::Impl::reject_unsupported() {
    // Each of these is parsed and validated, but the feature behind it is not
    // built yet: say so rather than run a different VM than was asked for.
    auto refuse = [](const std::string& location, const std::string& what) {
        throw Error("{}: {} is not supported yet", location, what);
    };
    // As QEMU: -initrd and -append only mean something to -kernel.
    if (config_.kernel.empty() && !config_.initrd.empty())
        throw Error("-initrd only allowed with -kernel option");
    if (config_.kernel.empty() && !config_.append.empty())
        throw Error("-append only allowed with -kernel option");
    if (config_.gdb) refuse("-gdb " + *config_.gdb, "the gdb stub");
    if (!config_.loadvm.empty()) refuse("-loadvm " + config_.loadvm, "loading VM snapshots");
    if (config_.display) {
        std::string type = config_.display->opts.get_or("type", "");
        if (type != "none" && type != "curses") refuse(config_.display->location, "the '" + type + "' display");
        for (const cli::KeyValue& entry : config_.display->opts.entries()) {
            if (entry.key == "type") continue;
            // QEMU's common display options and curses' charset= change
            // what a window or the terminal shows: not built yet.
            static const char* const kKnown[] = {"full-screen", "window-close", "show-cursor", "gl", "charset"};
            if (std::find(std::begin(kKnown), std::end(kKnown), entry.key) == std::end(kKnown))
                throw Error("{}: Parameter '{}' is unexpected", config_.display->location, entry.key);
            refuse(config_.display->location, "the display option '" + entry.key + "'");
        }
        if (type == "curses" && config_.daemonize) throw Error("curses display cannot be used with -daemonize");
    }
    if (config_.vga && *config_.vga != "none" && *config_.vga != "std")
        refuse("-vga " + *config_.vga, "the '" + *config_.vga + "' VGA");
    // QEMU checks the model once the machine is being built (here the
    // accelerator does, in build()): its errors name no option.
    if (config_.cpu_model && config_.cpu_model->empty()) throw Error("-cpu option cannot be empty");
    if (config_.daemonize && config_.nographic)
        throw Error("-nographic cannot be used with -daemonize");
}

chardev::Chardev* Vm::Impl::create_legacy_chardev(const cli::OptionUse& use, const std::string& id) {
    return with_location(use.location, [&]() -> chardev::Chardev* {
        chardev::LegacyChardev legacy =
            chardev::parse_legacy_chardev(use.opts.get_or("spec", ""), id);
        auto& registry = chardev::ChardevRegistry::global();
        if (!legacy.existing_id.empty()) {
            chardev::Chardev* existing = registry.find(legacy.existing_id);
            if (!existing) throw Error("chardev '{}' not found", legacy.existing_id);
            return existing;
        }
        if (!legacy.options) return nullptr;
        chardev::Chardev& created = registry.create(*legacy.options);
        qom::BackendRegistry::instance().add(qom::BackendKind::kChardev, created.id(),
                                             std::any(&created));
        return &created;
    });
}

void Vm::Impl::create_chardevs() {
    auto& registry = chardev::ChardevRegistry::global();
    for (const cli::OptionUse& use : config_.chardevs) {
        with_location(use.location, [&] {
            chardev::Chardev& created = registry.create(chardev_options(use.opts));
            qom::BackendRegistry::instance().add(qom::BackendKind::kChardev, created.id(),
                                                 std::any(&created));
        });
    }
    // -nographic puts the default serial port and the default monitor on
    // stdio, as QEMU: both through the mux (C-a x quits even before a serial
    // port model exists), or the one of them the command line left default.
    if (config_.nographic && config_.serials.empty()) {
        create_legacy_chardev({"-nographic", cli::parse_opts(has_default_monitor() ? "spec=mon:stdio" : "spec=stdio")},
                              "serial0");
    }
}

// No -monitor, -qmp or -mon: QEMU's default monitor is still to be placed.
bool Vm::Impl::has_default_monitor() const {
    return config_.monitors.empty() && config_.qmps.empty() && config_.mons.empty();
}

void Vm::Impl::create_machine() {
    // -global defaults must be known before the board creates its devices.
    for (const cli::OptionUse& use : config_.globals) {
        with_location(use.location, [&] {
            qom::GlobalProperties::instance().add(use.opts.get_or("driver", ""),
                                                  use.opts.get_or("property", ""),
                                                  use.opts.get_or("value", ""));
        });
    }
    root_ = qom::Container::make_root();
    // The machine's type and properties are applied after option parsing, as
    // QEMU does: their errors name no option.
    std::string type_name = config_.machine.opts.get_or("type", "pc");
    const qom::Type& type = machine_type(type_name);
    auto machine = qom::new_object<hw::Machine>(type.name());
    machine_ = &root_->add_child("machine", std::move(machine));
    create_objects();
    machine_->set_run_control(&run_control_);
    machine_->set_cpu_model(cpu_model_);
    accel_->configure_machine(*machine_);
    for (const cli::KeyValue& entry : config_.machine.opts.entries()) {
        // The accelerator's: it has read it already (kernel-irqchip means
        // nothing to TCG, but QEMU still checks its value).
        if (entry.key == "kernel-irqchip") {
            static const char* const kModes[] = {"on", "off", "split", "yes", "no", "true", "false"};
            if (std::find(std::begin(kModes), std::end(kModes), entry.value) == std::end(kModes))
                throw Error("Parameter 'kernel-irqchip' does not accept value '{}'", entry.value);
            continue;
        }
        if (entry.key == "type" || entry.key == "accel") continue;
        machine_->parse_property(entry.key, entry.value);
    }
    // Building the board is past option parsing: as in QEMU, its errors
    // (guest RAM the host cannot provide, SMBIOS tables too large) name no option.
    machine_->init(config_, firmware_);
    if (!config_.kernel.empty()) machine_->load_kernel(config_);
}

// -object: the type, id and properties are the option's (errors carry its
// text); completing (a secret's data or file) reports bare, as QEMU does.
void Vm::Impl::create_objects() {
    qom::objects_container(*root_);
    for (const cli::OptionUse& use : config_.objects) {
        std::vector<qom::ObjectProperty> properties;
        for (const cli::KeyValue& entry : use.opts.entries()) {
            if (entry.key != "qom-type") properties.push_back({entry.key, entry.value});
        }
        std::unique_ptr<qom::UserCreatable> object;
        try {
            object = qom::user_creatable_new(use.opts.get_or("qom-type", ""), use.opts.id(), properties,
                                             nullptr, qom::ObjectSource::kCommandLine);
        } catch (const qom::PropertySetterError&) {
            throw;  // a value the object refused: bare, as QEMU's setters report
        } catch (const Error& e) {
            throw Error("{}: {}", use.location, e.what());
        }
        qom::user_creatable_add(*root_, use.opts.id(), std::move(object));
    }
}

void Vm::Impl::create_devices() {
    auto& globals = qom::GlobalProperties::instance();
    // Drives first, as QEMU opens them before creating devices: -device
    // may name one (drive=).
    drives_.set_ide_units_per_bus(machine_->ide_units_per_bus());
    drives_.open_all(config_);
    // The board's NICs (-nic, -net nic) come before -device, as in QEMU.
    networks_.create_nics(*machine_);
    for (size_t i = 0; i < config_.debugcons.size(); ++i) {
        const cli::OptionUse& use = config_.debugcons[i];
        chardev::Chardev* chardev =
            create_legacy_chardev(use, i == 0 ? "debugcon" : "debugcon" + std::to_string(i));
        if (!chardev) continue;
        with_location(use.location, [&] {
            qom::device_add(*machine_, qom::DeviceOptions{{"driver", "isa-debugcon"}, {"chardev", chardev->id()}});
        });
    }
    create_serial_ports();
    for (const cli::OptionUse& use : config_.devices) {
        with_location(use.location, [&] {
            qom::DeviceOptions options;
            for (const cli::KeyValue& entry : use.opts.entries()) options.emplace_back(entry.key, entry.value);
            if (!use.opts.id().empty()) options.emplace_back("id", use.opts.id());
            qom::device_add(*machine_, options);
        });
    }
    for (const auto& info : drives_.drives()) {
        if (info->interface != DriveInterface::kNone && info->interface != DriveInterface::kIde &&
            info->interface != DriveInterface::kVirtio)
            throw Error("{}: this kind of drive is not supported yet", info->location);
    }
    // if=virtio: a virtio-blk-pci function per drive, after the -device
    // ones, as QEMU appends them.
    for (const auto& info : drives_.drives()) {
        if (info->interface != DriveInterface::kVirtio) continue;
        with_location(info->location, [&] {
            qom::device_add(*machine_, qom::DeviceOptions{{"driver", "virtio-blk-pci"}, {"drive", info->id}});
        });
    }
    machine_->attach_ide_drives(drives_);
    for (const std::string& warning : globals.unused_warnings())
        std::fprintf(stderr, "%s: warning: %s\n", cli::kProgramName, warning.c_str());
    machine_->set_ready();
}

// COM1-COM4 from -serial, as QEMU's serial_hds: the Nth option is the Nth
// port ("none" leaves it out). Without -serial, -nographic puts COM1 on the
// stdio mux made in create_chardevs; otherwise QEMU's default "vc" has no
// console to show, so there is no port.
void Vm::Impl::create_serial_ports() {
    auto add_port = [&](const std::string& location, int index, const std::string& chardev_id) {
        with_location(location, [&] {
            qom::device_add(*machine_, qom::DeviceOptions{{"driver", "isa-serial"},
                                                          {"index", std::to_string(index)},
                                                          {"chardev", chardev_id}});
        });
    };
    if (config_.serials.empty()) {
        if (chardev::ChardevRegistry::global().find("serial0")) add_port("-nographic", 0, "serial0");
        return;
    }
    for (size_t i = 0; i < config_.serials.size(); ++i) {
        const cli::OptionUse& use = config_.serials[i];
        if (i >= 4) throw Error("{}: too many serial ports", use.location);
        chardev::Chardev* chardev = create_legacy_chardev(use, "serial" + std::to_string(i));
        if (chardev) add_port(use.location, static_cast<int>(i), chardev->id());
    }
}

// The accelerator was chosen before the machine was built; now it takes
// over the machine's CPUs, memory and interrupt wiring.
void Vm::Impl::create_accelerator() {
    accel_->attach({.machine = *machine_,
                    .root = *root_,
                    .run_control = run_control_,
                    .config = config_,
                    .cpu_model = cpu_model_});
}

// The front ends show console 0, the first display device's (a blank one
// with -vga none, as QEMU still has a console then).
ui::Console& Vm::Impl::first_console() {
    if (ui::Console* console = ui::Console::find(0)) return *console;
    if (!blank_console_) blank_console_ = std::make_unique<ui::Console>(nullptr);
    return *blank_console_;
}

void Vm::Impl::create_displays() {
    if (config_.vnc) {
        with_location(config_.vnc_location, [&] {
            ui::VncOptions options = ui::parse_vnc_options(*config_.vnc);
            // Bare booleans still work, with QEMU 7.2's deprecation warning.
            std::vector<std::string> elements = cli::split_escaped(*config_.vnc);
            for (size_t i = 1; i < elements.size(); ++i) {
                const std::string& e = elements[i];
                if (e.empty() || e.find('=') != std::string::npos) continue;
                bool off = e.rfind("no", 0) == 0 && e != "non-adaptive";
                std::string name = off ? e.substr(2) : e;
                std::fprintf(stderr, "%s: %s: warning: short-form boolean option '%s' deprecated\n"
                             "Please use %s=%s instead\n", cli::kProgramName, config_.vnc_location.c_str(),
                             e.c_str(), name.c_str(), off ? "off" : "on");
            }
            if (!config_.keyboard_layout.empty()) options.keyboard_layout = config_.keyboard_layout;
            vnc_ = std::make_unique<ui::VncServer>(options, first_console(), firmware_.search_dirs(), config_.name);
        });
    }
    if (config_.display && config_.display->opts.get_or("type", "") == "curses") {
        if (!isatty(STDOUT_FILENO)) {
            // QEMU's words, without the program name.
            std::fprintf(stderr, "We need a terminal output\n");
            std::exit(1);
        }
        curses_ = std::make_unique<ui::CursesDisplay>(first_console());
    }
}

void Vm::Impl::create_monitors() {
    hub_ = std::make_unique<monitor::MonitorHub>(run_control_);
    if (!config_.name.empty()) hub_->set_name(config_.name);
    if (!config_.uuid.empty()) hub_->set_uuid(config_.uuid);
    chardev_info_ = std::make_unique<monitor::ChardevRegistryInfo>(chardev::ChardevRegistry::global());
    hub_->providers().chardev = chardev_info_.get();
    monitor::register_qom_commands(*hub_, *machine_);
    vm_monitor_ = std::make_unique<VmMonitor>(*hub_, *machine_, *accel_, run_control_, config_.smp);
    block_monitor_ = std::make_unique<BlockMonitor>(*hub_, *machine_, drives_);
    net_monitor_ = std::make_unique<NetMonitor>(*hub_);
    vnc_monitor_ = std::make_unique<VncMonitor>(*hub_, vnc_.get());
    monitors_ = monitor::create_monitors(*hub_, config_, chardev::ChardevRegistry::global());
    // -nographic (and -serial mon:stdio): the HMP monitor shares stdio with
    // the serial port through the mux; C-a c switches between them.
    if (config_.nographic && has_default_monitor()) {
        // With -serial given, the monitor has stdio to itself.
        chardev::Chardev* stdio = config_.serials.empty()
                                      ? chardev::ChardevRegistry::global().find("serial0")
                                      : create_legacy_chardev({"-nographic", cli::parse_opts("spec=stdio")},
                                                              "compat_monitor0");
        if (stdio) {
            monitors_.push_back(std::make_unique<monitor::ChardevMonitor>(
                *hub_, *stdio, monitor::Monitor::Mode::kReadline));
            // QEMU starts the user on the serial console, the first front end.
            if (auto* muxed = dynamic_cast<chardev::MuxChardev*>(stdio)) muxed->set_focus(0);
        }
    }
}

void Vm::Impl::build() {
    install_sandboxes();
    if (config_.daemonize) daemon_.begin();
    try {
        log::set_mask(config_.log_mask);
        log::set_address_filter(config_.log_filter);
        if (!config_.log_file.empty()) with_location("-D " + config_.log_file, [&] { log::set_file(config_.log_file); });
        reject_unsupported();
        run_control_.set_no_reboot(config_.no_reboot);
        run_control_.set_no_shutdown(config_.no_shutdown);
        run_control_.set_wakeup_hook([] { main_loop_wakeup(); });
        // Mux front ends learn that stdio is open only once all of them are
        // attached and the focus is settled (no monitor banner in the console).
        chardev::MuxChardev::hold_open_events();
        chardev::MuxChardev::set_quit_handler(
            [this] { run_control_.request_shutdown(ShutdownCause::kHostQmpQuit); });
        if (config_.overcommit_mem_lock && ::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
            std::fprintf(stderr, "%s: mlockall: %s\n", cli::kProgramName, errno_string(errno).c_str());
            throw Error("locking memory failed");
        }
        // As QEMU: the accelerator first, so that a fallback happens before
        // anything is built for the one that failed.
        accel_ = accel::configure_accelerator(config_);
        std::vector<std::string> warnings;
        cpu_model_ = accel_->parse_cpu_model(config_.cpu_model ? *config_.cpu_model : "qemu64", warnings);
        for (const std::string& w : warnings) std::fprintf(stderr, "%s: warning: %s\n", cli::kProgramName, w.c_str());
        create_chardevs();
        networks_.create_backends(config_, config_.machine.opts.get_or("type", "pc"));
        create_machine();
        create_devices();
        networks_.print_warnings(config_.qtest.has_value());
        create_accelerator();
        create_displays();
        create_monitors();
        chardev::MuxChardev::release_open_events();
        // Stopping the VM parks the vCPU and freezes virtual time; a reset
        // happens with the vCPU parked.
        // Frames wait in their queues while the VM is stopped (-S, stop).
        net::NetClient::set_vm_running(false);
        run_control_.set_pause_hook([this] {
            accel_->pause();
            vm_stop();
            net::NetClient::set_vm_running(false);
        });
        run_control_.set_resume_hook([this] {
            vm_start();
            net::NetClient::set_vm_running(true);
            accel_->resume();
        });
        run_control_.set_reset_hook([this] {
            accel_->pause();
            {
                // Every BAR and window the devices unmap, rendered once.
                memory::Transaction batch;
                machine_->system_reset();
            }
            accel_->reset();
            if (run_control_.running()) accel_->resume();
        });
        if (!config_.pidfile.empty()) write_pidfile(config_.pidfile);
    } catch (...) {
        daemon_.fail();
        throw;
    }
    daemon_.finish();
}

void Vm::Impl::start() {
    if (!config_.start_paused) run_control_.start();
}

bool Vm::Impl::poll() {
    main_loop_wait(0);
    return !run_control_.process_requests() && !exit_requested();
}

void Vm::Impl::system_reset() {
    run_control_.request_reset(ShutdownCause::kHostQmpSystemReset);
    run_control_.process_requests();
}

int Vm::Impl::run() {
    start();
    ExitRequest request = main_loop_run([this] { return run_control_.process_requests(); });
    if (request.cause == ShutdownCause::kHostSignal) {
        run_control_.request_shutdown(ShutdownCause::kHostSignal, request.signal);
        run_control_.process_requests();
    }
    if (auto message = exit_message(request))
        std::fprintf(stderr, "%s: %s\n", cli::kProgramName, message->c_str());
    return 0;
}

Vm::Vm(const cli::VmConfig& config) : impl_(std::make_unique<Impl>(config)) {
    bql_lock();
    install_termination_signals();
    impl_->build();
}

Vm::~Vm() = default;

int Vm::run() { return impl_->run(); }

void Vm::start() { impl_->start(); }

bool Vm::poll() { return impl_->poll(); }

void Vm::system_reset() { impl_->system_reset(); }

}  // namespace mimic::system
