// isa-i8259: one Intel 8259A programmable interrupt controller, and the PC's
// cascaded pair built from two of them (see include/mimic/hw/i8259.h).
//
// Each chip keeps the datasheet's three registers: IRR (requests seen),
// ISR (being serviced) and IMR (masked). Priority is relative to
// `lowest_priority_ + 1`, which rotation moves; a request interrupts the CPU
// only if it outranks everything in service. The PIIX's ELCR picks edge or
// level sensing per input on top of the chip's global LTIM bit.
#include "mimic/hw/i8259.h"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "mimic/hw/board_signals.h"
#include "mimic/hw/isa.h"
#include "mimic/hw/machine.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr const char* kTypeI8259 = "isa-i8259";

class I8259 : public IsaDevice, public HasIrqInputs {
public:
    uint32_t iobase_ = 0xffffffff;
    uint32_t elcr_addr_ = 0xffffffff;
    uint8_t elcr_mask_ = 0xff;
    bool master_ = false;

    I8259() {
        inputs_ = std::make_shared<IrqInputs>("i8259", 8, [this](int pin, bool level) {
            set_input(pin, level);
        });
    }

    IrqInputs& irq_inputs() override { return pic_inputs_ ? *pic_inputs_ : *inputs_; }
    const std::shared_ptr<IrqInputs>& chip_inputs() const { return inputs_; }

    // The INT output: the CPU for the master, master input 2 for the slave.
    void set_output(std::function<void(bool)> output) { output_ = std::move(output); }
    // The master exposes the 16 ISA lines as its inputs for qtest.
    void set_pic_inputs(std::shared_ptr<IrqInputs> inputs) { pic_inputs_ = std::move(inputs); }

    // The highest-priority request able to interrupt now, or -1.
    int pending_irq() const {
        int priority = priority_of(irr_ & ~imr_);
        if (priority == 8) return -1;
        uint8_t in_service = isr_;
        // Special mask mode: masked inputs do not block lower priorities.
        if (special_mask_) in_service &= ~imr_;
        // Special fully nested: the slave may interrupt while an earlier
        // slave request is in service on the cascade input.
        if (special_fully_nested_ && master_) in_service &= ~(1 << 2);
        return priority < priority_of(in_service) ? (priority + lowest_priority_ + 1) & 7 : -1;
    }

    // The INTA cycle for `irq`: in service (unless auto-EOI), edge request
    // consumed. A level request stays in IRR while the line is high.
    void acknowledge_irq(int irq) {
        uint8_t mask = 1 << irq;
        if (auto_eoi_) {
            if (rotate_on_auto_eoi_) lowest_priority_ = irq;
        } else {
            isr_ |= mask;
        }
        if (!level_triggered(irq)) irr_ &= ~mask;
        update();
    }

    uint8_t vector_base() const { return vector_base_; }
    uint64_t times_raised(int pin) const { return raised_[pin]; }

    std::string info() const {
        return fmt::format(
            "pic{}: irr={:02x} imr={:02x} isr={:02x} hprio={} irq_base={:02x} rr_sel={} "
            "elcr={:02x} fnm={}\n",
            master_ ? 0 : 1, irr_, imr_, isr_, (lowest_priority_ + 1) & 7, vector_base_,
            read_isr_ ? 1 : 0, elcr_, special_fully_nested_ ? 1 : 0);
    }

protected:
    void do_realize() override {
        if (iobase_ > 0xfffe) throw Error("isa-i8259: iobase must be set");
        memory::MmioOps ops = byte_register_ops([this](uint64_t offset) { return read(offset); },
                                                [this](uint64_t offset, uint8_t value) { write(offset, value); });
        ports_.init_io("pic", 2, std::move(ops));
        register_ioport(ports_, static_cast<uint16_t>(iobase_));
        if (elcr_addr_ <= 0xffff) {
            memory::MmioOps elcr_ops;
            elcr_ops.read = [this](uint64_t, unsigned) -> uint64_t { return elcr_; };
            elcr_ops.write = [this](uint64_t, uint64_t value, unsigned) {
                elcr_ = static_cast<uint8_t>(value) & elcr_mask_;
                update();
            };
            elcr_ops.valid = {1, 1, false};
            elcr_ops.impl = {1, 1, false};
            elcr_region_.init_io("elcr", 1, std::move(elcr_ops));
            register_ioport(elcr_region_, static_cast<uint16_t>(elcr_addr_));
        }
        do_reset();
    }

    void do_reset() override {
        initialize();
        elcr_ = 0;
        update();
    }

private:
    bool level_triggered(int irq) const { return level_mode_ || (elcr_ >> irq) & 1; }

    // Priority 0 (highest) .. 7 of the best bit in `mask`; 8 when empty.
    int priority_of(uint8_t mask) const {
        if (!mask) return 8;
        int priority = 0;
        while (!(mask & (1 << ((priority + lowest_priority_ + 1) & 7)))) ++priority;
        return priority;
    }

