// ICH9 ACPI power-management block (see ich9_pm.h).
#include "ich9_pm.h"

namespace mimic::hw {
namespace {

constexpr uint64_t kSmiEnable = 0x30;
constexpr uint64_t kSmiStatus = 0x34;

}  // namespace

Ich9Pm::Ich9Pm(qom::Object& owner, std::function<void(bool)> set_sci)
    : registers_(owner, "ICH9-LPC", kGpe0Length, std::move(set_sci)) {
    memory::MmioOps ops;
    ops.read = [this](uint64_t offset, unsigned size) -> uint64_t { return read(offset, size); };
    ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
        write(offset, static_cast<uint32_t>(value), size);
    };
    ops.valid = {1, 4, false};
    ops.impl = {1, 4, false};
    io_.init_io("acpi-ich9-pm", kIoSize, std::move(ops));
}

void Ich9Pm::reset() {
    registers_.reset();
    apm_.reset();
    smi_enable_ = smi_status_ = 0;
}

uint32_t Ich9Pm::read(uint64_t offset, unsigned size) const {
    uint32_t value = 0;
    for (unsigned i = 0; i < size; ++i) {
        uint64_t at = offset + i;
        uint32_t byte = 0;
        if (at < kAcpiPm1BlockSize) {
            byte = registers_.pm1_read(at, 1);
        } else if (at >= kGpe0Offset && at < kGpe0Offset + kGpe0Length) {
            byte = registers_.gpe_read(at - kGpe0Offset);
        } else if (at >= kSmiEnable && at < kSmiEnable + 4) {
            byte = smi_enable_ >> (8 * (at - kSmiEnable));
        } else if (at >= kSmiStatus && at < kSmiStatus + 4) {
            byte = smi_status_ >> (8 * (at - kSmiStatus));
        }
        value |= (byte & 0xff) << (8 * i);
    }
    // The PM timer is one 24-bit counter: a dword read must see one value.
    if (offset == 8 && size == 4) value = registers_.pm1_read(8, 4);
    return value;
}

void Ich9Pm::write(uint64_t offset, uint32_t value, unsigned size) {
    if (offset < kAcpiPm1BlockSize) {
        registers_.pm1_write(offset, value, size);
        return;
    }
    for (unsigned i = 0; i < size; ++i) {
        uint64_t at = offset + i;
        auto byte = static_cast<uint8_t>(value >> (8 * i));
        if (at >= kGpe0Offset && at < kGpe0Offset + kGpe0Length) {
            registers_.gpe_write(at - kGpe0Offset, byte);
        } else if (at >= kSmiEnable && at < kSmiEnable + 4) {
            unsigned shift = 8 * static_cast<unsigned>(at - kSmiEnable);
            smi_enable_ = (smi_enable_ & ~(0xffu << shift)) | uint32_t{byte} << shift;
        } else if (at >= kSmiStatus && at < kSmiStatus + 4) {
            smi_status_ &= ~(uint32_t{byte} << (8 * (at - kSmiStatus)));
        }
    }
}

}  // namespace mimic::hw
