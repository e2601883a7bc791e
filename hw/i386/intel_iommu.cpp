// "intel-iommu": Intel VT-d (version 1.0) as QEMU 7.2's q35 offers it, with
// its remapping registers at 0xFED90000.
//
// DMA remapping (legacy mode): with translation enabled, a requester's
// address is looked up through the root table (one entry per bus), the
// context table (one per devfn) and the second-level page tables (3 levels
// for a 39-bit, 4 for a 48-bit address width; 2 MiB and 1 GiB superpages).
// A request that fails is recorded in the fault recording register and
// signalled by the fault event interrupt, and never reaches memory (a PCI
// master abort for the device). Requests to 0xFEEx_xxxx are interrupts,
// never translated.
//
// Interrupt remapping: with it enabled, an MSI in remappable format names
// an entry of the interrupt remapping table whose vector, destination and
// mode are delivered instead; entries verify the requester's source-id.
// Compatibility-format interrupts pass only while CFIS is set. The IOAPIC
// (ioapic.cpp) hands its redirection entries here in MSI form.
//
// Invalidation: register-based (context command, IOTLB) and the queued
// invalidation interface. Successful translations are cached per
// requester and dropped at every invalidation; failed ones never are, so
// guests need no invalidation after making an entry present (caching
// mode stays off unless caching-mode=on asks for it).
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "mimic/hw/apic.h"
#include "mimic/hw/intel_iommu.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/pci.h"
#include "mimic/hw/q35.h"
#include "mimic/memory/transaction.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr uint64_t kRegisterBase = kIntelIommuBase;
constexpr uint64_t kRegisterSize = 0x230;

// Register offsets.
constexpr uint64_t kVersion = 0x00;
constexpr uint64_t kCapability = 0x08;
constexpr uint64_t kExtendedCapability = 0x10;
constexpr uint64_t kGlobalCommand = 0x18;
constexpr uint64_t kGlobalStatus = 0x1c;
constexpr uint64_t kRootTableAddress = 0x20;
constexpr uint64_t kContextCommand = 0x28;
constexpr uint64_t kFaultStatus = 0x34;
constexpr uint64_t kFaultEventControl = 0x38;
constexpr uint64_t kFaultEventData = 0x3c;
constexpr uint64_t kFaultEventAddress = 0x40;
constexpr uint64_t kInvalidationQueueHead = 0x80;
constexpr uint64_t kInvalidationQueueTail = 0x88;
constexpr uint64_t kInvalidationQueueAddress = 0x90;
constexpr uint64_t kInvalidationCompletionStatus = 0x9c;
constexpr uint64_t kInvalidationEventControl = 0xa0;
constexpr uint64_t kInvalidationEventData = 0xa4;
constexpr uint64_t kInvalidationEventAddress = 0xa8;
constexpr uint64_t kInterruptRemapTableAddress = 0xb8;
constexpr uint64_t kIotlbInvalidateAddress = 0xf0;
constexpr uint64_t kIotlbInvalidate = 0xf8;
constexpr uint64_t kFaultRecording = 0x220;

// Global command / status bits (the same positions in both).
constexpr uint32_t kTranslationEnable = 1u << 31;
constexpr uint32_t kSetRootTablePointer = 1u << 30;
constexpr uint32_t kQueuedInvalidationEnable = 1u << 26;
constexpr uint32_t kInterruptRemapEnable = 1u << 25;
constexpr uint32_t kSetInterruptRemapTablePointer = 1u << 24;
constexpr uint32_t kCompatibilityFormatInterrupts = 1u << 23;

// Fault status bits.
constexpr uint32_t kPrimaryFaultOverflow = 1u << 0;
constexpr uint32_t kPrimaryPendingFault = 1u << 1;
constexpr uint32_t kInvalidationQueueError = 1u << 4;
constexpr uint32_t kEventInterruptMask = 1u << 31;
constexpr uint32_t kEventInterruptPending = 1u << 30;

// Fault reasons (VT-d 7.2.1).
enum FaultReason : uint8_t {
    kRootEntryNotPresent = 0x1,
    kContextEntryNotPresent = 0x2,
    kContextEntryInvalid = 0x3,
    kBeyondAddressWidth = 0x4,
    kWriteDenied = 0x5,
    kReadDenied = 0x6,
    kPagingEntryInvalid = 0x7,
    kRootEntryReserved = 0xa,
    kContextEntryReserved = 0xb,
    kPagingEntryReserved = 0xc,
    kInterruptIndexTooLarge = 0x21,
    kInterruptEntryNotPresent = 0x22,
    kInterruptEntryReserved = 0x24,
    kCompatibilityInterruptBlocked = 0x25,
    kInterruptSourceMismatch = 0x26,
};

