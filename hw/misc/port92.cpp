// port92: the PS/2 "system control port A". Bit 1 gates A20 without the slow
// trip through the keyboard controller; writing bit 0 as 1 resets the CPU.
#include "mimic/hw/board_signals.h"
#include "mimic/hw/isa.h"
#include "mimic/qom/property.h"

namespace mimic::hw {
namespace {

class Port92 : public IsaDevice {
protected:
    void do_realize() override {
        memory::MmioOps ops;
        ops.read = [this](uint64_t, unsigned) -> uint64_t { return value_; };
        ops.write = [this](uint64_t, uint64_t value, unsigned) { write(static_cast<uint8_t>(value)); };
        ops.valid = {1, 1, false};
        ops.impl = {1, 1, false};
        region_.init_io("port92", 1, std::move(ops));
        register_ioport(region_, 0x92);
        value_ = 0;
    }

    void do_reset() override { value_ &= ~0x01; }

private:
    void write(uint8_t value) {
        bool old_a20 = value_ & 0x02;
        // Bit 0 reads back as written but only a 0 -> 1 change resets.
        bool reset = (value & 0x01) && !(value_ & 0x01);
        value_ = value & 0x03;
        if (bool a20 = value & 0x02; a20 != old_a20) set_a20_gate(*this, a20);
        if (reset) request_system_reset(*this, "port 92h");
    }

    memory::MemoryRegion region_;
    uint8_t value_ = 0;
};

MIMIC_REGISTER_TYPE({
    .name = "port92",
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<Port92>(),
    .description = "system control port A (fast A20 and reset)",
    .user_creatable = false,
});

}  // namespace
}  // namespace mimic::hw
