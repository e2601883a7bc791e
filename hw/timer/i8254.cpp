// isa-pit: the Intel 8254 programmable interval timer (ports 0x40-0x43).
//
// Counters are not ticked one by one: each channel remembers when its count
// was loaded (or its gate last triggered it) on the virtual clock, and the
// counter value and OUT level are computed from the elapsed 1.193182 MHz
// ticks whenever the guest looks. A timer exists only for channel 0, armed
// at the next OUT edge so IRQ0 sees every transition.
#include <cstdint>

#include "mimic/hw/i8254.h"
#include "mimic/hw/isa.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr int64_t kPitFrequency = 1193182;

// How the guest reads or writes the 16-bit count through an 8-bit port.
enum Access : uint8_t { kLatch = 0, kLowByte = 1, kHighByte = 2, kWord = 3 };

int64_t ticks_to_ns(int64_t ticks) {
    // Rounded up so that at the returned time at least `ticks` have passed.
    return static_cast<int64_t>(
        (static_cast<__int128>(ticks) * kNsPerSec + kPitFrequency - 1) / kPitFrequency);
}

int64_t ns_to_ticks(int64_t ns) {
    return static_cast<int64_t>(static_cast<__int128>(ns) * kPitFrequency / kNsPerSec);
}

uint16_t to_bcd(uint32_t value) {
    return static_cast<uint16_t>((value % 10) | ((value / 10) % 10) << 4 |
                                 ((value / 100) % 10) << 8 | ((value / 1000) % 10) << 12);
}

uint32_t from_bcd(uint16_t value) {
    return (value & 0xf) + ((value >> 4) & 0xf) * 10 + ((value >> 8) & 0xf) * 100 +
           ((value >> 12) & 0xf) * 1000;
}

struct Channel {
    uint8_t mode = 0;
    bool bcd = false;
    Access access = kWord;
    bool gate = false;
    // The count as loaded, in ticks: 0 in the register means 65536 (10000 BCD).
    uint32_t count = 0x10000;
    int64_t load_ns = 0;
    bool loaded = false;  // a count was written since the control word
    bool null_count = true;

    // Read side: a latched count (and which of its bytes is next), a
    // latched status, and the byte toggle of unlatched word reads.
    uint16_t latched_count = 0;
    Access latch_pending = kLatch;  // kLatch: nothing latched
    bool status_latched = false;
    uint8_t latched_status = 0;
    bool read_high_next = false;
    // Write side: the low byte of a word written so far.
    bool write_high_next = false;
    uint8_t write_low = 0;

    int64_t elapsed(int64_t now) const { return ns_to_ticks(now - load_ns); }

    // The counting element as the guest would latch it.
    uint16_t counter(int64_t now) const {
        if (!loaded) return 0;
        int64_t d = elapsed(now);
        uint32_t value;
        switch (mode) {
            case 2:
                value = count - static_cast<uint32_t>(d % count);
                break;
            case 3:
                // Decrements by two, reloading each half period.
                value = count - static_cast<uint32_t>((2 * d) % count);
                break;
            default:  // 0, 1, 4, 5 wrap around after terminal count
                value = static_cast<uint32_t>((count - d) & 0xffff);
                break;
        }
        value &= 0xffff;
        return bcd ? to_bcd(value % 10000) : static_cast<uint16_t>(value);
    }

    bool output(int64_t now) const {
        if (!loaded) return mode != 0;  // mode 0 goes low on the control word
        int64_t d = elapsed(now);
        switch (mode) {
            case 0:
            case 1:
                return d >= count;
            case 2:
                // Low for the one tick when the counter reads 1.
                return count < 2 || d % count != count - 1;
            case 3:
                return d % count < (count + 1) / 2;
            default:  // 4, 5: a one-tick low strobe at terminal count
                return d != count;
        }
    }