constexpr uint64_t kInterruptWindowBase = 0xfee00000;
constexpr uint64_t kInterruptWindowSize = 0x100000;
constexpr uint64_t kPageMask = ~uint64_t{0xfff};
constexpr int kDomainIdBits = 16;
constexpr int kMaxAddressWidthTableEntries = 18;  // MAMV: 2^18 pages per invalidation

uint64_t bits(uint64_t value, int high, int low) { return (value >> low) & ((uint64_t{1} << (high - low + 1)) - 1); }

class IntelIommu : public qom::SysBusDevice, public PciIommu, public InterruptRemapper {
public:
    ~IntelIommu() override { unmap(); }

    memory::AddressSpace& requester_space(uint16_t requester_id) override {
        auto& space = spaces_[requester_id];
        if (!space) space = std::make_unique<RequesterSpace>(*this, requester_id);
        return space->space;
    }

    std::optional<ApicMessage> remap_interrupt(uint64_t address, uint32_t data, int requester_id) override;

    IntelIommuInfo info() const { return {aw_bits_, interrupt_remapping_supported_, device_iotlb_}; }

    // Properties.
    qom::OnOffAuto intremap_ = qom::OnOffAuto::kAuto;
    qom::OnOffAuto eim_ = qom::OnOffAuto::kAuto;
    uint8_t aw_bits_ = 39;
    bool caching_mode_ = false;
    bool pt_ = true;
    bool device_iotlb_ = false;
    bool dma_drain_ = true;
    bool dma_translation_ = true;
    bool snoop_control_ = false;
    bool scalable_mode_ = false;
    bool pasid_mode_ = false;
    uint32_t version_ = 0;

protected:
    void do_realize() override;
    void do_unrealize() override { unmap(); }
    void do_reset() override;

private:
    // What a requester's bus-master cycles reach: a region over the whole
    // 64-bit space whose accesses are translated one at a time.
    struct RequesterSpace {
        RequesterSpace(IntelIommu& iommu, uint16_t id);
        IntelIommu& iommu;
        uint16_t requester_id;
        std::unique_ptr<memory::MemoryRegion> region;
        memory::AddressSpace space;
        // Successful translations of this requester, by page.
        struct Cached {
            uint64_t page;
            bool readable, writable;
        };
        std::map<uint64_t, Cached> iotlb;
        uint64_t generation = 0;
    };

    struct Translation {
        uint64_t page = 0;
        bool readable = false, writable = false;
        std::optional<FaultReason> fault;
        bool report = true;  // false when the context entry disables fault reporting
    };

    // Registers.
    uint64_t read_register(uint64_t offset, unsigned size) const;
    void write_register(uint64_t offset, uint64_t value, unsigned size);
    uint64_t merged_quad(uint64_t base, uint64_t offset, uint64_t value, unsigned size) const;
    uint32_t get32(uint64_t offset) const;
    uint64_t get64(uint64_t offset) const;
    void set32(uint64_t offset, uint32_t value);
    void set64(uint64_t offset, uint64_t value);
    void global_command(uint32_t command);
    void context_command(uint64_t value);
    void iotlb_command(uint64_t value);
    void invalidate_caches() { ++generation_; }

    // DMA.
    bool access(RequesterSpace& space, uint64_t address, bool is_write, uint64_t& physical);
    Translation translate(uint16_t requester_id, uint64_t address) const;
    std::optional<uint64_t> read_guest_qword(uint64_t address) const;

    // Faults and events.
    void record_fault(uint16_t requester_id, uint64_t address, FaultReason reason, bool is_write);
    void update_fault_event();
    void raise_fault_event();
    void send_event(uint64_t control_offset, uint64_t data_offset, uint64_t address_offset);

    // Queued invalidation.
    void process_invalidation_queue();
    bool run_descriptor(uint64_t low, uint64_t high);

    void unmap();

    Machine* machine_ = nullptr;
    memory::MemoryRegion registers_;
    std::array<uint8_t, kRegisterSize> regs_{};
    std::map<uint16_t, std::unique_ptr<RequesterSpace>> spaces_;
    uint64_t generation_ = 1;
    bool interrupt_remapping_supported_ = false;
};

