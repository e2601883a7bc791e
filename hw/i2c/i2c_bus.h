// A two-wire (I2C/SMBus) bus at the byte level: a host starts a transfer to
// a 7-bit address, sends or receives bytes, then stops. Address 0 is the
// general call, which every device hears and none answers reads on.
#pragma once

#include <cstdint>
#include <vector>

namespace mimic::hw {

class I2cDevice {
public:
    virtual ~I2cDevice() = default;
    // A (repeated) start addressed to this device; false is a NACK.
    virtual bool start(bool is_read) = 0;
    // A byte written by the host; false is a NACK.
    virtual bool write_byte(uint8_t value) = 0;
    virtual uint8_t read_byte() = 0;
    // Stop condition.
    virtual void stop() {}
};

class I2cBus {
public:
    static constexpr uint8_t kGeneralCall = 0;

    // Devices stay owned by the caller and must outlive the bus.
    void attach(uint8_t address, I2cDevice& device) { devices_.push_back({address, &device}); }

    // Starts (or restarts) a transfer; false when no device acknowledges.
    bool start(uint8_t address, bool is_read) {
        active_.clear();
        general_call_ = address == kGeneralCall;
        for (const Entry& entry : devices_) {
            if (entry.address != address && !general_call_) continue;
            if (entry.device->start(is_read) || general_call_) active_.push_back(entry.device);
        }
        return !active_.empty();
    }

    bool write(uint8_t value) {
        bool acked = !active_.empty();
        for (I2cDevice* device : active_) acked = device->write_byte(value) && acked;
        return acked;
    }

    uint8_t read() {
        // Nobody drives the data line: it floats high.
        if (general_call_ || active_.empty()) return 0xff;
        return active_.front()->read_byte();
    }

    void stop() {
        for (I2cDevice* device : active_) device->stop();
        active_.clear();
        general_call_ = false;
    }

private:
    struct Entry {
        uint8_t address;
        I2cDevice* device;
    };
    std::vector<Entry> devices_;
    std::vector<I2cDevice*> active_;
    bool general_call_ = false;
};

}  // namespace mimic::hw
