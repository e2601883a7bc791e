// PS/2 keyboard and mouse as the i8042 sees them: byte queues the controller
// drains, and a write() for each byte the guest sends to the device.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string_view>

namespace mimic::hw {

// Common to both: the output queue and a "more data" notification.
class Ps2Device {
public:
    explicit Ps2Device(std::function<void()> data_ready) : data_ready_(std::move(data_ready)) {}
    virtual ~Ps2Device() = default;

    bool has_data() const { return !queue_.empty(); }
    uint8_t pop() {
        uint8_t value = queue_.front();
        queue_.pop_front();
        return value;
    }

protected:
    // Replies to commands go in beyond the room input events have (events
    // are dropped when the queue is full, as the real device's buffer
    // overflows), but not without end: a guest that sends commands and
    // never reads would otherwise grow it forever. QEMU's limits.
    void queue(uint8_t value) {
        if (queue_.size() >= kMaxQueued) return;
        queue_.push_back(value);
        data_ready_();
    }
    bool queue_has_room(size_t bytes) const { return queue_.size() + bytes <= kQueueSize; }
    void clear_queue() { queue_.clear(); }

private:
    static constexpr size_t kQueueSize = 16;
    static constexpr size_t kMaxQueued = 256;
    std::deque<uint8_t> queue_;
    std::function<void()> data_ready_;
};

class Ps2Keyboard : public Ps2Device {
public:
    using Ps2Device::Ps2Device;

    void reset();
    // A byte from the host (guest) side.
    void write(uint8_t value);
    // The controller's command-byte bit 6: set 2 codes go out as set 1.
    void set_translation(bool on) { translate_ = on; }
    // Returns false for an unknown qcode.
    bool send_key(std::string_view qcode, bool down);

    uint8_t leds() const { return leds_; }

private:
    void emit(uint8_t code);
    void reply(uint8_t value) { queue(value); }

    bool translate_ = false;
    bool break_prefix_ = false;  // a set 2 0xF0 waiting to be folded into the next byte
    bool scanning_ = true;
    int scancode_set_ = 2;
    int pending_command_ = -1;  // command expecting an argument byte
    uint8_t leds_ = 0;
    uint8_t typematic_ = 0x2b;  // 10.9 cps, 500 ms delay
};

class Ps2Mouse : public Ps2Device {
public:
    using Ps2Device::Ps2Device;

    void reset();
    void write(uint8_t value);
    // Relative motion (dy positive = up, as PS/2 counts; dz positive =
    // wheel towards the user) and button state (bit 0 left, 1 right,
    // 2 middle, 3 side, 4 extra).
    void move(int dx, int dy, int dz, uint8_t buttons);
    uint8_t buttons() const { return buttons_; }

private:
    void send_packet();
    void reply(uint8_t value) { queue(value); }

    bool stream_mode_ = true;
    bool enabled_ = false;
    bool wrap_ = false;
    bool scaling_2to1_ = false;
    uint8_t sample_rate_ = 100;
    uint8_t resolution_ = 2;  // 4 counts/mm
    int pending_command_ = -1;
    int dx_ = 0, dy_ = 0, dz_ = 0;
    uint8_t buttons_ = 0;
    uint8_t device_id_ = 0;     // 0 plain, 3 IntelliMouse, 4 Explorer
    uint8_t rates_[3] = {};     // the last three sample rates set
};

}  // namespace mimic::hw