    void set_input(int pin, bool level) {
        uint8_t mask = 1 << pin;
        // `info irq` counts every assertion, edges and repeated levels alike, as QEMU does.
        if (level) ++raised_[pin];
        if (level_triggered(pin)) {
            if (level) {
                irr_ |= mask;
                line_high_ |= mask;
            } else {
                irr_ &= ~mask;
                line_high_ &= ~mask;
            }
        } else {
            if (level && !(line_high_ & mask)) irr_ |= mask;
            if (level) {
                line_high_ |= mask;
            } else {
                line_high_ &= ~mask;
            }
        }
        update();
    }

    void update() {
        if (output_) output_(pending_irq() >= 0);
    }

    // ICW1 and reset: everything but the ELCR (a PIIX register) starts over.
    void initialize() {
        line_high_ = irr_ = isr_ = imr_ = 0;
        lowest_priority_ = 7;
        vector_base_ = 0;
        read_isr_ = poll_ = special_mask_ = false;
        init_step_ = 0;
        auto_eoi_ = rotate_on_auto_eoi_ = special_fully_nested_ = false;
        expect_icw4_ = single_ = level_mode_ = false;
    }

    uint8_t read(uint64_t offset) {
        if (poll_) {
            // Poll mode: the read itself is the acknowledge.
            poll_ = false;
            int irq = pending_irq();
            if (irq < 0) return 0;
            acknowledge_irq(irq);
            return static_cast<uint8_t>(0x80 | irq);
        }
        if (offset == 1) return imr_;
        return read_isr_ ? isr_ : irr_;
    }

    void write(uint64_t offset, uint8_t value) {
        if (offset == 0) {
            if (value & 0x10) {
                initialize();
                init_step_ = 1;
                expect_icw4_ = value & 0x01;
                single_ = value & 0x02;
                level_mode_ = value & 0x08;
                if (value & 0x04) MIMIC_LOG(log::kUnimp, "i8259: call address interval 4\n");
                update();
            } else if (value & 0x08) {
                write_ocw3(value);
            } else {
                write_ocw2(value);
            }
            return;
        }
        switch (init_step_) {
            case 0:
                imr_ = value;
                update();
                break;
            case 1:
                vector_base_ = value & 0xf8;
                init_step_ = single_ ? (expect_icw4_ ? 3 : 0) : 2;
                break;
            case 2:  // ICW3: the cascade wiring is fixed on a PC
                init_step_ = expect_icw4_ ? 3 : 0;
                break;
            case 3:
                special_fully_nested_ = value & 0x10;
                auto_eoi_ = value & 0x02;
                init_step_ = 0;
                break;
        }
    }

    void write_ocw2(uint8_t value) {
        int command = value >> 5;
        int level = value & 7;
        switch (command) {
            case 0:  // rotate in auto-EOI mode: clear
            case 4:  // ... set
                rotate_on_auto_eoi_ = command == 4;
                break;
            case 1:  // non-specific EOI
            case 5: {  // rotate on non-specific EOI
                int priority = priority_of(isr_);
                if (priority == 8) break;
                int irq = (priority + lowest_priority_ + 1) & 7;
                isr_ &= ~(1 << irq);
                if (command == 5) lowest_priority_ = irq;
                update();
                break;
            }
            case 3:  // specific EOI
                isr_ &= ~(1 << level);
                update();
                break;
            case 6:  // set priority: `level` becomes the lowest
                lowest_priority_ = level;
                update();
                break;
            case 7:  // rotate on specific EOI
                isr_ &= ~(1 << level);
                lowest_priority_ = level;
                update();
                break;
            default:  // 2: no operation
                break;
        }
    }

    void write_ocw3(uint8_t value) {
        if (value & 0x04) poll_ = true;
        if (value & 0x02) read_isr_ = value & 0x01;
        if (value & 0x40) {
            special_mask_ = value & 0x20;
            update();
        }
    }

    std::shared_ptr<IrqInputs> inputs_;
    std::shared_ptr<IrqInputs> pic_inputs_;
    std::function<void(bool)> output_;
    memory::MemoryRegion ports_, elcr_region_;

    uint64_t raised_[8] = {};  // assertions per input, for `info irq`
    uint8_t line_high_ = 0;  // input levels, for edge detection
    uint8_t irr_ = 0, isr_ = 0, imr_ = 0;
    uint8_t elcr_ = 0;
    int lowest_priority_ = 7;  // IRQ0 is the highest after reset
    uint8_t vector_base_ = 0;
    bool read_isr_ = false;
    bool poll_ = false;
    bool special_mask_ = false;
    int init_step_ = 0;  // next ICW expected at the data port (0: none)
    bool expect_icw4_ = false;
    bool single_ = false;
    bool level_mode_ = false;
    bool auto_eoi_ = false;
    bool rotate_on_auto_eoi_ = false;
    bool special_fully_nested_ = false;
};

