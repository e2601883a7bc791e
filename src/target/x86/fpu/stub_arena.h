// Executable memory for the host stubs of x87/MMX/SSE instructions
// (host_op.cpp, x87_op.cpp): assembled once per distinct instruction and
// kept as long as the process.
#pragma once

#include <cstddef>
#include <functional>

#include <xbyak/xbyak.h>

namespace mimic::x86 {

// Assembles at most `max_size` bytes with `emit` and returns their address.
void* assemble_stub(size_t max_size, const std::function<void(Xbyak::CodeGenerator&)>& emit);

}  // namespace mimic::x86
