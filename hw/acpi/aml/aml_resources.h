// Resource descriptors (ACPI 6.x section 6.4) for _CRS/_PRS buffers:
// append them to aml::resource_template(), which adds the end tag.
#pragma once

#include <cstdint>
#include <vector>

#include "aml.h"

namespace mimic::hw::aml {

Aml resource_template();

enum class IoDecode : uint8_t { kDecode10 = 0, kDecode16 = 1 };
// IO (small descriptor 0x47).
Aml io(IoDecode decode, uint16_t min, uint16_t max, uint8_t alignment, uint8_t length);
// IRQNoFlags (small descriptor 0x22): ISA IRQs as a mask.
Aml irq_no_flags(uint8_t irq);
// Memory32Fixed (large descriptor 0x86).
Aml memory32_fixed(uint32_t base, uint32_t length, bool read_write);

// Address space descriptors (0x88 word, 0x87 dword, 0x8A qword). The
// common flags: producer, positive decode, min and max fixed, as a host
// bridge's windows are.
enum class Cacheable : uint8_t { kNonCacheable = 0, kCacheable = 1, kWriteCombining = 2, kPrefetchable = 3 };
Aml word_bus_number(uint16_t granularity, uint16_t min, uint16_t max, uint16_t translation, uint16_t length);
// ISA ranges "EntireRange", TypeStatic, DenseTranslation.
Aml word_io(uint16_t granularity, uint16_t min, uint16_t max, uint16_t translation, uint16_t length);
Aml dword_io(uint32_t granularity, uint32_t min, uint32_t max, uint32_t translation, uint32_t length);
// AddressRangeMemory, TypeStatic, read/write.
Aml dword_memory(Cacheable cacheable, uint32_t granularity, uint32_t min, uint32_t max, uint32_t translation,
                 uint32_t length);
Aml qword_memory(Cacheable cacheable, uint64_t granularity, uint64_t min, uint64_t max, uint64_t translation,
                 uint64_t length);

// Extended Interrupt (large descriptor 0x89).
enum class IrqTrigger : uint8_t { kLevel = 0, kEdge = 1 };
enum class IrqPolarity : uint8_t { kActiveHigh = 0, kActiveLow = 1 };
Aml interrupt(bool consumer, IrqTrigger trigger, IrqPolarity polarity, bool shared,
              const std::vector<uint32_t>& interrupts);

}  // namespace mimic::hw::aml