IntelIommu::RequesterSpace::RequesterSpace(IntelIommu& owner, uint16_t id)
    : iommu(owner),
      requester_id(id),
      region([this] {
          memory::MmioOps ops;
          // A translation failure rejects the access: the device sees a
          // master abort, as behind a real IOMMU.
          ops.accepts = [this](uint64_t offset, unsigned, bool is_write) {
              uint64_t physical;
              return iommu.access(*this, offset, is_write, physical);
          };
          ops.read = [this](uint64_t offset, unsigned size) -> uint64_t {
              uint64_t physical = 0, value = 0;
              if (iommu.access(*this, offset, false, physical))
                  iommu.machine_->memory_space().read(physical, &value, size);
              return value;
          };
          ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
              if (offset - kInterruptWindowBase < kInterruptWindowSize) {
                  if (auto message = iommu.remap_interrupt(offset, static_cast<uint32_t>(value), requester_id)) {
                      if (ApicBus* bus = apic_bus(*iommu.machine_)) bus->deliver(*message);
                  }
                  return;
              }
              uint64_t physical = 0;
              if (iommu.access(*this, offset, true, physical))
                  iommu.machine_->memory_space().write(physical, &value, size);
          };
          ops.valid = {1, 8, false};
          ops.impl = {1, 8, false};
          return memory::MemoryRegion::make_io("intel_iommu", UINT64_MAX, std::move(ops));
      }()),
      space(*region, "intel_iommu") {}

void IntelIommu::do_realize() {
    machine_ = Machine::of(*this);
    if (scalable_mode_) throw Error("x-scalable-mode=on is not supported");
    if (pasid_mode_) throw Error("x-pasid-mode=on is not supported");
    if (!dma_translation_) throw Error("dma-translation=off is not supported");
    if (aw_bits_ != 39 && aw_bits_ != 48) throw Error("Supported values for aw-bits are: 39, 48");
    PciHost* host = qom::find_in_tree<Q35Host>(*machine_);
    if (!host) throw Error("Parameter 'driver' expects a dynamic sysbus device type for the machine");
    if (host->iommu()) throw Error("QEMU does not support multiple vIOMMUs for x86 yet.");
    ApicBus* apic = apic_bus(*machine_);
    // As QEMU: interrupt remapping unless intremap=off, or, with auto,
    // unless the APICs are KVM's in-kernel ones, which cannot consult it.
    const bool in_kernel = machine_->kernel_irqchip();
    if (intremap_ == qom::OnOffAuto::kOn && in_kernel)
        throw Error("Interrupt Remapping cannot work with kernel-irqchip=on, please use 'split|off'.");
    interrupt_remapping_supported_ = intremap_ == qom::OnOffAuto::kOn || (intremap_ == qom::OnOffAuto::kAuto && !in_kernel);
    if (eim_ == qom::OnOffAuto::kOn && !interrupt_remapping_supported_)
        throw Error("eim=on cannot be selected without intremap=on");
    // Extended interrupt mode (x2APIC destinations) is KVM's in QEMU too.
    if (eim_ == qom::OnOffAuto::kOn) throw Error("eim=on requires accel=kvm,kernel-irqchip=split");
    if (version_ > 1) throw Error("intel-iommu: version {} is not supported (0 or 1: VT-d 1.0)", version_);
    if (interrupt_remapping_supported_ && !apic) throw Error("intel-iommu: interrupt remapping needs local APICs");

    memory::MmioOps ops;
    ops.read = [this](uint64_t offset, unsigned size) { return read_register(offset, size); };
    ops.write = [this](uint64_t offset, uint64_t value, unsigned size) { write_register(offset, value, size); };
    ops.valid = {4, 8, false};
    ops.impl = {4, 8, false};
    registers_.init_io("intel_iommu", kRegisterSize, std::move(ops));
    machine_->system_memory().add_subregion(kRegisterBase, registers_);
    do_reset();
    host->set_iommu(this);
    if (interrupt_remapping_supported_) apic->set_interrupt_remapper(this);
}

void IntelIommu::unmap() {
    if (!machine_) return;
    memory::Transaction transaction;
    if (registers_.parent()) registers_.parent()->del_subregion(registers_);
}

void IntelIommu::do_reset() {
    regs_.fill(0);
    uint64_t capability = uint64_t{(kFaultRecording >> 4)} << 24  // fault recording register offset
                          | uint64_t{kMaxAddressWidthTableEntries} << 48 | uint64_t{1} << 39  // page-selective invalidation
                          | uint64_t{3} << 34                                                 // 2 MiB and 1 GiB pages
                          | uint64_t{aw_bits_ - 1u} << 16                                    // MGAW
                          | uint64_t{2} << 8                                                  // SAGAW: 39-bit
                          | ((kDomainIdBits - 4) / 2);                                        // ND
    if (aw_bits_ == 48) capability |= uint64_t{4} << 8;
    if (dma_drain_) capability |= uint64_t{3} << 54;
    if (caching_mode_) capability |= uint64_t{1} << 7;
    uint64_t extended = uint64_t{kIotlbInvalidateAddress >> 4} << 8 | 1u << 1;  // IOTLB offset, QI
    if (interrupt_remapping_supported_) extended |= 1u << 3 | uint64_t{15} << 20;  // IR, MHMV
    if (device_iotlb_) extended |= 1u << 2;
    if (pt_) extended |= 1u << 6;
    if (snoop_control_) extended |= 1u << 7;
    set32(kVersion, 0x10);
    set64(kCapability, capability);
    set64(kExtendedCapability, extended);
    set32(kFaultEventControl, kEventInterruptMask);
    set32(kInvalidationEventControl, kEventInterruptMask);
    invalidate_caches();
}

