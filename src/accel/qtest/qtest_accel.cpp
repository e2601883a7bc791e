#include "qtest_accel.h"

#include "../translated_cpu_model.h"

#include <cerrno>
#include <cstdio>

#include "mimic/chardev/chardev.h"
#include "mimic/chardev/legacy.h"
#include "mimic/chardev/registry.h"
#include "mimic/cli/vm_config.h"
#include "mimic/hw/irq.h"
#include "mimic/hw/machine.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/qom/object.h"

#include "mimic/main_loop/clock.h"
#include "mimic/qtest/qtest_protocol.h"
#include "mimic/util/error.h"

namespace mimic::accel {
namespace {

// QEMU resolves partial paths ("ioapic"): the unique object of that name
// anywhere in the tree.
qom::Object* resolve(qom::Object& root, const std::string& path) {
    if (path.starts_with("/")) return root.resolve_path(path);
    qom::Object* found = nullptr;
    int matches = 0;
    std::vector<qom::Object*> pending{&root};
    while (!pending.empty()) {
        qom::Object* object = pending.back();
        pending.pop_back();
        if (object->child_name() == path) {
            found = object;
            ++matches;
        }
        for (qom::Object* child : object->children()) pending.push_back(child);
    }
    return matches == 1 ? found : nullptr;
}

class QtestSession final : public qtest::QtestBackend, public chardev::CharFrontend {
public:
    QtestSession(hw::Machine& machine, qom::Object& root, chardev::Chardev& chardev,
         const std::string& log_path)
        : machine_(machine),
          root_(root),
          chardev_(chardev),
          session_(*this, [this](std::string_view text) { chardev_.write_all(text); }) {
        if (!log_path.empty()) {
            log_ = std::fopen(log_path.c_str(), "w");
            if (!log_)
                throw Error("could not open qtest log '{}': {}", log_path, errno_string(errno));
            session_.set_log([this](std::string_view line) {
                std::fprintf(log_, "%.*s\n", static_cast<int>(line.size()), line.data());
                std::fflush(log_);
            });
        }
        set_virtual_clock_mode(VirtualClockMode::kManual);
        chardev_.attach(this);
    }

    ~QtestSession() override {
        chardev_.detach(this);
        if (log_) std::fclose(log_);
    }

    // CharFrontend
    size_t can_receive() override { return 4096; }
    void receive(std::span<const uint8_t> data) override {
        session_.receive(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
    }

    // QtestBackend
    uint32_t port_read(uint16_t port, unsigned size) override {
        return static_cast<uint32_t>(machine_.io_space().load(port, size));
    }
    void port_write(uint16_t port, uint32_t value, unsigned size) override {
        machine_.io_space().store(port, value, size);
    }
    void memory_read(uint64_t addr, void* buffer, uint64_t length) override {
        machine_.memory_space().read(addr, buffer, length);
    }
    void memory_write(uint64_t addr, const void* buffer, uint64_t length) override {
        machine_.memory_space().write(addr, buffer, length);
    }
    int64_t clock_step(std::optional<int64_t> ns) override {
        if (ns) return mimic::clock_step(*ns);
        // No argument: to the next virtual timer, if there is one.
        int64_t deadline = clock_step_next_deadline();
        return mimic::clock_step(deadline < 0 ? 0 : deadline);
    }
    int64_t clock_set(int64_t ns) override { return mimic::clock_set(ns); }
    void irq_intercept(const std::string& path, bool inputs) override {
        qom::Object* object = resolve(root_, path);
        if (!object) throw Error("No device at '{}'", path);
        auto* owner = dynamic_cast<hw::HasIrqInputs*>(object);
        if (!inputs || !owner) throw Error("'{}' has no interrupt lines to intercept", path);
        owner->irq_inputs().intercept(
            [this](int pin, bool level) { session_.irq_changed(pin, level); });
    }
    void set_irq_in(const std::string& path, const std::string&, int line, int level) override {
        qom::Object* object = resolve(root_, path);
        auto* owner = object ? dynamic_cast<hw::HasIrqInputs*>(object) : nullptr;
        if (!owner) throw Error("No device with interrupt inputs at '{}'", path);
        owner->irq_inputs().deliver(line, level != 0);
    }

private:
    hw::Machine& machine_;
    qom::Object& root_;
    chardev::Chardev& chardev_;
    qtest::QtestSession session_;
    std::FILE* log_ = nullptr;
};

// -qtest CHARDEV: the protocol on a chardev created as a legacy one
// ("unix:PATH", "stdio"), as QEMU's qtest_server_init does.
chardev::Chardev& qtest_chardev(const std::string& spec) {
    chardev::LegacyChardev legacy = chardev::parse_legacy_chardev(spec, "qtest");
    auto& registry = chardev::ChardevRegistry::global();
    if (!legacy.existing_id.empty()) {
        chardev::Chardev* existing = registry.find(legacy.existing_id);
        if (!existing) throw Error("chardev '{}' not found", legacy.existing_id);
        return *existing;
    }
    if (!legacy.options) throw Error("-qtest {}: no qtest chardev", spec);
    chardev::Chardev& created = registry.create(*legacy.options);
    qom::BackendRegistry::instance().add(qom::BackendKind::kChardev, created.id(), std::any(&created));
    return created;
}

class QtestAccel final : public Accelerator {
public:
    explicit QtestAccel(const cli::Opts& options) {
        for (const cli::KeyValue& entry : options.entries()) {
            if (entry.key != "accel") throw Error("Property 'qtest-accel.{}' not found", entry.key);
        }
    }

    std::string_view name() const override { return "qtest"; }

    // The model still shapes the machine (the CPU objects, ACPI tables).
    x86::CpuModel parse_cpu_model(std::string_view spec, std::vector<std::string>& warnings) const override {
        return parse_translated_cpu_model(spec, warnings);
    }

    // Without -qtest nothing drives the machine; it just sits there, as QEMU's does.
    void attach(const AttachContext& context) override {
        if (!context.config.qtest) return;
        chardev::Chardev* chardev = with_location("-qtest " + *context.config.qtest,
                                                  [&] { return &qtest_chardev(*context.config.qtest); });
        session_ = std::make_unique<QtestSession>(context.machine, context.root, *chardev, context.config.qtest_log);
    }

    unsigned cpu_count() const override { return 0; }
    void resume() override {}
    void pause() override {}
    void reset() override {}
    const x86::CpuState& synchronize_state(unsigned) override { throw Error("No CPU available"); }
    uint32_t cpu_eflags(unsigned) override { throw Error("No CPU available"); }
    int64_t cpu_thread_id(unsigned) const override { return 0; }

private:
    std::unique_ptr<QtestSession> session_;
};

}  // namespace

std::unique_ptr<Accelerator> create_qtest_accel(const AccelOptions& options) {
    return std::make_unique<QtestAccel>(options.options);
}

}  // namespace mimic::accel
