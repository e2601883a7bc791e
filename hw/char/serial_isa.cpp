// isa-serial: a National Semiconductor 16550A UART on the ISA bus (COM1-COM4).
//
// Bytes are not clocked out at the programmed baud rate: a transmitted byte
// goes to the chardev at once, and the FIFO only fills while the backend
// pushes back (Chardev::write taking less), in which case the rest waits for
// on_writable. Receive is paced by the FIFO room we report to the chardev,
// so a guest that does not read stops the socket or terminal behind it. The
// character timeout of FIFO mode does use the baud rate: four character
// times after the last byte, on the virtual clock.
#include <deque>
#include <map>

#include "mimic/chardev/chardev.h"
#include "mimic/hw/isa.h"
#include "mimic/hw/machine.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr size_t kFifoSize = 16;
constexpr int64_t kUartClockHz = 1843200;  // 1.8432 MHz crystal, 16x oversampling

// Register offsets.
enum : int { kData = 0, kIer = 1, kIir = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7 };

constexpr uint8_t kIerRx = 0x01, kIerThre = 0x02, kIerLine = 0x04, kIerModem = 0x08;
constexpr uint8_t kIirNone = 0x01, kIirLine = 0x06, kIirRx = 0x04, kIirTimeout = 0x0c,
                  kIirThre = 0x02, kIirModem = 0x00, kIirFifo = 0xc0;
constexpr uint8_t kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04;
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08,
                  kMcrLoop = 0x10;
constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrBi = 0x10, kLsrThre = 0x20, kLsrTemt = 0x40,
                  kLsrErrors = 0x1e, kLsrFifoError = 0x80;
constexpr uint8_t kMsrDcts = 0x01, kMsrDdsr = 0x02, kMsrTeri = 0x04, kMsrDdcd = 0x08,
                  kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80, kMsrDeltas = 0x0f;

// The legacy PC assignment by index.
constexpr uint16_t kComPorts[4] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
constexpr uint8_t kComIrqs[4] = {4, 3, 4, 3};

class IsaSerial : public IsaDevice, public chardev::CharFrontend {
public:
    uint32_t index_ = 0xffffffff;
    uint32_t iobase_ = 0xffffffff;
    uint32_t irq_ = 0xffffffff;
    qom::BackendLink chardev_;
    bool wakeup_ = false;

    IsaSerial() : timeout_timer_(Clock::kVirtual, [this] { char_timeout(); }) {}
    ~IsaSerial() override {
        if (attached_) {
            attached_->on_writable(nullptr);
            attached_->detach(this);
        }
    }

    // ---- chardev front end ----
    size_t can_receive() override {
        if (mcr_ & kMcrLoop) return 0;  // the line is disconnected in loopback
        if (fifo_enabled()) return kFifoSize - rx_.size();
        return rx_.empty() ? 1 : 0;
    }

    void receive(std::span<const uint8_t> data) override {
        for (uint8_t byte : data) receive_byte(byte);
        update_irq();
    }

    void event(chardev::ChardevEvent event) override {
        if (event != chardev::ChardevEvent::kBreak) return;
        // A break arrives as a NUL character with BI set.
        receive_byte(0);
        lsr_ |= kLsrBi;
        update_irq();
    }

protected:
    void do_realize() override {
        // index picks the legacy port and IRQ; -1 takes the next free one.
        static std::map<Machine*, int> next_index;
        Machine* machine = Machine::of(*this);
        int& next = next_index[machine];
        int index = index_ == 0xffffffff ? next : static_cast<int>(index_);
        if (index < 0 || index > 3) {
            if (iobase_ == 0xffffffff || irq_ == 0xffffffff)
                throw Error("Max. supported number of ISA serial ports is 4.");
        }
        if (index >= next) next = index + 1;
        uint32_t iobase = iobase_ != 0xffffffff ? iobase_ : kComPorts[index & 3];
        uint32_t irq = irq_ != 0xffffffff ? irq_ : kComIrqs[index & 3];
        if (irq >= static_cast<uint32_t>(kIsaIrqCount))
            throw Error("isa irq {} invalid", irq);
        if (iobase > 0xfff8) throw Error("iobase {:#x} is not an I/O port", iobase);
        index_ = index;
        iobase_ = iobase;
        irq_ = irq;

        if (auto* chardev = chardev_.get<chardev::Chardev>()) {
            chardev->attach(this);
            attached_ = chardev;
        }
        memory::MmioOps ops = byte_register_ops([this](uint64_t offset) { return read(offset); },
                                                [this](uint64_t offset, uint8_t value) { write(offset, value); });
        region_.init_io("serial", 8, std::move(ops));
        register_ioport(region_, static_cast<uint16_t>(iobase_));
        irq_line_ = isa_irq(static_cast<int>(irq_));
        do_reset();
    }