uint32_t IntelIommu::get32(uint64_t offset) const {
    uint32_t value;
    std::memcpy(&value, &regs_[offset], 4);
    return value;
}

uint64_t IntelIommu::get64(uint64_t offset) const {
    uint64_t value;
    std::memcpy(&value, &regs_[offset], 8);
    return value;
}

void IntelIommu::set32(uint64_t offset, uint32_t value) { std::memcpy(&regs_[offset], &value, 4); }
void IntelIommu::set64(uint64_t offset, uint64_t value) { std::memcpy(&regs_[offset], &value, 8); }

uint64_t IntelIommu::read_register(uint64_t offset, unsigned size) const {
    if (offset + size > kRegisterSize) return 0;
    // Write-only command registers read as zero where the spec says so.
    uint64_t value = size == 8 ? get64(offset) : get32(offset);
    if (offset == kGlobalCommand) return 0;
    return value;
}

// A 64-bit register written whole, or one 32-bit half of it at `offset`.
uint64_t IntelIommu::merged_quad(uint64_t base, uint64_t offset, uint64_t value, unsigned size) const {
    if (size == 8) return value;
    auto half = static_cast<uint32_t>(value);
    uint64_t current = get64(base);
    return offset == base ? (current & ~uint64_t{0xffffffff}) | half : (current & 0xffffffff) | uint64_t{half} << 32;
}

// Each register's writable bits and side effects; the rest are read-only.
void IntelIommu::write_register(uint64_t offset, uint64_t value, unsigned size) {
    if (offset + size > kRegisterSize) return;
    auto low = static_cast<uint32_t>(value);
    switch (offset) {
    case kGlobalCommand:
        global_command(low);
        return;
    case kRootTableAddress:
    case kRootTableAddress + 4:
    case kInterruptRemapTableAddress:
    case kInterruptRemapTableAddress + 4:
    case kInvalidationQueueAddress:
    case kInvalidationQueueAddress + 4: {
        uint64_t base = offset & ~uint64_t{7};
        uint64_t mask = base == kRootTableAddress ? ~uint64_t{0x3ff}
                        : base == kInterruptRemapTableAddress ? ~uint64_t{0x7f0}
                                                              : ~uint64_t{0x7f8};
        set64(base, merged_quad(base, offset, value, size) & mask);
        return;
    }
    case kContextCommand:
    case kContextCommand + 4: {
        uint64_t merged = merged_quad(kContextCommand, offset, value, size);
        set64(kContextCommand, merged);
        // ICC (bit 63) starts the invalidation; the high dword holds it.
        if (size == 8 || offset == kContextCommand + 4) context_command(merged);
        return;
    }
    case kIotlbInvalidateAddress:
    case kIotlbInvalidateAddress + 4:
        set64(kIotlbInvalidateAddress, merged_quad(kIotlbInvalidateAddress, offset, value, size));
        return;
    case kIotlbInvalidate:
    case kIotlbInvalidate + 4: {
        uint64_t merged = merged_quad(kIotlbInvalidate, offset, value, size);
        set64(kIotlbInvalidate, merged);
        if (size == 8 || offset == kIotlbInvalidate + 4) iotlb_command(merged);
        return;
    }
    case kInvalidationQueueTail:
        set64(kInvalidationQueueTail, (size == 8 ? value : low) & 0x7fff0);
        process_invalidation_queue();
        return;
    case kInvalidationQueueTail + 4:
        return;
    case kFaultStatus:
        // PFO and IQE are write-1-to-clear; PPF follows the record's F bit.
        set32(kFaultStatus, get32(kFaultStatus) & ~(low & (kPrimaryFaultOverflow | kInvalidationQueueError)));
        update_fault_event();
        return;
    case kFaultEventControl: {
        uint32_t control = (get32(offset) & ~kEventInterruptMask) | (low & kEventInterruptMask);
        set32(offset, control);
        // Unmasking with an event pending sends it now.
        if (!(control & kEventInterruptMask) && (control & kEventInterruptPending))
            send_event(kFaultEventControl, kFaultEventData, kFaultEventAddress);
        return;
    }
    case kFaultEventData:
        set32(offset, low & 0xffff);
        return;
    case kFaultEventAddress:
    case kInvalidationEventAddress:
        set32(offset, low & 0xfffffffc);
        return;
    case kInvalidationEventData:
        set32(offset, low);
        return;
    case kInvalidationCompletionStatus:
        set32(offset, get32(offset) & ~(low & 1));
        if (!(get32(offset) & 1))
            set32(kInvalidationEventControl, get32(kInvalidationEventControl) & ~kEventInterruptPending);
        return;
    case kInvalidationEventControl: {
        uint32_t control = (get32(offset) & ~kEventInterruptMask) | (low & kEventInterruptMask);
        set32(offset, control);
        // Unmasking with an event pending sends it now.
        if (!(control & kEventInterruptMask) && (control & kEventInterruptPending))
            send_event(kInvalidationEventControl, kInvalidationEventData, kInvalidationEventAddress);
        return;
    }
    case kFaultRecording + 12: {
        // F (bit 127) is write-1-to-clear.
        if (low & 0x80000000u) set32(offset, get32(offset) & 0x7fffffffu);
        update_fault_event();
        return;
    }
    case kFaultRecording + 8:
        if (size == 8 && (value >> 63)) set32(kFaultRecording + 12, get32(kFaultRecording + 12) & 0x7fffffffu);
        update_fault_event();
        return;
    default:
        MIMIC_LOG(log::kGuestErrors, "intel-iommu: write to read-only register 0x{:x}\n", offset);
        return;
    }
}

