// A 256-byte serial EEPROM on the SMBus, as QEMU puts eight of them (0x50 to
// 0x57) behind the pc machine's PIIX4 for SPD. The first byte of a write
// sets the address pointer and the rest are stored from there; reads return
// bytes from the pointer on, wrapping at 256. Writes last until reset, when
// the contents go back to their initial data.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "i2c_bus.h"

namespace mimic::hw {

class SmbusEeprom : public I2cDevice {
public:
    static constexpr size_t kSize = 256;
    using Contents = std::array<uint8_t, kSize>;

    explicit SmbusEeprom(const Contents& initial) : initial_(initial) { reset(); }

    void reset() {
        data_ = initial_;
        pointer_ = 0;
        pointer_pending_ = false;
    }

    bool start(bool is_read) override {
        pointer_pending_ = !is_read;
        return true;
    }

    bool write_byte(uint8_t value) override {
        if (pointer_pending_) {
            pointer_ = value;
            pointer_pending_ = false;
        } else {
            data_[pointer_++] = value;
        }
        return true;
    }

    uint8_t read_byte() override { return data_[pointer_++]; }

private:
    Contents initial_;
    Contents data_{};
    uint8_t pointer_ = 0;  // wraps at 256 like the device's address counter
    bool pointer_pending_ = false;
};

// What QEMU's PC boards (pc and q35) put on their SMBus for SPD: eight
// EEPROMs at 0x50-0x57 with empty (all zero) contents.
class EmptySpdEeproms {
public:
    static constexpr uint8_t kFirstAddress = 0x50;
    static constexpr int kCount = 8;

    explicit EmptySpdEeproms(I2cBus& bus) {
        for (int i = 0; i < kCount; ++i) {
            eeproms_.push_back(std::make_unique<SmbusEeprom>(SmbusEeprom::Contents{}));
            bus.attach(static_cast<uint8_t>(kFirstAddress + i), *eeproms_.back());
        }
    }
    void reset() {
        for (auto& eeprom : eeproms_) eeprom->reset();
    }

private:
    std::vector<std::unique_ptr<SmbusEeprom>> eeproms_;
};

}  // namespace mimic::hw
