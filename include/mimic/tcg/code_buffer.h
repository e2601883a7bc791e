// The executable memory generated code lives in: one RWX mapping filled
// front to back; when it is full the executor flushes every block and starts
// again from the beginning (QEMU's tb_flush). The mapping reserves no swap:
// only the pages code is written to cost memory, so it is sized as QEMU
// sizes its buffer, large enough that a booting guest never fills it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mimic::tcg {

class CodeBuffer {
public:
    explicit CodeBuffer(size_t size);   // throws mimic::Error if mmap fails
    // QEMU's default: 1 GiB, or an eighth of the host's memory if less.
    static size_t default_size();
    ~CodeBuffer();
    CodeBuffer(const CodeBuffer&) = delete;
    CodeBuffer& operator=(const CodeBuffer&) = delete;

    uint8_t* base() const { return base_; }
    size_t size() const { return size_; }
    uint8_t* cursor() const { return base_ + used_; }
    size_t remaining() const { return size_ - used_; }
    size_t used() const { return used_; }
    bool contains(uintptr_t p) const {
        return p >= reinterpret_cast<uintptr_t>(base_) && p < reinterpret_cast<uintptr_t>(base_) + size_;
    }

    // Marks n bytes at the cursor as used (rounded up to 16 for alignment).
    void commit(size_t n);
    // Everything from `keep` bytes on becomes free again.
    void reset(size_t keep);

private:
    uint8_t* base_;
    size_t size_;
    size_t used_ = 0;
};

}  // namespace mimic::tcg
