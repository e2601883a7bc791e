// Interrupt wires between devices (QEMU's qemu_irq and GPIOs).
//
// A device that receives interrupts owns an IrqInputs: N numbered input pins
// with one handler. Any device that drives one of those pins holds an IrqLine
// for it and calls set()/raise()/lower()/pulse(). The indirection through
// IrqInputs is what lets qtest intercept a controller's inputs
// ("irq_intercept_in ioapic"): once intercepted, levels are reported to the
// test instead of reaching the controller.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace mimic::hw {

class IrqInputs {
public:
    using Handler = std::function<void(int pin, bool level)>;

    IrqInputs(std::string name, int count, Handler handler)
        : name_(std::move(name)), count_(count), handler_(std::move(handler)) {}

    const std::string& name() const { return name_; }
    int count() const { return count_; }

    void deliver(int pin, bool level) {
        if (pin < 0 || pin >= count_) return;
        if (interceptor_) {
            interceptor_(pin, level);
            return;
        }
        handler_(pin, level);
    }

    // Redirects every input to `interceptor` (qtest); empty restores.
    void intercept(Handler interceptor) { interceptor_ = std::move(interceptor); }

private:
    std::string name_;
    int count_;
    Handler handler_;
    Handler interceptor_;
};

class IrqLine {
public:
    IrqLine() = default;
    IrqLine(std::shared_ptr<IrqInputs> target, int pin) : target_(std::move(target)), pin_(pin) {}

    void set(bool level) const {
        if (target_) target_->deliver(pin_, level);
    }
    void raise() const { set(true); }
    void lower() const { set(false); }
    // An edge: raise then lower, for edge-triggered inputs.
    void pulse() const {
        set(true);
        set(false);
    }
    bool connected() const { return target_ != nullptr; }

private:
    std::shared_ptr<IrqInputs> target_;
    int pin_ = 0;
};

// Convenience: a line to pin `pin` of `inputs`.
inline IrqLine irq_line(const std::shared_ptr<IrqInputs>& inputs, int pin) {
    return IrqLine(inputs, pin);
}

}  // namespace mimic::hw

namespace mimic::hw {

// Implemented by devices whose interrupt inputs a test may intercept
// (qtest "irq_intercept_in <path>").
class HasIrqInputs {
public:
    virtual ~HasIrqInputs() = default;
    virtual IrqInputs& irq_inputs() = 0;
};

}  // namespace mimic::hw
