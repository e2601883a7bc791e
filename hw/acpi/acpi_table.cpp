// See acpi_table.h.
#include "acpi_table.h"

#include <cstring>

namespace mimic::hw::acpi {

uint8_t checksum(const uint8_t* data, size_t size) {
    uint8_t sum = 0;
    for (size_t i = 0; i < size; ++i) sum = static_cast<uint8_t>(sum + data[i]);
    return static_cast<uint8_t>(-sum);
}

namespace {

// Byte `i` of `value`, little-endian; zero past its eight bytes (wide
// reserved fields are written as zeros).
uint8_t byte_of(uint64_t value, int i) { return i < 8 ? static_cast<uint8_t>(value >> (8 * i)) : 0; }

}  // namespace

void put_le(std::vector<uint8_t>& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(byte_of(value, i));
}

void set_le(std::vector<uint8_t>& out, size_t offset, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out[offset + static_cast<size_t>(i)] = byte_of(value, i);
}

TableWriter::TableWriter(std::vector<uint8_t>& blob, const char signature[4], uint8_t revision)
    : blob_(blob), start_(blob.size()) {
    blob_.insert(blob_.end(), signature, signature + 4);
    put_le(blob_, 0, 4);  // length, set by finish()
    blob_.push_back(revision);
    blob_.push_back(0);  // checksum, computed by the loader
    for (const char* text : {"BOCHS ", "BXPC    "}) blob_.insert(blob_.end(), text, text + std::strlen(text));
    put_le(blob_, 1, 4);  // OEM revision
    for (char c : {'B', 'X', 'P', 'C'}) blob_.push_back(static_cast<uint8_t>(c));
    put_le(blob_, 1, 4);  // creator revision
}

size_t TableWriter::finish(BiosLinkerLoader& linker, const std::string& file) {
    size_t length = blob_.size() - start_;
    set_le(blob_, start_ + 4, length, 4);
    linker.add_checksum(file, static_cast<uint32_t>(start_), static_cast<uint32_t>(length),
                        static_cast<uint32_t>(start_ + kChecksumOffset));
    return start_;
}

void put_gas(std::vector<uint8_t>& out, uint8_t space, uint8_t bit_width, uint8_t bit_offset, uint8_t access_size,
             uint64_t address) {
    out.push_back(space);
    out.push_back(bit_width);
    out.push_back(bit_offset);
    out.push_back(access_size);
    put_le(out, address, 8);
}

}  // namespace mimic::hw::acpi