    // Clock time of the next OUT change after `now`, or -1 for none.
    int64_t next_edge_ns(int64_t now) const {
        if (!loaded) return -1;
        int64_t d = elapsed(now);
        int64_t next;
        switch (mode) {
            case 0:
            case 1:
                if (d >= count) return -1;
                next = count;
                break;
            case 2: {
                if (count < 2) return -1;
                int64_t base = d - d % count;
                next = d % count < count - 1 ? base + count - 1 : base + count;
                break;
            }
            case 3: {
                int64_t base = d - d % count;
                int64_t half = (count + 1) / 2;
                next = d % count < half ? base + half : base + count;
                break;
            }
            default:
                if (d < count) {
                    next = count;
                } else if (d == count) {
                    next = count + 1;
                } else {
                    return -1;
                }
                break;
        }
        return load_ns + ticks_to_ns(next);
    }

    uint8_t status(int64_t now) const {
        return static_cast<uint8_t>((output(now) ? 0x80 : 0) | (null_count ? 0x40 : 0) |
                                    access << 4 | mode << 1 | (bcd ? 1 : 0));
    }
};

class I8254 : public IsaDevice, public PitChannels {
public:
    uint32_t iobase_ = 0x40;

    I8254() : irq_timer_(Clock::kVirtual, [this] { irq_timer_fired(); }) {}

    void set_gate(int channel, bool level) override {
        Channel& c = channels_[channel & 3];
        int64_t now = clock_get_ns(Clock::kVirtual);
        // Modes 1, 2, 3 and 5 restart counting on a rising gate; 0 and 4
        // only pause, which is not modelled (no PC firmware relies on it).
        if (level && !c.gate && (c.mode == 1 || c.mode == 2 || c.mode == 3 || c.mode == 5) &&
            c.loaded) {
            c.load_ns = now;
        }
        c.gate = level;
        if (channel == 0) update_irq();
    }
    bool gate(int channel) const override { return channels_[channel & 3].gate; }
    bool output(int channel) const override {
        return channels_[channel & 3].output(clock_get_ns(Clock::kVirtual));
    }

protected:
    void do_realize() override {
        if (iobase_ > 0xfffc) throw Error("iobase {:#x} is not an I/O port", iobase_);
        memory::MmioOps ops = byte_register_ops([this](uint64_t offset) { return read(offset); },
                                                [this](uint64_t offset, uint8_t value) { write(offset, value); });
        region_.init_io("pit", 4, std::move(ops));
        register_ioport(region_, static_cast<uint16_t>(iobase_));
        irq0_ = isa_irq(0);
        do_reset();
    }

    void do_reset() override {
        int64_t now = clock_get_ns(Clock::kVirtual);
        for (int i = 0; i < 3; ++i) {
            channels_[i] = Channel{};
            // Channels 0 and 1 are gated on permanently on a PC.
            channels_[i].gate = i != 2;
            // As QEMU: a reset PIT counts in mode 0 from 0 (65536), which
            // gives IRQ0 one edge before firmware programs it.
            channels_[i].load_ns = now;
            channels_[i].loaded = true;
        }
        update_irq();
    }

private:
    uint8_t read(uint64_t offset) {
        if (offset == 3) return 0xff;  // the control word register is write-only
        Channel& c = channels_[offset];
        int64_t now = clock_get_ns(Clock::kVirtual);
        if (c.status_latched) {
            c.status_latched = false;
            return c.latched_status;
        }
        if (c.latch_pending != kLatch) {
            uint16_t value = c.latched_count;
            switch (c.latch_pending) {
                case kLowByte:
                    c.latch_pending = kLatch;
                    return value & 0xff;
                case kHighByte:
                    c.latch_pending = kLatch;
                    return value >> 8;
                default:  // word: low byte now, high byte next
                    c.latch_pending = kHighByte;
                    return value & 0xff;
            }
        }
        uint16_t value = c.counter(now);
        switch (c.access) {
            case kLowByte:
                return value & 0xff;
            case kHighByte:
                return value >> 8;
            default:
                c.read_high_next = !c.read_high_next;
                return c.read_high_next ? value & 0xff : value >> 8;
        }
    }

