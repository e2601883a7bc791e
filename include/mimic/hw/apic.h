// The local APICs (one per vCPU) and the APIC bus that joins them to each
// other and to the IOAPIC.
//
// The board calls create_apic_bus(machine, cpus): it creates the APICs
// ("apic", IDs 0..cpus-1, the first one the BSP's) and maps their MMIO
// window at 0xfee00000. An access to that window reaches the APIC of the
// vCPU making it (set_current_cpu(), called by the accelerator before it
// runs a vCPU); accesses from no vCPU (qtest) reach CPU 0's APIC. Writes
// beyond the first 4 KiB are MSIs.
//
// The accelerator connects each vCPU: X86Cpu::set_local_apic(bus.cpu_apic(i))
// for the CPU side and connect_cpu(i, port) for the APIC's outputs to it.
// The 8259's INTR output goes to set_pic_intr(): LINT0 of every APIC, which
// takes it as ExtINT in virtual wire mode (the BSP's reset state).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "mimic/x86/cpu.h"

namespace mimic::qom {
class Object;
}

namespace mimic::hw {

class Machine;

// How an APIC drives its CPU (provided by the accelerator; called with the
// BQL held, on any thread).
struct ApicCpuPort {
    std::function<void(bool level)> intr;   // something to acknowledge() is pending
    std::function<void()> nmi;
    std::function<void()> init;
    std::function<void(uint8_t vector)> sipi;
};

enum class ApicDelivery : uint8_t {
    kFixed = 0, kLowestPriority = 1, kSmi = 2, kNmi = 4, kInit = 5, kStartup = 6, kExtInt = 7,
};

// An interrupt message on the APIC bus (an IOAPIC redirection entry, an MSI).
struct ApicMessage {
    uint32_t dest = 0;
    bool x2apic_destination = false;   // dest is a 32-bit x2APIC ID, not 8 bits
    bool logical = false;            // destination mode
    ApicDelivery delivery = ApicDelivery::kFixed;
    uint8_t vector = 0;
    bool level_triggered = false;    // the EOI of such a vector is broadcast
};

// The message an MSI in compatibility format (address 0xFEEx_xxxx with the
// destination in bits 19:12, data with the vector and delivery mode) asks
// for.
ApicMessage apic_message_from_msi(uint64_t address, uint32_t data);

// Interrupt remapping (an IOMMU's): turns an interrupt request -- an MSI
// write from a PCI requester, or an IOAPIC redirection entry put in MSI
// form -- into the message to deliver, or nothing when the request is
// blocked (the remapper has recorded why).
class InterruptRemapper {
public:
    virtual ~InterruptRemapper() = default;
    // `requester_id` < 0: a request without a source-id to verify (the
    // IOAPIC's, as in QEMU).
    virtual std::optional<ApicMessage> remap_interrupt(uint64_t address, uint32_t data, int requester_id) = 0;
};

class ApicBus {
public:
    virtual ~ApicBus() = default;
    // The IOAPIC's messages go through `remapper` when one is set.
    void set_interrupt_remapper(InterruptRemapper* remapper) { remapper_ = remapper; }
    InterruptRemapper* interrupt_remapper() const { return remapper_; }
    virtual int cpu_count() const = 0;
    virtual x86::LocalApic& cpu_apic(int index) = 0;
    virtual void connect_cpu(int index, ApicCpuPort port) = 0;
    // Delivers a message to the APICs it addresses (BQL held).
    virtual void deliver(const ApicMessage& message) = 0;
    // Called with the vector whenever an APIC ends a level-triggered
    // interrupt (the IOAPIC clears its remote IRR).
    virtual void add_eoi_listener(std::function<void(uint8_t vector)> listener) = 0;
    // The 8259's INT output.
    virtual void set_pic_intr(bool level) = 0;

private:
    InterruptRemapper* remapper_ = nullptr;
};

ApicBus& create_apic_bus(Machine& machine, int cpus);
// The machine's bus, or nullptr on a board without APICs.
ApicBus* apic_bus(const qom::Object& object);

// Which vCPU the calling thread is running (the APIC MMIO window decodes by
// it); 0 on threads that run none.
void set_current_cpu(int index);
int current_cpu();

}  // namespace mimic::hw
