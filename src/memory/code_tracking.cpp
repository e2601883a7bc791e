#include "mimic/memory/code_tracking.h"

#include "mimic/memory/memory_region.h"

namespace mimic::memory {

namespace {
CodeWriteHook g_hook;
}  // namespace

void set_code_write_hook(CodeWriteHook hook) { g_hook = std::move(hook); }

namespace detail {

void notify_code_write(MemoryRegion& ram, uint64_t offset, uint64_t length) {
    RamBlock* block = ram.ram_block();
    if (!block || length == 0 || block->code_pages().empty() || !g_hook) return;
    uint64_t first = offset >> kPageBits;
    uint64_t last = (offset + length - 1) >> kPageBits;
    if (block->code_pages().any(first, last)) g_hook(ram, offset, length);
}

}  // namespace detail

}  // namespace mimic::memory