void IntelIommu::global_command(uint32_t command) {
    uint32_t status = get32(kGlobalStatus);
    uint32_t changed = status ^ command;
    if (changed & kTranslationEnable) status ^= kTranslationEnable;
    if (command & kSetRootTablePointer) status |= kSetRootTablePointer;  // RTPS
    if (changed & kQueuedInvalidationEnable) {
        if (command & kQueuedInvalidationEnable) {
            set64(kInvalidationQueueHead, 0);
            status |= kQueuedInvalidationEnable;
        } else if (get64(kInvalidationQueueHead) == get64(kInvalidationQueueTail)) {
            status &= ~kQueuedInvalidationEnable;
        } else {
            MIMIC_LOG(log::kGuestErrors, "intel-iommu: queued invalidation disabled with work queued\n");
        }
    }
    if (command & kSetInterruptRemapTablePointer) status |= kSetInterruptRemapTablePointer;  // IRTPS
    if (interrupt_remapping_supported_) {
        if (changed & kInterruptRemapEnable) status ^= kInterruptRemapEnable;
        if (changed & kCompatibilityFormatInterrupts) status ^= kCompatibilityFormatInterrupts;
    }
    set32(kGlobalStatus, status);
    // A new root table, or translation switched, makes every cached
    // translation stale.
    invalidate_caches();
}

void IntelIommu::context_command(uint64_t value) {
    if (!(value >> 63)) return;
    invalidate_caches();
    // Done at once: ICC clears, CAIG reports the granularity asked for.
    uint64_t granularity = bits(value, 62, 61);
    set64(kContextCommand, (value & ~(uint64_t{1} << 63) & ~(uint64_t{3} << 59)) | granularity << 59);
}

void IntelIommu::iotlb_command(uint64_t value) {
    if (!(value >> 63)) return;
    invalidate_caches();
    uint64_t granularity = bits(value, 61, 60);
    set64(kIotlbInvalidate, (value & ~(uint64_t{1} << 63) & ~(uint64_t{3} << 57)) | granularity << 57);
}

std::optional<uint64_t> IntelIommu::read_guest_qword(uint64_t address) const {
    uint64_t value = 0;
    if (machine_->memory_space().read(address, &value, 8) != memory::AccessResult::kOk) return std::nullopt;
    return value;
}

