// Debug logging selected by -d ITEM[,ITEM] and redirected by -D FILE.
//
// Checking whether an item is enabled is a single load and test, so it is
// cheap enough for the translator's hot paths.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::log {

enum Item : uint32_t {
    kInAsm = 1u << 0,        // guest code of each translated block
    kOutAsm = 1u << 1,       // host code of each translated block
    kOp = 1u << 2,           // IR after the front end
    kOpOpt = 1u << 3,        // IR after the optimizer
    kInt = 1u << 4,          // interrupts and exceptions
    kExec = 1u << 5,         // every executed block
    kCpu = 1u << 6,          // CPU state before each block
    kGuestErrors = 1u << 7,  // guest did something invalid to a device
    kUnimp = 1u << 8,        // guest used something Mimic does not implement
    kPage = 1u << 9,         // page table walks
    kNochain = 1u << 10,     // do not chain translated blocks
};

// Names and help texts for "-d help".
struct ItemInfo {
    Item item;
    const char* name;
    const char* help;
};
const ItemInfo* items_begin();
const ItemInfo* items_end();

extern uint32_t g_mask;

inline bool enabled(Item item) { return (g_mask & item) != 0; }

// Parses "in_asm,int"; throws mimic::Error naming the bad item.
uint32_t parse_items(std::string_view list);
void set_mask(uint32_t mask);

// Sends the log to `path` (stderr when empty). Throws mimic::Error.
void set_file(const std::string& path);
std::FILE* stream();

void write(std::string_view text);

// -dfilter: the guest addresses whose blocks in_asm, out_asm, op, op_opt,
// exec and cpu show. No ranges: every address.
struct AddressRange {
    uint64_t first, last;  // inclusive
    bool operator==(const AddressRange&) const = default;
};
// Parses "0x1000..0x1fff,0x4000+0x100,0x8fff-0x1000" (START..LAST,
// START+SIZE, LAST-SIZE); throws mimic::Error with QEMU's texts.
std::vector<AddressRange> parse_address_ranges(std::string_view list);
void set_address_filter(std::vector<AddressRange> ranges);
bool in_address_filter(uint64_t address);

// Whether `item` is logged for the block at guest address `address`.
inline bool enabled_at(Item item, uint64_t address) { return enabled(item) && in_address_filter(address); }

}  // namespace mimic::log

#define MIMIC_LOG(item, ...) \
    do { if (::mimic::log::enabled(item)) ::mimic::log::write(fmt::format(__VA_ARGS__)); } while (0)
