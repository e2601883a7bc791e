// The x86 vCPU as the machine sees it: creation, the run loop, interrupts
// and reset.
//
//   x86::CpuConfig cfg;                       // cfg.backend = Backend::kInterp for -accel tcg,backend=interp
//   x86::CpuHooks hooks;
//   hooks.reset_request = [&] { machine.request_reset(); };   // triple fault
//   auto cpu = x86::create_cpu(cfg, system_memory_as, io_as, hooks);
//   cpu->set_interrupt_controller(&pic);     // has_interrupt()/acknowledge()
//   // on the vCPU thread:
//   while (running) {
//       auto why = cpu->run();                // runs guest code without the BQL
//       if (why == x86::ExitReason::kHalted) cpu->wait_for_work(100ms);
//       ...                                   // kRequested: pause/stop/reset handling
//   }
//
// Threading: run() is called on the vCPU's own thread. Guest code runs
// without the BQL; the CPU takes the BQL around every access to an I/O port
// or MMIO (device models assume it) and around the interrupt controller
// calls. Other threads use request_exit(), raise_irq_line()/notify_interrupt()
// and never touch the state while run() is executing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mimic/x86/cpu_models.h"
#include "mimic/x86/cpu_state.h"

namespace mimic::memory {
class AddressSpace;
}

namespace mimic::x86 {

// Implemented by the PIC (and later the APIC): the source of external interrupts.
class InterruptController {
public:
    virtual ~InterruptController() = default;
    // Whether an interrupt is pending for this CPU (called with the BQL held).
    virtual bool has_interrupt() = 0;
    // Acknowledges the highest-priority pending interrupt (the INTA cycle)
    // and returns its vector (called with the BQL held).
    virtual uint8_t acknowledge() = 0;
};

// Implemented by the local APIC (hw/intc/apic.cpp): besides being the CPU's
// interrupt controller it holds the registers the CPU core reaches without
// MMIO. All calls are made with the BQL held.
class LocalApic : public InterruptController {
public:
    // IA32_APIC_BASE. set_base() returns false for a value the CPU refuses
    // with #GP (reserved bits).
    virtual uint64_t base() const = 0;
    virtual bool set_base(uint64_t value) = 0;
    // x2APIC mode's registers, MSRs 0x800-0x8ff. False where the access
    // raises #GP: outside x2APIC mode, a register x2APIC mode lacks, a
    // read of a write-only or a write of a read-only one, reserved bits.
    virtual bool read_x2apic_msr(uint32_t msr, uint64_t& value) = 0;
    virtual bool write_x2apic_msr(uint32_t msr, uint64_t value) = 0;
    // CR8 is TPR[7:4] in 64-bit mode.
    virtual uint8_t tpr() const = 0;
    virtual void set_tpr(uint8_t value) = 0;
    // IA32_TSC_DEADLINE: the TSC value written (0 disarms) and the virtual
    // clock time in ns at which the TSC reaches it.
    virtual uint64_t tsc_deadline() const = 0;
    virtual void set_tsc_deadline(uint64_t tsc, int64_t at_ns) = 0;
};

// The time stamp counter: the virtual clock (host monotonic time while the
// VM runs, frozen while it is stopped) scaled to a fixed frequency, the same
// for every vCPU, so it is invariant and the guest can calibrate it.
inline constexpr uint64_t kTscHz = 2'000'000'000;
uint64_t tsc_now();                       // without the per-CPU offset
int64_t tsc_to_virtual_ns(uint64_t tsc);  // when tsc_now() reaches tsc

enum class TcgBackend { kJit, kInterp };

struct CpuConfig {
    TcgBackend backend = TcgBackend::kJit;   // -accel tcg,backend=jit|interp
    // What CPUID reports (cpu_models.h); its family/model/stepping is also
    // the reset value of EDX.
    CpuModel model = default_cpu_model();
    uint32_t apic_id = 0;
    bool bsp = true;           // the bootstrap processor; the others wait for SIPI after reset
    unsigned cpu_count = 1;    // vCPUs of the machine
    // -smp's topology: what CPUID's topology leaves (1, 4, 0xB, 0x80000008) describe.
    unsigned threads_per_core = 1, cores_per_die = 1, dies_per_package = 1;
    bool single_step_blocks = false;         // one instruction per block (debugging)
};

struct CpuHooks {
    // Triple fault / shutdown cycle. The machine resets (calling X86Cpu::reset)
    // or, with -no-reboot, exits. Called on the vCPU thread without the BQL.
    std::function<void()> reset_request;
    // Takes and releases the BQL (the machine supplies main_loop's lock). When
    // empty the CPU does not lock (unit tests).
    std::function<void()> lock_bql, unlock_bql;
};

enum class ExitReason {
    kRequested,   // request_exit() was called
    kHalted,      // HLT with no interrupt pending: wait, then call run() again
    kShutdown,    // triple fault (reset_request was called)
    kYield,       // PAUSE with other vCPUs sharing the thread: let them run (a spin-wait)
};

class X86Cpu {
public:
    virtual ~X86Cpu() = default;