IntelIommu::Translation IntelIommu::translate(uint16_t requester_id, uint64_t address) const {
    Translation result;
    uint64_t root_table = get64(kRootTableAddress) & kPageMask;
    auto root = read_guest_qword(root_table + 16 * (requester_id >> 8));
    if (!root || !(*root & 1)) {
        result.fault = kRootEntryNotPresent;
        return result;
    }
    if (*root & 0xffe) {
        result.fault = kRootEntryReserved;
        return result;
    }
    uint64_t context_table = *root & kPageMask;
    uint64_t entry = context_table + 16 * (requester_id & 0xff);
    auto context_low = read_guest_qword(entry);
    auto context_high = read_guest_qword(entry + 8);
    if (!context_low || !context_high || !(*context_low & 1)) {
        result.fault = kContextEntryNotPresent;
        return result;
    }
    result.report = !(*context_low & 2);
    unsigned type = bits(*context_low, 3, 2);
    if (type == 2 && pt_) {
        // Pass-through: the address is the host physical one.
        result.page = address & kPageMask;
        result.readable = result.writable = true;
        return result;
    }
    if (type == 3 || (type == 1 && !device_iotlb_) || (type == 2 && !pt_)) {
        result.fault = kContextEntryInvalid;
        return result;
    }
    // Low bits 11:4 and high bit 7 and bits 63:24 are reserved (6:3 are
    // software's).
    if (*context_low & 0xff0 || bits(*context_high, 7, 7) || bits(*context_high, 63, 24)) {
        result.fault = kContextEntryReserved;
        return result;
    }
    unsigned width_code = bits(*context_high, 2, 0);
    // Widths the capability's SAGAW offers: 39 bits (3 levels), 48 (4).
    int levels = width_code == 1 ? 3 : width_code == 2 && aw_bits_ == 48 ? 4 : 0;
    if (!levels) {
        result.fault = kContextEntryInvalid;
        return result;
    }
    int width = 12 + 9 * levels;
    if (address >> width) {
        result.fault = kBeyondAddressWidth;
        return result;
    }
    // Address bits above the host address width are reserved in entries.
    uint64_t reserved = ~((uint64_t{1} << aw_bits_) - 1) & ((uint64_t{1} << 52) - 1);
    uint64_t table = *context_low & kPageMask;
    bool readable = true, writable = true;
    for (int level = levels; level >= 1; --level) {
        int shift = 12 + 9 * (level - 1);
        auto pte = read_guest_qword(table + 8 * ((address >> shift) & 0x1ff));
        if (!pte) {
            result.fault = kPagingEntryInvalid;
            return result;
        }
        if (!(*pte & 3)) {
            result.fault = kReadDenied;  // not present: the request's own kind is reported below
            result.readable = result.writable = false;
            return result;
        }
        bool superpage = (*pte >> 7) & 1;
        if (*pte & reserved || (superpage && (level == 1 || level > 3))) {
            result.fault = kPagingEntryReserved;
            return result;
        }
        readable = readable && (*pte & 1);
        writable = writable && (*pte & 2);
        if (level == 1 || superpage) {
            uint64_t span = uint64_t{1} << shift;
            if (superpage && (*pte & kPageMask & (span - 1))) {
                result.fault = kPagingEntryReserved;
                return result;
            }
            result.page = ((*pte & kPageMask & ~(span - 1)) | (address & (span - 1))) & kPageMask;
            result.readable = readable;
            result.writable = writable;
            return result;
        }
        table = *pte & kPageMask;
    }
    result.fault = kPagingEntryInvalid;
    return result;
}

bool IntelIommu::access(RequesterSpace& space, uint64_t address, bool is_write, uint64_t& physical) {
    if (!(get32(kGlobalStatus) & kTranslationEnable)) {
        physical = address;
        return true;
    }
    if (address - kInterruptWindowBase < kInterruptWindowSize) {
        // Interrupt requests are writes; a read there is not translated.
        physical = address;
        return is_write;
    }
    uint64_t page = address & kPageMask;
    if (space.generation != generation_) {
        space.iotlb.clear();
        space.generation = generation_;
    }
    auto cached = space.iotlb.find(page);
    if (cached != space.iotlb.end() && (is_write ? cached->second.writable : cached->second.readable)) {
        physical = cached->second.page | (address & 0xfff);
        return true;
    }
    Translation translation = translate(space.requester_id, address);
    bool allowed = !translation.fault && (is_write ? translation.writable : translation.readable);
    if (!allowed) {
        FaultReason reason = translation.fault.value_or(is_write ? kWriteDenied : kReadDenied);
        if (reason == kReadDenied && is_write) reason = kWriteDenied;
        if (translation.report) record_fault(space.requester_id, address, reason, is_write);
        return false;
    }
    // Bounded: a requester keeps at most this many pages cached.
    constexpr size_t kCachedPages = 256;
    if (space.iotlb.size() >= kCachedPages) space.iotlb.clear();
    space.iotlb[page] = {translation.page, translation.readable, translation.writable};
    physical = translation.page | (address & 0xfff);
    return true;
}

// One fault recording register: a second fault while it holds one only
// sets the overflow bit, as with NFR = 0.
void IntelIommu::record_fault(uint16_t requester_id, uint64_t address, FaultReason reason, bool is_write) {
    MIMIC_LOG(log::kGuestErrors, "intel-iommu: fault 0x{:x} for {:02x}:{:02x}.{} at 0x{:x}\n",
              static_cast<unsigned>(reason), requester_id >> 8, (requester_id >> 3) & 0x1f, requester_id & 7, address);
    if (get32(kFaultRecording + 12) & 0x80000000u) {
        set32(kFaultStatus, get32(kFaultStatus) | kPrimaryFaultOverflow);
        raise_fault_event();
        return;
    }
    set64(kFaultRecording, address & kPageMask);
    uint64_t high = uint64_t{1} << 63 | uint64_t{!is_write} << 62 | uint64_t{reason} << 32 | requester_id;
    set64(kFaultRecording + 8, high);
    raise_fault_event();  // FRI stays 0: there is one register
}

