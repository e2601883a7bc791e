// The BIOS linker/loader script (fw_cfg file "etc/table-loader"): commands
// that tell the firmware where to place the board's table files in guest
// memory and how to patch them once placed, so ACPI tables can hold
// physical addresses the board cannot know. The format is QEMU's, as
// SeaBIOS's romfile_loader executes it: 128-byte little-endian entries.
//   ALLOCATE     load a fw_cfg file into memory (alignment, zone)
//   ADD_POINTER  add a file's load address to a pointer in another file
//   ADD_CHECKSUM make a byte range of a file sum to zero
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mimic::hw::acpi {

class BiosLinkerLoader {
public:
    enum class Zone : uint8_t { kHigh = 1, kFseg = 2 };  // above 1 MiB / the 0xF0000 segment

    static constexpr size_t kEntrySize = 128;
    static constexpr size_t kFileNameSize = 56;
    enum Command : uint32_t { kAllocate = 1, kAddPointer = 2, kAddChecksum = 3 };

    void allocate(const std::string& file, uint32_t alignment, Zone zone);
    // The `size`-byte pointer at `offset` in `dest_file` (holding an offset
    // into `src_file`) becomes an address.
    void add_pointer(const std::string& dest_file, uint32_t offset, uint8_t size, const std::string& src_file);
    // The byte at `checksum_offset` makes [start, start + length) sum to zero.
    void add_checksum(const std::string& file, uint32_t start, uint32_t length, uint32_t checksum_offset);

    const std::vector<uint8_t>& bytes() const { return script_; }

private:
    std::vector<uint8_t> script_;
};

}  // namespace mimic::hw::acpi
