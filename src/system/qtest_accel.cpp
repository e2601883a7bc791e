#include "mimic/system/qtest_accel.h"

#include <cerrno>
#include <cstdio>

#include "mimic/main_loop/clock.h"
#include "mimic/qtest/qtest_protocol.h"
#include "mimic/util/error.h"

namespace mimic::system {
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

}  // namespace

class QtestAccel::Impl : public qtest::QtestBackend, public chardev::CharFrontend {
public:
    Impl(hw::Machine& machine, qom::Object& root, chardev::Chardev& chardev,
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

    ~Impl() override {
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

QtestAccel::QtestAccel(hw::Machine& machine, qom::Object& root, chardev::Chardev& chardev,
                       const std::string& log_path)
    : impl_(std::make_unique<Impl>(machine, root, chardev, log_path)) {}

QtestAccel::~QtestAccel() = default;

}  // namespace mimic::system
