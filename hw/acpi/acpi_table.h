// Building ACPI tables into a file blob: the common 36-byte header with
// the OEM fields QEMU's pc machine uses, and the checksum the loader fixes
// once pointers are patched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bios_linker_loader.h"

namespace mimic::hw::acpi {

inline constexpr size_t kTableHeaderSize = 36;
inline constexpr size_t kChecksumOffset = 9;

// The byte that makes `data` sum to zero (modulo 256) when stored in a
// field that holds zero now.
uint8_t checksum(const uint8_t* data, size_t size);

void put_le(std::vector<uint8_t>& out, uint64_t value, int bytes);
void set_le(std::vector<uint8_t>& out, size_t offset, uint64_t value, int bytes);

// One table being appended to `blob` (a fw_cfg file named `file`).
class TableWriter {
public:
    TableWriter(std::vector<uint8_t>& blob, const char signature[4], uint8_t revision);
    // Fixes the length and asks the loader for the checksum; returns the
    // table's offset in the blob.
    size_t finish(BiosLinkerLoader& linker, const std::string& file);
    size_t start() const { return start_; }

private:
    std::vector<uint8_t>& blob_;
    size_t start_;
};

// A Generic Address Structure (ACPI 6.4, 5.2.3.2).
void put_gas(std::vector<uint8_t>& out, uint8_t space, uint8_t bit_width, uint8_t bit_offset, uint8_t access_size,
             uint64_t address);

}  // namespace mimic::hw::acpi