MIMIC_REGISTER_TYPE({
    .name = kTypeI8259,
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<I8259>(),
    .description = "Intel 8259A programmable interrupt controller",
    .properties = {
        qom::prop::uint32("iobase", &I8259::iobase_, 0xffffffff),
        qom::prop::uint32("elcr_addr", &I8259::elcr_addr_, 0xffffffff),
        qom::prop::uint8("elcr_mask", &I8259::elcr_mask_, 0xff),
        qom::prop::boolean("master", &I8259::master_, false),
    },
    .user_creatable = false,
});

// The pair as the CPU sees it: the INTA cycle walks the cascade.
class I8259Pair : public x86::InterruptController {
public:
    I8259Pair(I8259& master, I8259& slave) : master_(master), slave_(slave) {}

    bool has_interrupt() override { return master_.pending_irq() >= 0; }

    uint8_t acknowledge() override {
        int irq = master_.pending_irq();
        if (irq < 0) {
            // The request went away between INTR and INTA: the 8259A answers
            // with its lowest-priority vector without setting ISR.
            return master_.vector_base() + 7;
        }
        master_.acknowledge_irq(irq);
        if (irq != 2) return master_.vector_base() + irq;
        int slave_irq = slave_.pending_irq();
        if (slave_irq < 0) return slave_.vector_base() + 7;  // spurious IRQ15
        slave_.acknowledge_irq(slave_irq);
        return slave_.vector_base() + slave_irq;
    }

private:
    I8259& master_;
    I8259& slave_;
};

struct PairState {
    I8259* master = nullptr;
    I8259* slave = nullptr;
    std::unique_ptr<I8259Pair> pair;
};

// Per machine, so i8259_info() finds the chips the board made.
std::map<Machine*, PairState>& pairs() {
    static std::map<Machine*, PairState> instances;
    return instances;
}

I8259& create_chip(Machine& machine, bool master) {
    auto chip = qom::new_object<I8259>(kTypeI8259);
    chip->master_ = master;
    chip->iobase_ = master ? 0x20 : 0xa0;
    chip->elcr_addr_ = master ? 0x4d0 : 0x4d1;
    // IRQ0-2 and IRQ8/13 are edge-only on the PIIX.
    chip->elcr_mask_ = master ? 0xf8 : 0xde;
    chip->set_parent_bus(*machine.isa_bus());
    I8259& placed = master ? machine.add_child("pic", std::move(chip))
                           : static_cast<I8259&>(machine.add_unattached(std::move(chip)));
    placed.realize();
    return placed;
}

}  // namespace

x86::InterruptController& create_i8259_pair(Machine& machine, std::function<void(bool)> intr) {
    PairState& state = pairs()[&machine];
    state.master = &create_chip(machine, true);
    state.slave = &create_chip(machine, false);
    state.master->set_output([&machine, intr = std::move(intr)](bool level) {
        if (intr) intr(level);
        if (auto& cpu_intr = board_signals(machine).cpu_intr) cpu_intr(level);
    });
    auto cascade = state.master->chip_inputs();
    state.slave->set_output([cascade](bool level) { cascade->deliver(2, level); });

    auto master_inputs = state.master->chip_inputs();
    auto slave_inputs = state.slave->chip_inputs();
    auto isa = std::make_shared<IrqInputs>("isa-irq", kIsaIrqCount,
                                           [master_inputs, slave_inputs](int irq, bool level) {
                                               if (irq < 8) {
                                                   master_inputs->deliver(irq, level);
                                               } else {
                                                   slave_inputs->deliver(irq - 8, level);
                                               }
                                           });
    state.master->set_pic_inputs(isa);
    machine.connect_isa_irqs(isa);
    state.pair = std::make_unique<I8259Pair>(*state.master, *state.slave);
    board_signals(machine).interrupt_controller = state.pair.get();
    return *state.pair;
}

std::string i8259_info(Machine& machine) {
    auto it = pairs().find(&machine);
    if (it == pairs().end()) return {};
    return it->second.master->info() + it->second.slave->info();
}

std::string i8259_irq_statistics(Machine& machine) {
    auto it = pairs().find(&machine);
    if (it == pairs().end()) return {};
    std::string out = fmt::format("IRQ statistics for {}:\n", kTypeI8259);
    for (int irq = 0; irq < kIsaIrqCount; ++irq) {
        const I8259& chip = irq < 8 ? *it->second.master : *it->second.slave;
        if (uint64_t count = chip.times_raised(irq & 7)) out += fmt::format("{:2}: {}\n", irq, count);
    }
    return out;
}

}  // namespace mimic::hw
