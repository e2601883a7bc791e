#include "mimic/tcg/code_buffer.h"

#include <sys/mman.h>

#include <cerrno>

#include "mimic/util/error.h"

namespace mimic::tcg {

CodeBuffer::CodeBuffer(size_t size) : size_(size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw Error("cannot map the code buffer: {}", errno_string(errno));
    base_ = static_cast<uint8_t*>(p);
}

CodeBuffer::~CodeBuffer() { munmap(base_, size_); }

void CodeBuffer::commit(size_t n) {
    used_ += (n + 15) & ~size_t{15};
    if (used_ > size_) used_ = size_;
}

void CodeBuffer::reset(size_t keep) { used_ = keep; }

}  // namespace mimic::tcg
