// The code generator interface: the x86-64 JIT and the IR interpreter.
//
// Both run the same IR with the same semantics; the interpreter exists to
// cross-check the JIT (-accel tcg,backend=interp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "mimic/tcg/ir.h"
#include "mimic/tcg/tb.h"
#include "mimic/tcg/tlb.h"

namespace mimic::tcg {

struct BackendConfig {
    SoftmmuConfig softmmu;
    // lookup_and_goto_ptr: the block for the CPU state in env, or nullptr to
    // return 0 to the executor (which then translates).
    TranslationBlock* (*lookup_tb)(void* env) = nullptr;
    // The same as the block's host code (JIT), when set; it may answer
    // from a cache of recent targets without touching the block.
    const void* (*lookup_code)(void* env) = nullptr;
    // Where env holds a pointer to the vCPU's JumpTable entries (-1: none):
    // the JIT probes it inline for lookup_and_goto_ptr_pc.
    int32_t jump_table_offset = -1;
    // Where env holds the vCPU's ReturnStack (-1: none): the JIT pushes
    // push_return's records on it and checks returns against it.
    int32_t return_stack_offset = -1;
    size_t code_buffer_size = 0;   // JIT only; 0: CodeBuffer::default_size()
    // JIT only: use BMI1 where the host has it (tests turn it off to run the
    // encodings hosts without it get).
    bool use_bmi1 = true;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual const char* name() const = 0;

    // Compiles `block` (verified, optionally optimized) into tb.
    // Returns false when the code buffer is full: flush everything and retry.
    // The back end keeps a pointer to tb (for find_tb/restore_state) until
    // flush(), so tb must live until then; TbCache guarantees that.
    virtual bool translate(TranslationBlock& tb, Block&& block) = 0;

    // Runs tb (and whatever it chains to) until an exit_tb; returns its value.
    virtual uintptr_t exec(void* env, const TranslationBlock& tb) = 0;

    // Points tb's goto_tb `slot` at dest, or back at its exit path when dest
    // is null. Atomic with respect to code running on other threads.
    // `token`: for a guarded slot (TranslationBlock::jmp_guard), the TLB
    // addend of dest's page the link is valid for.
    virtual void patch_jump(TranslationBlock& tb, unsigned slot, const TranslationBlock* dest,
                            uint64_t token = 0) = 0;

    // Forgets all generated code; every TranslationBlock must be dropped first.
    virtual void flush() = 0;

    // Maps a helper's return address (GETPC(), or the retaddr a slow path
    // got) to the insn_start data of the guest instruction being executed.
    // The interpreter ignores retaddr and reports the instruction it is in.
    virtual bool restore_state(uintptr_t retaddr, uint64_t data[2]) const = 0;

    // The block whose generated code contains host_pc (JIT), or nullptr.
    virtual const TranslationBlock* find_tb(uintptr_t host_pc) const = 0;

    // Whether blocks may contain host_code ops (code for this very host).
    virtual bool runs_host_code() const { return false; }
    // How many blocks (valid or not) may exist before the executor flushes.
    // The JIT's code buffer fills first; this bounds the interpreter, whose
    // blocks otherwise pile up under self-modifying code.
    virtual size_t max_blocks() const { return size_t{1} << 17; }

    // Fraction of the code buffer in use, 0..1 (0 for the interpreter).
    virtual double code_fill() const { return 0; }
};

std::unique_ptr<Backend> make_jit_backend(const BackendConfig& config);
std::unique_ptr<Backend> make_interpreter_backend(const BackendConfig& config);
// "jit" or "interp"; throws mimic::Error for anything else.
std::unique_ptr<Backend> make_backend(std::string_view name, const BackendConfig& config);

}  // namespace mimic::tcg