// PPF mirrors the record's F bit. The pending bit clears once no fault
// condition is left.
void IntelIommu::update_fault_event() {
    bool pending_fault = get32(kFaultRecording + 12) & 0x80000000u;
    uint32_t status = get32(kFaultStatus);
    status = pending_fault ? status | kPrimaryPendingFault : status & ~kPrimaryPendingFault;
    set32(kFaultStatus, status);
    if (!(status & (kPrimaryPendingFault | kPrimaryFaultOverflow | kInvalidationQueueError)))
        set32(kFaultEventControl, get32(kFaultEventControl) & ~kEventInterruptPending);
}

// A new fault condition: the fault event goes out now, or waits pending
// while masked.
void IntelIommu::raise_fault_event() {
    update_fault_event();
    uint32_t control = get32(kFaultEventControl);
    if (control & kEventInterruptMask) {
        set32(kFaultEventControl, control | kEventInterruptPending);
        return;
    }
    send_event(kFaultEventControl, kFaultEventData, kFaultEventAddress);
}

// Event interrupts are the IOMMU's own MSIs: never remapped.
void IntelIommu::send_event(uint64_t control_offset, uint64_t data_offset, uint64_t address_offset) {
    set32(control_offset, get32(control_offset) & ~kEventInterruptPending);
    if (ApicBus* bus = apic_bus(*machine_)) bus->deliver(apic_message_from_msi(get32(address_offset), get32(data_offset)));
}

void IntelIommu::process_invalidation_queue() {
    if (!(get32(kGlobalStatus) & kQueuedInvalidationEnable)) return;
    if (get32(kFaultStatus) & kInvalidationQueueError) return;  // stopped until software clears IQE
    uint64_t queue = get64(kInvalidationQueueAddress);
    uint64_t base = queue & kPageMask;
    uint64_t entries = uint64_t{256} << (queue & 7);
    uint64_t head = get64(kInvalidationQueueHead) >> 4;
    uint64_t tail = get64(kInvalidationQueueTail) >> 4;
    if (tail >= entries) {
        set32(kFaultStatus, get32(kFaultStatus) | kInvalidationQueueError);
        raise_fault_event();
        return;
    }
    // At most one lap: the tail bounds the work a guest can ask for.
    for (uint64_t done = 0; head != tail && done < entries; ++done) {
        auto low = read_guest_qword(base + 16 * head);
        auto high = read_guest_qword(base + 16 * head + 8);
        if (!low || !high || !run_descriptor(*low, *high)) {
            set32(kFaultStatus, get32(kFaultStatus) | kInvalidationQueueError);
            raise_fault_event();
            break;
        }
        head = (head + 1) % entries;
    }
    set64(kInvalidationQueueHead, head << 4);
}

bool IntelIommu::run_descriptor(uint64_t low, uint64_t high) {
    switch (low & 0xf) {
    case 1:  // context-cache invalidate
    case 2:  // IOTLB invalidate
    case 4:  // interrupt entry cache invalidate
        invalidate_caches();
        return true;
    case 3:  // device-TLB invalidate: no device caches translations
        return device_iotlb_;
    case 5: {  // invalidation wait
        if (low & (1u << 5)) {  // status write
            auto data = static_cast<uint32_t>(low >> 32);
            if (machine_->memory_space().write(high & ~uint64_t{3}, &data, 4) != memory::AccessResult::kOk)
                MIMIC_LOG(log::kGuestErrors, "intel-iommu: invalidation wait status to 0x{:x} reached nothing\n", high);
        }
        if (low & (1u << 4)) {  // interrupt flag
            set32(kInvalidationCompletionStatus, 1);
            uint32_t control = get32(kInvalidationEventControl) | kEventInterruptPending;
            set32(kInvalidationEventControl, control);
            if (!(control & kEventInterruptMask))
                send_event(kInvalidationEventControl, kInvalidationEventData, kInvalidationEventAddress);
        }
        return true;
    }
    default:
        MIMIC_LOG(log::kGuestErrors, "intel-iommu: invalid invalidation descriptor type {}\n", low & 0xf);
        return false;
    }
}

