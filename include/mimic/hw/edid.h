// EDID for emulated monitors, generated the way QEMU 7.2 does it so that
// guests see the same monitor (and pick the same default mode) under Mimic.
//
// The blob is a 128-byte EDID 1.4 base block, followed, when `size` allows,
// by a CEA-861 extension (256 bytes and up) and, for a preferred mode of
// 4096 pixels or more in either direction, a DisplayID extension that
// carries the preferred timing instead of the base block (384 bytes and up).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mimic::hw {

// What a device tells the generator; zero means "the default".
struct EdidInfo {
    std::string vendor{};  // three letters 'A'-'Z'; anything else: "RHT"
    std::string name{};    // monitor name descriptor; empty: "QEMU Monitor"
    std::string serial{};  // serial descriptor; empty: none, serial number 0
    uint32_t prefx = 0;    // preferred mode (kEdidDefaultXres x kEdidDefaultYres)
    uint32_t prefy = 0;
    uint32_t maxx = 0;  // modes wider or taller than these are left out
    uint32_t maxy = 0;
    uint32_t refresh_rate = 0;  // of the preferred mode, in mHz; 0: 75 Hz
};

constexpr uint32_t kEdidDefaultXres = 1280;
constexpr uint32_t kEdidDefaultYres = 800;

// The EDID blob for `info`, `size` bytes (at least 128); bytes past the
// blocks it fills are zero.
std::vector<uint8_t> generate_edid(const EdidInfo& info, size_t size);

}  // namespace mimic::hw
