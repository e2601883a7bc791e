// The host side of KVM: /dev/kvm and one VM's file descriptor, with the
// checks QEMU 7.2's kvm_init() makes before anything is built.
#pragma once

#include <cstdint>
#include <string_view>

namespace mimic::accel::kvm {

class KvmVm {
public:
    // Opens `device` and creates a VM. Prints QEMU's messages for a missing,
    // unreadable or too old /dev/kvm and throws AccelInitError.
    explicit KvmVm(const char* device = "/dev/kvm");
    ~KvmVm();
    KvmVm(const KvmVm&) = delete;
    KvmVm& operator=(const KvmVm&) = delete;

    // The guest-physical pages KVM keeps for real mode on VMX (identity
    // map and TSS), which the firmware must not hand out.
    static constexpr uint64_t kReservedAddress = 0xfeffc000, kReservedLength = 0x4000;

    int system_fd() const { return system_fd_; }
    int vm_fd() const { return vm_fd_; }
    // KVM_CHECK_EXTENSION on the VM (0: absent).
    int check_extension(unsigned capability) const;
    // The size of the vCPUs' shared kvm_run area.
    size_t vcpu_mmap_size() const { return vcpu_mmap_size_; }

    // ioctl() on the VM; -errno on failure.
    int vm_ioctl(unsigned long request, const void* argument) const;
    int vm_ioctl(unsigned long request, unsigned long argument) const;

private:
    int system_fd_ = -1;
    int vm_fd_ = -1;
    size_t vcpu_mmap_size_ = 0;
};

}  // namespace mimic::accel::kvm