std::optional<ApicMessage> IntelIommu::remap_interrupt(uint64_t address, uint32_t data, int requester_id) {
    uint32_t status = get32(kGlobalStatus);
    if (!(status & kInterruptRemapEnable)) return apic_message_from_msi(address, data);
    auto fault = [&](FaultReason reason, uint64_t index) -> std::optional<ApicMessage> {
        record_fault(static_cast<uint16_t>(requester_id < 0 ? 0 : requester_id), index << 48, reason, true);
        return std::nullopt;
    };
    if (!((address >> 4) & 1)) {
        // Compatibility format.
        if (status & kCompatibilityFormatInterrupts) return apic_message_from_msi(address, data);
        return fault(kCompatibilityInterruptBlocked, 0);
    }
    uint64_t index = bits(address, 19, 5) | bits(address, 2, 2) << 15;
    if ((address >> 3) & 1) index += data & 0xffff;  // SHV: the subhandle is added
    uint64_t table = get64(kInterruptRemapTableAddress);
    uint64_t entries = uint64_t{2} << (table & 0xf);
    if (index >= entries) return fault(kInterruptIndexTooLarge, index);
    auto low = read_guest_qword((table & kPageMask) + 16 * index);
    auto high = read_guest_qword((table & kPageMask) + 16 * index + 8);
    if (!low || !high || !(*low & 1)) {
        // Fault processing disable (bit 1) keeps not-present entries quiet.
        if (low && (*low & 2)) return std::nullopt;
        return fault(kInterruptEntryNotPresent, index);
    }
    if (bits(*low, 15, 15) || bits(*low, 14, 12) || bits(*low, 31, 24) || bits(*high, 63, 20))
        return fault(kInterruptEntryReserved, index);
    // Source-id verification: SVT 1 compares under the SQ mask, SVT 2
    // checks the requester's bus against a range.
    if (requester_id >= 0) {
        auto source = static_cast<uint16_t>(bits(*high, 15, 0));
        unsigned qualifier = bits(*high, 17, 16), type = bits(*high, 19, 18);
        static constexpr std::array<uint16_t, 4> kMasks = {0xffff, 0xfffb, 0xfff9, 0xfff8};
        bool ok = true;
        if (type == 1) ok = (source & kMasks[qualifier]) == (requester_id & kMasks[qualifier]);
        if (type == 2) ok = (requester_id >> 8) >= (source >> 8) && (requester_id >> 8) <= (source & 0xff);
        if (type == 3) return fault(kInterruptEntryReserved, index);
        if (!ok) return fault(kInterruptSourceMismatch, index);
    }
    ApicMessage message;
    message.vector = static_cast<uint8_t>(bits(*low, 23, 16));
    message.delivery = static_cast<ApicDelivery>(bits(*low, 7, 5));
    message.logical = bits(*low, 2, 2);
    message.level_triggered = bits(*low, 4, 4);
    // Without extended interrupt mode the xAPIC destination is DST[15:8].
    message.dest = static_cast<uint32_t>(bits(*low, 47, 40));
    return message;
}

}  // namespace

std::optional<IntelIommuInfo> find_intel_iommu(const Machine& machine) {
    const IntelIommu* iommu = qom::find_in_tree<const IntelIommu>(machine);
    if (iommu && iommu->realized()) return iommu->info();
    return std::nullopt;
}

MIMIC_REGISTER_TYPE({
    .name = "intel-iommu",
    .parent = qom::kTypeSysBusDevice,
    .factory = qom::factory_of<IntelIommu>(),
    .description = "Intel IOMMU (VT-d) DMA Remapping device",
    .properties = {
        qom::prop::uint8("aw-bits", &IntelIommu::aw_bits_, 39),
        qom::prop::boolean("caching-mode", &IntelIommu::caching_mode_, false),
        qom::prop::boolean("device-iotlb", &IntelIommu::device_iotlb_, false),
        qom::prop::boolean("dma-drain", &IntelIommu::dma_drain_, true),
        qom::prop::boolean("dma-translation", &IntelIommu::dma_translation_, true),
        qom::prop::on_off_auto("eim", &IntelIommu::eim_, qom::OnOffAuto::kAuto),
        qom::prop::on_off_auto("intremap", &IntelIommu::intremap_, qom::OnOffAuto::kAuto),
        qom::prop::boolean("pt", &IntelIommu::pt_, true),
        qom::prop::boolean("snoop-control", &IntelIommu::snoop_control_, false),
        qom::prop::uint32("version", &IntelIommu::version_, 0),
        qom::prop::boolean("x-pasid-mode", &IntelIommu::pasid_mode_, false),
        qom::prop::boolean("x-scalable-mode", &IntelIommu::scalable_mode_, false),
    },
    .user_creatable = true,
});

}  // namespace mimic::hw