    void do_unrealize() override {
        if (attached_) {
            attached_->on_writable(nullptr);
            attached_->detach(this);
        }
        attached_ = nullptr;
        IsaDevice::do_unrealize();
    }

    void do_reset() override {
        rx_.clear();
        tx_.clear();
        divisor_ = 12;  // 9600 baud
        ier_ = lcr_ = mcr_ = fcr_ = scr_ = 0;
        lsr_ = kLsrThre | kLsrTemt;
        // With nothing reporting modem lines, the far end looks present and ready.
        msr_ = kMsrDcd | kMsrDsr | kMsrCts;
        thre_pending_ = timeout_pending_ = false;
        timeout_timer_.del();
        irq_level_ = false;
        irq_line_.lower();
    }

private:
    bool fifo_enabled() const { return fcr_ & kFcrEnable; }

    size_t rx_trigger() const {
        static constexpr size_t kTriggers[4] = {1, 4, 8, 14};
        return fifo_enabled() ? kTriggers[fcr_ >> 6] : 1;
    }

    int64_t char_time_ns() const {
        // Start + data + parity + stop bits, at 16 UART clocks per bit.
        int bits = 1 + 5 + (lcr_ & 3) + ((lcr_ & 0x08) ? 1 : 0) + ((lcr_ & 0x04) ? 2 : 1);
        int64_t divisor = divisor_ ? divisor_ : 0x10000;
        return divisor * 16 * bits * kNsPerSec / kUartClockHz;
    }

    void receive_byte(uint8_t byte) {
        size_t capacity = fifo_enabled() ? kFifoSize : 1;
        if (rx_.size() >= capacity) {
            // Overrun: the new byte is lost (FIFO) or replaces RBR (16450).
            lsr_ |= kLsrOe;
            if (!fifo_enabled()) rx_.back() = byte;
            return;
        }
        rx_.push_back(byte);
        lsr_ |= kLsrDr;
        if (fifo_enabled()) {
            timeout_pending_ = false;
            timeout_timer_.mod_ns(clock_get_ns(Clock::kVirtual) + 4 * char_time_ns());
        }
    }

    void char_timeout() {
        if (!rx_.empty()) {
            timeout_pending_ = true;
            update_irq();
        }
    }

    // The highest-priority pending interrupt, as IIR reports it.
    uint8_t interrupt_id() const {
        if ((ier_ & kIerLine) && (lsr_ & kLsrErrors)) return kIirLine;
        if ((ier_ & kIerRx) && timeout_pending_) return kIirTimeout;
        if ((ier_ & kIerRx) && rx_.size() >= rx_trigger()) return kIirRx;
        if ((ier_ & kIerThre) && thre_pending_) return kIirThre;
        if ((ier_ & kIerModem) && (msr_ & kMsrDeltas)) return kIirModem;
        return kIirNone;
    }

    void update_irq() {
        bool level = interrupt_id() != kIirNone;
        if (level != irq_level_) {
            irq_level_ = level;
            irq_line_.set(level);
        }
    }

