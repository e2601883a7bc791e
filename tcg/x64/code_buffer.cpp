#include "mimic/tcg/code_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>

#include "mimic/util/error.h"

namespace mimic::tcg {

size_t CodeBuffer::default_size() {
    constexpr size_t kMaxDefault = size_t{1} << 30, kMinimum = size_t{1} << 20;
    const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return kMaxDefault;
    const size_t eighth = static_cast<size_t>(pages) / 8 * static_cast<size_t>(page_size);
    return std::clamp(eighth, kMinimum, kMaxDefault);
}

CodeBuffer::CodeBuffer(size_t size) : size_(size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) throw Error("cannot map the code buffer: {}", errno_string(errno));
    base_ = static_cast<uint8_t*>(p);
    // Huge pages, as QEMU asks for too: blocks jump all over the buffer,
    // and 4 KiB pages made that an iTLB miss on most jumps and a page
    // fault every few dozen blocks translated. Only advice: without
    // transparent huge pages the buffer works as before.
    madvise(base_, size_, MADV_HUGEPAGE);
}

CodeBuffer::~CodeBuffer() { munmap(base_, size_); }

void CodeBuffer::commit(size_t n) {
    used_ += (n + 15) & ~size_t{15};
    if (used_ > size_) used_ = size_;
}

void CodeBuffer::reset(size_t keep) { used_ = keep; }

}  // namespace mimic::tcg
