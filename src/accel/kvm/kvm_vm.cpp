#include "kvm_vm.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "mimic/accel/accel_registry.h"

namespace mimic::accel::kvm {
namespace {

struct RequiredCapability {
    unsigned capability;
    const char* name;
};

// What QEMU 7.2 refuses to run without (generic and x86 lists).
constexpr RequiredCapability kRequired[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_DESTROY_MEMORY_REGION_WORKS, "KVM_CAP_DESTROY_MEMORY_REGION_WORKS"},
    {KVM_CAP_JOIN_MEMORY_REGIONS_WORKS, "KVM_CAP_JOIN_MEMORY_REGIONS_WORKS"},
    {KVM_CAP_INTERNAL_ERROR_DATA, "KVM_CAP_INTERNAL_ERROR_DATA"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
    {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
};

// Where QEMU's pc puts the pages Intel's VMX needs for real mode: just
// below the BIOS, out of the way of RAM and PCI.
constexpr uint64_t kIdentityMapAddress = KvmVm::kReservedAddress;
constexpr uint64_t kTssAddress = kIdentityMapAddress + 0x1000;

}  // namespace

KvmVm::KvmVm(const char* device) {
    system_fd_ = ::open(device, O_RDWR | O_CLOEXEC);
    if (system_fd_ < 0) {
        int error = errno;
        std::fprintf(stderr, "Could not access KVM kernel module: %s\n", errno_string(error).c_str());
        throw AccelInitError(error);
    }
    int version = ::ioctl(system_fd_, KVM_GET_API_VERSION, 0);
    if (version < KVM_API_VERSION) {
        int error = version < 0 ? errno : EINVAL;
        std::fprintf(stderr, "kvm version too old\n");
        throw AccelInitError(error);
    }
    if (version > KVM_API_VERSION) {
        std::fprintf(stderr, "kvm version not supported\n");
        throw AccelInitError(EINVAL);
    }
    int mmap_size = ::ioctl(system_fd_, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < 0) {
        int error = errno;
        throw AccelInitError(error);
    }
    vcpu_mmap_size_ = static_cast<size_t>(mmap_size);
    do {
        vm_fd_ = ::ioctl(system_fd_, KVM_CREATE_VM, 0);
    } while (vm_fd_ < 0 && errno == EINTR);
    if (vm_fd_ < 0) {
        int error = errno;
        std::fprintf(stderr, "ioctl(KVM_CREATE_VM) failed: %d %s\n", error, errno_string(error).c_str());
        throw AccelInitError(error);
    }
    for (const RequiredCapability& required : kRequired) {
        if (check_extension(required.capability) > 0) continue;
        std::fprintf(stderr,
                     "kvm does not support %s\n%s", required.name,
                     "Please upgrade to at least kernel 2.6.29 or recent kvm-kmod\n"
                     "(see http://sourceforge.net/projects/kvm).\n");
        throw AccelInitError(EINVAL);
    }
    if (check_extension(KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
        uint64_t address = kIdentityMapAddress;
        if (int r = vm_ioctl(KVM_SET_IDENTITY_MAP_ADDR, &address); r < 0) {
            std::fprintf(stderr, "Failed to set identity map address: %s\n", errno_string(-r).c_str());
            throw AccelInitError(-r);
        }
    }
    if (int r = vm_ioctl(KVM_SET_TSS_ADDR, static_cast<unsigned long>(kTssAddress)); r < 0) {
        std::fprintf(stderr, "Failed to set TSS address: %s\n", errno_string(-r).c_str());
        throw AccelInitError(-r);
    }
}

KvmVm::~KvmVm() {
    if (vm_fd_ >= 0) ::close(vm_fd_);
    if (system_fd_ >= 0) ::close(system_fd_);
}

int KvmVm::check_extension(unsigned capability) const {
    int fd = vm_fd_ >= 0 ? vm_fd_ : system_fd_;
    int r = ::ioctl(fd, KVM_CHECK_EXTENSION, static_cast<unsigned long>(capability));
    return r < 0 ? 0 : r;
}

int KvmVm::vm_ioctl(unsigned long request, const void* argument) const {
    int r = ::ioctl(vm_fd_, request, argument);
    return r < 0 ? -errno : r;
}

int KvmVm::vm_ioctl(unsigned long request, unsigned long argument) const {
    int r = ::ioctl(vm_fd_, request, argument);
    return r < 0 ? -errno : r;
}

}  // namespace mimic::accel::kvm
