#include "mimic/memory/ram_block.h"

namespace mimic::memory {

RamBlock::RamBlock(const std::string& name, uint64_t size)
    : memory_(name, size, Commit::kAccounted),
      code_pages_(name, size / kPageSize + (size % kPageSize != 0)),
      dirty_pages_(name, code_pages_.pages()) {}

}  // namespace mimic::memory