    uint8_t read(uint64_t offset) {
        if ((lcr_ & kLcrDlab) && offset <= kIer)
            return static_cast<uint8_t>(offset == 0 ? divisor_ : divisor_ >> 8);
        switch (offset) {
            case kData: {
                uint8_t byte = 0;
                if (!rx_.empty()) {
                    byte = rx_.front();
                    rx_.pop_front();
                }
                if (rx_.empty()) lsr_ &= ~(kLsrDr | kLsrBi);
                timeout_pending_ = false;
                if (fifo_enabled() && !rx_.empty()) {
                    timeout_timer_.mod_ns(clock_get_ns(Clock::kVirtual) + 4 * char_time_ns());
                } else {
                    timeout_timer_.del();
                }
                update_irq();
                // Room again: let the backend deliver more.
                if (attached_) attached_->accept_input();
                return byte;
            }
            case kIer:
                return ier_;
            case kIir: {
                uint8_t id = interrupt_id();
                // Reading IIR while it shows THRE acknowledges that interrupt.
                if (id == kIirThre) {
                    thre_pending_ = false;
                    update_irq();
                }
                return static_cast<uint8_t>(id | (fifo_enabled() ? kIirFifo : 0));
            }
            case kLcr:
                return lcr_;
            case kMcr:
                return mcr_;
            case kLsr: {
                uint8_t value = lsr_;
                if (fifo_enabled() && has_rx_error()) value |= kLsrFifoError;
                // Reading LSR clears the error bits (BI stays with its byte in
                // the FIFO on real parts; clearing it here is what guests expect).
                lsr_ &= ~(kLsrErrors);
                update_irq();
                return value;
            }
            case kMsr: {
                uint8_t value = msr_;
                msr_ &= ~kMsrDeltas;
                update_irq();
                return value;
            }
            default:
                return scr_;
        }
    }

    bool has_rx_error() const { return lsr_ & kLsrBi; }

    void write(uint64_t offset, uint8_t value) {
        if ((lcr_ & kLcrDlab) && offset <= kIer) {
            if (offset == 0) {
                divisor_ = (divisor_ & 0xff00) | value;
            } else {
                divisor_ = static_cast<uint16_t>((divisor_ & 0x00ff) | value << 8);
            }
            return;
        }
        switch (offset) {
            case kData:
                transmit(value);
                break;
            case kIer: {
                uint8_t old = ier_;
                ier_ = value & 0x0f;
                // Enabling THRE while the holding register is empty
                // interrupts at once; drivers probe the UART this way.
                if ((ier_ & kIerThre) && !(old & kIerThre) && (lsr_ & kLsrThre))
                    thre_pending_ = true;
                update_irq();
                break;
            }
            case kIir:
                write_fcr(value);
                break;
            case kLcr:
                lcr_ = value;
                break;
            case kMcr:
                write_mcr(value);
                break;
            case kLsr:
            case kMsr:
                break;  // read-only (factory test modes are not modelled)
            default:
                scr_ = value;
                break;
        }
    }

    void write_fcr(uint8_t value) {
        bool was_enabled = fifo_enabled();
        // Toggling the enable bit clears both FIFOs.
        if (value & kFcrClearRx || was_enabled != bool(value & kFcrEnable)) {
            rx_.clear();
            lsr_ &= ~(kLsrDr | kLsrBi);
            timeout_pending_ = false;
            timeout_timer_.del();
        }
        if (value & kFcrClearTx || was_enabled != bool(value & kFcrEnable)) {
            tx_.clear();
            lsr_ |= kLsrThre | kLsrTemt;
        }
        fcr_ = value & 0xc9;
        update_irq();
        if (attached_) attached_->accept_input();
    }