    // Runs guest code until an exit reason. Reentrant in the sense that it
    // can be called again after any return.
    virtual ExitReason run() = 0;
    // Makes run() return kRequested soon (from any thread).
    virtual void request_exit() = 0;
    // After run() returned kHalted: blocks (without the BQL) until an
    // interrupt, NMI or exit request arrives, or `timeout` passes.
    virtual void wait_for_work(std::chrono::milliseconds timeout) = 0;
    // The SDM power-up / RESET state (INIT keeps caches and MSRs).
    virtual void reset() = 0;

    virtual void set_interrupt_controller(InterruptController* ic) = 0;
    // The controller's INTR output changed (any thread): wakes the CPU.
    virtual void set_irq_line(bool level) = 0;
    virtual void raise_nmi() = 0;
    // Delivers #MC (any thread); the banks already hold the error (mce.h).
    virtual void raise_machine_check() = 0;
    // Connects the local APIC: it becomes the interrupt controller and
    // backs IA32_APIC_BASE, IA32_TSC_DEADLINE and CR8 (nullptr: none).
    virtual void set_local_apic(LocalApic* apic) = 0;
    // The INIT and STARTUP IPIs (any thread). INIT resets the CPU but keeps
    // its MSRs; an AP then waits for a SIPI, which starts it in real mode at
    // vector << 12. A SIPI to a CPU not waiting for one is ignored.
    virtual void send_init() = 0;
    virtual void send_sipi(uint8_t vector) = 0;

    // The A20 gate (port 92h / the keyboard controller).
    virtual void set_a20(bool enabled) = 0;

    virtual CpuState& state() = 0;
    // After editing state() directly (tests, gdbstub, loadvm): recomputes the
    // derived mode flags and drops cached translations of addresses.
    virtual void state_changed() = 0;
    // The architectural EFLAGS (the lazily kept arithmetic flags included).
    virtual uint32_t eflags() const = 0;
    virtual void set_eflags(uint32_t value) = 0;
    // Drops every translation (e.g. after the machine loaded new code by DMA
    // outside the memory API).
    virtual void flush_translations() = 0;
    // Prints the registers as -d cpu / `info registers` do.
    virtual std::string dump_state() const = 0;

    // Statistics for tests.
    virtual uint64_t translated_blocks() const = 0;
};

// `share_translations_with`: another vCPU of the same machine whose
// translated code this one shares (it must run on the same thread).
std::unique_ptr<X86Cpu> create_cpu(const CpuConfig& config, memory::AddressSpace& mem,
                                   memory::AddressSpace& io, CpuHooks hooks,
                                   X86Cpu* share_translations_with = nullptr);

}  // namespace mimic::x86
