// Resource descriptors (see aml_resources.h); layouts from ACPI 6.4, 6.4.2
// (small) and 6.4.3 (large).
#include "aml_resources.h"

#include <stdexcept>

namespace mimic::hw::aml {
namespace {

// Large descriptor item names (the tag byte is 0x80 | name).
constexpr uint8_t kMemory32Fixed = 0x86;
constexpr uint8_t kDwordAddress = 0x87;
constexpr uint8_t kWordAddress = 0x88;
constexpr uint8_t kExtendedInterrupt = 0x89;
constexpr uint8_t kQwordAddress = 0x8a;

// Address space resource types.
constexpr uint8_t kMemoryRange = 0;
constexpr uint8_t kIoRange = 1;
constexpr uint8_t kBusNumberRange = 2;

// General flags: producer (bit 0 clear), positive decode (bit 1 clear),
// minimum fixed (bit 2), maximum fixed (bit 3).
constexpr uint8_t kProducerMinMaxFixed = 0x0c;
// I/O type-specific flags: ISA and non-ISA ranges ("EntireRange").
constexpr uint8_t kIoEntireRange = 0x03;

void put_le(std::vector<uint8_t>& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// A large address space descriptor with fields of `width` bytes.
Aml address_space(uint8_t tag, int width, uint8_t type, uint8_t type_flags, uint64_t granularity, uint64_t min,
                   uint64_t max, uint64_t translation, uint64_t length) {
    std::vector<uint8_t> out{tag};
    put_le(out, 3 + 5 * static_cast<uint64_t>(width), 2);
    out.push_back(type);
    out.push_back(kProducerMinMaxFixed);
    out.push_back(type_flags);
    for (uint64_t value : {granularity, min, max, translation, length}) put_le(out, value, width);
    return Aml::bytes(std::move(out));
}

// Memory type-specific flags: read/write (bit 0), cacheability (bits 1-2);
// AddressRangeMemory and TypeStatic are zeros.
uint8_t memory_flags(Cacheable cacheable) { return static_cast<uint8_t>(1 | static_cast<uint8_t>(cacheable) << 1); }

}  // namespace

Aml resource_template() { return Aml::make(Aml::Kind::kResourceTemplate, {0x11}); }

Aml io(IoDecode decode, uint16_t min, uint16_t max, uint8_t alignment, uint8_t length) {
    std::vector<uint8_t> out{0x47, static_cast<uint8_t>(decode)};
    put_le(out, min, 2);
    put_le(out, max, 2);
    out.push_back(alignment);
    out.push_back(length);
    return Aml::bytes(std::move(out));
}

Aml irq_no_flags(uint8_t irq) {
    if (irq > 15) throw std::invalid_argument("aml: ISA IRQ out of range");
    uint16_t mask = static_cast<uint16_t>(1u << irq);
    return Aml::bytes({0x22, static_cast<uint8_t>(mask), static_cast<uint8_t>(mask >> 8)});
}

Aml memory32_fixed(uint32_t base, uint32_t length, bool read_write) {
    std::vector<uint8_t> out{kMemory32Fixed, 0x09, 0x00, static_cast<uint8_t>(read_write ? 1 : 0)};
    put_le(out, base, 4);
    put_le(out, length, 4);
    return Aml::bytes(std::move(out));
}

Aml word_bus_number(uint16_t granularity, uint16_t min, uint16_t max, uint16_t translation, uint16_t length) {
    return address_space(kWordAddress, 2, kBusNumberRange, 0, granularity, min, max, translation, length);
}

Aml word_io(uint16_t granularity, uint16_t min, uint16_t max, uint16_t translation, uint16_t length) {
    return address_space(kWordAddress, 2, kIoRange, kIoEntireRange, granularity, min, max, translation, length);
}

Aml dword_io(uint32_t granularity, uint32_t min, uint32_t max, uint32_t translation, uint32_t length) {
    return address_space(kDwordAddress, 4, kIoRange, kIoEntireRange, granularity, min, max, translation, length);
}

Aml dword_memory(Cacheable cacheable, uint32_t granularity, uint32_t min, uint32_t max, uint32_t translation,
                 uint32_t length) {
    return address_space(kDwordAddress, 4, kMemoryRange, memory_flags(cacheable), granularity, min, max,
                         translation, length);
}

Aml qword_memory(Cacheable cacheable, uint64_t granularity, uint64_t min, uint64_t max, uint64_t translation,
                 uint64_t length) {
    return address_space(kQwordAddress, 8, kMemoryRange, memory_flags(cacheable), granularity, min, max,
                         translation, length);
}

Aml interrupt(bool consumer, IrqTrigger trigger, IrqPolarity polarity, bool shared,
              const std::vector<uint32_t>& interrupts) {
    if (interrupts.empty() || interrupts.size() > 255) throw std::invalid_argument("aml: bad interrupt list");
    std::vector<uint8_t> out{kExtendedInterrupt};
    put_le(out, 2 + 4 * interrupts.size(), 2);
    out.push_back(static_cast<uint8_t>((consumer ? 1 : 0) | static_cast<uint8_t>(trigger) << 1 |
                                       static_cast<uint8_t>(polarity) << 2 | (shared ? 1 << 3 : 0)));
    out.push_back(static_cast<uint8_t>(interrupts.size()));
    for (uint32_t irq : interrupts) put_le(out, irq, 4);
    return Aml::bytes(std::move(out));
}

}  // namespace mimic::hw::aml
