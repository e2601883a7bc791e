// Self-modifying code support: telling the translator that guest code it
// translated has been overwritten.
//
// Protocol (all the translator has to know):
//  1. When it translates code from guest RAM, it marks the page:
//     region.ram_block()->code_pages().set(offset >> kPageBits), and makes
//     any writable TLB entries it holds for that page check first.
//  2. Every write through AddressSpace::write()/store() that lands on a RAM
//     page with the bit set calls the hook *after* the bytes are stored, from
//     the writing thread (vCPU or device). The hook invalidates the blocks of
//     those pages and clears their bits (otherwise it is called again on the
//     next write).
//  3. Direct host-pointer writes (a TLB entry from AddressSpace::translate())
//     bypass the hook, so a TLB must not map a page writable while its bit is
//     set; Translation::writable already says false for such pages
//     (Translation::code_write_protected says why: the translator's own
//     check may then write through the host pointer).
#pragma once

#include <cstdint>
#include <functional>

namespace mimic::memory {

class MemoryRegion;

// `offset` and `length` are the written bytes, relative to the RAM region.
using CodeWriteHook = std::function<void(MemoryRegion& ram, uint64_t offset, uint64_t length)>;

// One hook per process (there is one machine). Install it before vCPUs start;
// it is read without locking. An empty hook disables the callback.
void set_code_write_hook(CodeWriteHook hook);

namespace detail {
// Called by the write paths; cheap when the block tracks no code.
void notify_code_write(MemoryRegion& ram, uint64_t offset, uint64_t length);
}  // namespace detail

}  // namespace mimic::memory
