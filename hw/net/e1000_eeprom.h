// The 82540EM's 64-word serial EEPROM: its contents as QEMU's e1000 gives
// them (MAC address in words 0-2, device ID in words 11 and 13, the words
// summing to 0xBABA), read either by bit-banging the Microwire interface
// through EECD (Linux, iPXE) or a word at a time through EERD.
#pragma once

#include <array>
#include <cstdint>

#include "mimic/qom/mac_address.h"

namespace mimic::hw::e1000 {

class Eeprom {
public:
    static constexpr unsigned kWords = 64;
    static constexpr unsigned kChecksumWord = 0x3f;
    static constexpr uint16_t kChecksumSum = 0xbaba;

    void init(const qom::MacAddress& mac, uint16_t device_id);
    uint16_t word(unsigned index) const { return data_[index % kWords]; }

    // EECD: the guest drives SK (clock), CS (select) and DI (data in) and
    // samples DO (data out); the request/grant handshake always succeeds.
    uint32_t eecd_read() const;
    void eecd_write(uint32_t value);

    // EERD: `eerd` is what the guest last wrote (START, address in bits
    // 8-15); the read gives DONE and the word in bits 16-31.
    uint32_t eerd_read(uint32_t eerd) const;

    // Forgets a half-done Microwire transfer.
    void reset_interface() { wire_ = {}; }

private:
    std::array<uint16_t, kWords> data_{};
    struct Wire {
        uint32_t shifted_in = 0;  // opcode and address bits, MSB first
        uint16_t bits_in = 0;
        uint16_t bit_out = 0;     // next data bit: word * 16 + bit (MSB first)
        bool reading = false;
        uint32_t eecd = 0;        // SK, CS, DI, FWE, REQ as last written
    } wire_;
};

}  // namespace mimic::hw::e1000