    void write(uint64_t offset, uint8_t value) {
        int64_t now = clock_get_ns(Clock::kVirtual);
        if (offset == 3) {
            write_control(value, now);
            return;
        }
        Channel& c = channels_[offset];
        switch (c.access) {
            case kLowByte:
                load(c, value, now);
                break;
            case kHighByte:
                load(c, value << 8, now);
                break;
            default:
                if (!c.write_high_next) {
                    c.write_low = value;
                    c.write_high_next = true;
                } else {
                    c.write_high_next = false;
                    load(c, c.write_low | value << 8, now);
                }
                break;
        }
        if (offset == 0) update_irq();
    }

    void write_control(uint8_t value, int64_t now) {
        int channel = value >> 6;
        if (channel == 3) {
            // Read-back: bits 1-3 select channels; bit 5 clear latches the
            // count, bit 4 clear the status. A latch already held is kept.
            for (int i = 0; i < 3; ++i) {
                if (!(value & (2 << i))) continue;
                Channel& c = channels_[i];
                if (!(value & 0x20)) latch_count(c, now);
                if (!(value & 0x10) && !c.status_latched) {
                    c.latched_status = c.status(now);
                    c.status_latched = true;
                }
            }
            return;
        }
        Channel& c = channels_[channel];
        auto access = static_cast<Access>((value >> 4) & 3);
        if (access == kLatch) {
            latch_count(c, now);
            return;
        }
        c.access = access;
        c.mode = (value >> 1) & 7;
        if (c.mode >= 6) c.mode -= 4;  // 6 and 7 are aliases of 2 and 3
        c.bcd = value & 1;
        c.loaded = false;
        c.null_count = true;
        c.read_high_next = c.write_high_next = false;
        if (channel == 0) update_irq();
    }

    void latch_count(Channel& c, int64_t now) {
        if (c.latch_pending != kLatch) return;
        c.latched_count = c.counter(now);
        c.latch_pending = c.access;
    }

    void load(Channel& c, uint32_t raw, int64_t now) {
        uint32_t count = c.bcd ? from_bcd(static_cast<uint16_t>(raw)) : raw;
        if (count == 0) count = c.bcd ? 10000 : 0x10000;
        c.count = count;
        c.load_ns = now;
        c.loaded = true;
        c.null_count = false;
    }

    void update_irq() { update_irq_at(clock_get_ns(Clock::kVirtual)); }

    // OUT0 as it is at `when`, and the timer armed for the edge after it.
    void update_irq_at(int64_t when) {
        const Channel& c = channels_[0];
        irq0_.set(c.output(when));
        int64_t next = c.next_edge_ns(when);
        if (next >= 0) {
            next_edge_ns_ = next;
            irq_timer_.mod_ns(next);
        } else {
            irq_timer_.del();
        }
    }

    // A timer runs late (host load, a long block): evaluating OUT0 at the
    // edge it was armed for, not at `now`, still gives IRQ0 every edge in
    // turn; mode 2's low pulse lasts one PIT clock (838 ns), and read at
    // `now` it was missed and with it the tick (as QEMU, which updates at
    // next_transition_time). Edges past due follow at once, catching up.
    void irq_timer_fired() { update_irq_at(next_edge_ns_); }

    Channel channels_[3];
    memory::MemoryRegion region_;
    IrqLine irq0_;
    Timer irq_timer_;
    int64_t next_edge_ns_ = 0;  // what irq_timer_ is armed for
};

MIMIC_REGISTER_TYPE({
    .name = kTypeIsaPit,
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<I8254>(),
    .description = "Intel 8254 programmable interval timer",
    .properties = {
        qom::prop::uint32("iobase", &I8254::iobase_, 0x40),
    },
    .user_creatable = false,
});

}  // namespace
}  // namespace mimic::hw
