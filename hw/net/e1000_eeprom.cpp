#include "e1000_eeprom.h"

namespace mimic::hw::e1000 {
namespace {

constexpr uint32_t kEecdSk = 1u << 0;
constexpr uint32_t kEecdCs = 1u << 1;
constexpr uint32_t kEecdDi = 1u << 2;
constexpr uint32_t kEecdDo = 1u << 3;
constexpr uint32_t kEecdFwe = 3u << 4;
constexpr uint32_t kEecdReq = 1u << 6;
constexpr uint32_t kEecdGnt = 1u << 7;
constexpr uint32_t kEecdPres = 1u << 8;

constexpr uint32_t kEerdStart = 1u << 0;
constexpr uint32_t kEerdDone = 1u << 4;
constexpr unsigned kEerdAddrShift = 8;
constexpr unsigned kEerdDataShift = 16;

// Microwire READ: start bit 1, opcode 10, then a 6-bit address.
constexpr uint32_t kMicrowireRead = 0x6;
constexpr unsigned kMicrowireHeaderBits = 9;

// The 8254x manual's EEPROM map (tables 5-2/5-3) with QEMU's values;
// words 0-2 (MAC), 11 and 13 (device ID) and 63 (checksum) are filled in.
constexpr std::array<uint16_t, Eeprom::kWords> kTemplate = {
    0x0000, 0x0000, 0x0000, 0x0000, 0xffff, 0x0000, 0x0000, 0x0000,
    0x3000, 0x1000, 0x6403, 0x0000, 0x8086, 0x0000, 0x8086, 0x3040,
    0x0008, 0x2000, 0x7e14, 0x0048, 0x1000, 0x00d8, 0x0000, 0x2700,
    0x6cc9, 0x3150, 0x0722, 0x040b, 0x0984, 0x0000, 0xc000, 0x0706,
    0x1008, 0x0000, 0x0f04, 0x7fff, 0x4d01, 0xffff, 0xffff, 0xffff,
    0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
    0x0100, 0x4000, 0x121c, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
    0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0x0000,
};

}  // namespace

void Eeprom::init(const qom::MacAddress& mac, uint16_t device_id) {
    data_ = kTemplate;
    for (unsigned i = 0; i < 3; ++i)
        data_[i] = static_cast<uint16_t>(mac.bytes[2 * i] | mac.bytes[2 * i + 1] << 8);
    data_[11] = data_[13] = device_id;
    uint16_t sum = 0;
    for (unsigned i = 0; i < kChecksumWord; ++i) sum = static_cast<uint16_t>(sum + data_[i]);
    data_[kChecksumWord] = static_cast<uint16_t>(kChecksumSum - sum);
    wire_ = {};
}

uint32_t Eeprom::eecd_read() const {
    uint32_t value = kEecdPres | kEecdGnt | wire_.eecd;
    // DO idles high; while reading it carries the addressed word, MSB first.
    unsigned word = (wire_.bit_out >> 4) & (kWords - 1);
    unsigned bit = 15 - (wire_.bit_out & 0xf);
    if (!wire_.reading || ((data_[word] >> bit) & 1)) value |= kEecdDo;
    return value;
}

void Eeprom::eecd_write(uint32_t value) {
    uint32_t old = wire_.eecd;
    wire_.eecd = value & (kEecdSk | kEecdCs | kEecdDi | kEecdFwe | kEecdReq);
    if (!(value & kEecdCs)) return;
    if ((value ^ old) & kEecdCs) {
        // Chip select going active starts a new transfer.
        uint32_t eecd = wire_.eecd;
        wire_ = {};
        wire_.eecd = eecd;
    }
    if (!((value ^ old) & kEecdSk)) return;
    if (!(value & kEecdSk)) {
        // Falling clock edge: the EEPROM shifts out its next bit.
        ++wire_.bit_out;
        return;
    }
    wire_.shifted_in = wire_.shifted_in << 1 | ((value & kEecdDi) ? 1 : 0);
    if (++wire_.bits_in == kMicrowireHeaderBits && !wire_.reading) {
        // The word's first bit follows the dummy zero after the address.
        wire_.bit_out = static_cast<uint16_t>(((wire_.shifted_in & 0x3f) << 4) - 1);
        wire_.reading = ((wire_.shifted_in >> 6) & 7) == kMicrowireRead;
    }
}

uint32_t Eeprom::eerd_read(uint32_t eerd) const {
    if (!(eerd & kEerdStart)) return eerd;
    uint32_t request = eerd & ~kEerdStart;
    unsigned address = request >> kEerdAddrShift;
    if (address > kChecksumWord) return request | kEerdDone;
    return static_cast<uint32_t>(data_[address]) << kEerdDataShift | kEerdDone | request;
}

}  // namespace mimic::hw::e1000