    void write_mcr(uint8_t value) {
        bool was_loop = mcr_ & kMcrLoop;
        mcr_ = value & 0x1f;
        if (mcr_ & kMcrLoop) {
            // Loopback: the modem outputs come back as the inputs.
            uint8_t lines = static_cast<uint8_t>(((mcr_ & kMcrRts) ? kMsrCts : 0) |
                                                 ((mcr_ & kMcrDtr) ? kMsrDsr : 0) |
                                                 ((mcr_ & kMcrOut1) ? kMsrRi : 0) |
                                                 ((mcr_ & kMcrOut2) ? kMsrDcd : 0));
            set_modem_lines(lines);
        } else if (was_loop) {
            set_modem_lines(kMsrDcd | kMsrDsr | kMsrCts);
            if (attached_) attached_->accept_input();
        }
        update_irq();
    }

    void set_modem_lines(uint8_t lines) {
        uint8_t old = msr_;
        uint8_t deltas = 0;
        if ((old ^ lines) & kMsrCts) deltas |= kMsrDcts;
        if ((old ^ lines) & kMsrDsr) deltas |= kMsrDdsr;
        if ((old ^ lines) & kMsrDcd) deltas |= kMsrDdcd;
        // TERI: trailing edge of the ring indicator only.
        if ((old & kMsrRi) && !(lines & kMsrRi)) deltas |= kMsrTeri;
        msr_ = static_cast<uint8_t>(lines | (old & kMsrDeltas) | deltas);
    }

    void transmit(uint8_t byte) {
        thre_pending_ = false;
        if (mcr_ & kMcrLoop) {
            receive_byte(byte);
            update_irq();
            return;
        }
        size_t capacity = fifo_enabled() ? kFifoSize : 1;
        if (tx_.size() >= capacity) {
            MIMIC_LOG(log::kGuestErrors, "isa-serial: transmit FIFO overrun\n");
            return;
        }
        tx_.push_back(byte);
        lsr_ &= ~(kLsrThre | kLsrTemt);
        flush_tx();
    }

    void flush_tx() {
        if (!tx_.empty()) {
            if (attached_) {
                // The deque's storage is not contiguous; hand bytes over in
                // order until the backend stops taking them.
                while (!tx_.empty()) {
                    uint8_t byte = tx_.front();
                    if (attached_->write(std::span(&byte, 1)) == 0) break;
                    tx_.pop_front();
                }
                if (!tx_.empty()) {
                    attached_->on_writable([this] { flush_tx(); });
                    return;
                }
            } else {
                tx_.clear();  // nothing connected: the bits fall off the line
            }
        }
        if (!(lsr_ & kLsrThre)) {
            lsr_ |= kLsrThre | kLsrTemt;
            thre_pending_ = true;
            update_irq();
        }
    }

    memory::MemoryRegion region_;
    IrqLine irq_line_;
    chardev::Chardev* attached_ = nullptr;
    Timer timeout_timer_;

    std::deque<uint8_t> rx_, tx_;
    uint16_t divisor_ = 12;
    uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, fcr_ = 0, scr_ = 0;
    uint8_t lsr_ = kLsrThre | kLsrTemt;
    uint8_t msr_ = kMsrDcd | kMsrDsr | kMsrCts;
    bool thre_pending_ = false;
    bool timeout_pending_ = false;
    bool irq_level_ = false;
};

MIMIC_REGISTER_TYPE({
    .name = "isa-serial",
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<IsaSerial>(),
    .description = "16550A UART (COM1-COM4)",
    .properties = {
        qom::prop::uint32("index", &IsaSerial::index_, 0xffffffff),
        qom::prop::uint32("iobase", &IsaSerial::iobase_, 0xffffffff),
        qom::prop::uint32("irq", &IsaSerial::irq_, 0xffffffff),
        qom::prop::chardev("chardev", &IsaSerial::chardev_),
        qom::prop::boolean("wakeup", &IsaSerial::wakeup_, false),
    },
    .categories = {qom::DeviceCategory::kInput},
});

}  // namespace
}  // namespace mimic::hw
