// isa-pcspk: port 61h, "system control port B". It gates PIT channel 2 and
// the speaker, reads back OUT2, and shows the DRAM refresh request as bit 4,
// which toggles every 15.085 us; SeaBIOS and DOS programs time short delays
// by counting its flips.
#include "mimic/hw/i8254.h"
#include "mimic/hw/isa.h"
#include "mimic/hw/machine.h"
#include "mimic/main_loop/clock.h"
#include "mimic/qom/bus.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"

namespace mimic::hw {
namespace {

constexpr int64_t kRefreshPeriodNs = 15085;

class PcSpeaker : public IsaDevice {
public:
    uint32_t iobase_ = 0x61;

protected:
    void do_realize() override {
        if (iobase_ > 0xffff) throw Error("iobase {:#x} is not an I/O port", iobase_);
        memory::MmioOps ops;
        ops.read = [this](uint64_t, unsigned) -> uint64_t { return read(); };
        ops.write = [this](uint64_t, uint64_t value, unsigned) { write(static_cast<uint8_t>(value)); };
        ops.valid = {1, 1, false};
        ops.impl = {1, 1, false};
        region_.init_io("pcspk", 1, std::move(ops));
        register_ioport(region_, static_cast<uint16_t>(iobase_));
    }

    void do_reset() override { speaker_on_ = false; }

private:
    // The PIT is found on the ISA bus on first use (QEMU links it as "pit"),
    // so the board may create the two in either order.
    PitChannels* pit() {
        if (pit_) return pit_;
        Machine* machine = Machine::of(*this);
        if (!machine || !machine->isa_bus()) return nullptr;
        for (qom::Device* device : machine->isa_bus()->devices()) {
            if (auto* channels = dynamic_cast<PitChannels*>(device)) pit_ = channels;
        }
        return pit_;
    }

    uint8_t read() {
        PitChannels* timer = pit();
        bool refresh = (clock_get_ns(Clock::kVirtual) / kRefreshPeriodNs) & 1;
        return static_cast<uint8_t>((timer && timer->gate(2) ? 0x01 : 0) | (speaker_on_ ? 0x02 : 0) |
                                    (refresh ? 0x10 : 0) | (timer && timer->output(2) ? 0x20 : 0));
    }

    void write(uint8_t value) {
        speaker_on_ = value & 0x02;
        if (PitChannels* timer = pit()) timer->set_gate(2, value & 0x01);
    }

    memory::MemoryRegion region_;
    PitChannels* pit_ = nullptr;
    bool speaker_on_ = false;
};

MIMIC_REGISTER_TYPE({
    .name = "isa-pcspk",
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<PcSpeaker>(),
    .description = "PC speaker and port 61h",
    .properties = {
        qom::prop::uint32("iobase", &PcSpeaker::iobase_, 0x61),
    },
    .user_creatable = false,
});

}  // namespace
}  // namespace mimic::hw
