// See bios_linker_loader.h for the format.
#include "bios_linker_loader.h"

#include <stdexcept>

namespace mimic::hw::acpi {
namespace {

void put_le(uint8_t* at, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) at[i] = static_cast<uint8_t>(value >> (8 * i));
}

void put_name(uint8_t* at, const std::string& name) {
    if (name.size() >= BiosLinkerLoader::kFileNameSize) throw std::length_error("linker: file name too long");
    std::copy(name.begin(), name.end(), at);
}

}  // namespace

void BiosLinkerLoader::allocate(const std::string& file, uint32_t alignment, Zone zone) {
    uint8_t entry[kEntrySize] = {};
    put_le(entry, kAllocate, 4);
    put_name(entry + 4, file);
    put_le(entry + 4 + kFileNameSize, alignment, 4);
    entry[4 + kFileNameSize + 4] = static_cast<uint8_t>(zone);
    script_.insert(script_.end(), entry, entry + kEntrySize);
}

void BiosLinkerLoader::add_pointer(const std::string& dest_file, uint32_t offset, uint8_t size,
                                   const std::string& src_file) {
    if (size != 1 && size != 2 && size != 4 && size != 8) throw std::invalid_argument("linker: bad pointer size");
    uint8_t entry[kEntrySize] = {};
    put_le(entry, kAddPointer, 4);
    put_name(entry + 4, dest_file);
    put_name(entry + 4 + kFileNameSize, src_file);
    put_le(entry + 4 + 2 * kFileNameSize, offset, 4);
    entry[4 + 2 * kFileNameSize + 4] = size;
    script_.insert(script_.end(), entry, entry + kEntrySize);
}

void BiosLinkerLoader::add_checksum(const std::string& file, uint32_t start, uint32_t length,
                                    uint32_t checksum_offset) {
    uint8_t entry[kEntrySize] = {};
    put_le(entry, kAddChecksum, 4);
    put_name(entry + 4, file);
    put_le(entry + 4 + kFileNameSize, checksum_offset, 4);
    put_le(entry + 4 + kFileNameSize + 4, start, 4);
    put_le(entry + 4 + kFileNameSize + 8, length, 4);
    script_.insert(script_.end(), entry, entry + kEntrySize);
}

}  // namespace mimic::hw::acpi
