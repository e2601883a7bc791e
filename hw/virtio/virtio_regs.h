// Numbers from the virtio 1.1 specification: device status, feature bits,
// split-ring flags and the virtio-pci register layouts (legacy I/O BAR,
// modern capabilities and common configuration).
#pragma once

#include <cstdint>

namespace mimic::hw::virtio {

// Device status (2.1).
inline constexpr uint8_t kStatusAcknowledge = 1;
inline constexpr uint8_t kStatusDriver = 2;
inline constexpr uint8_t kStatusDriverOk = 4;
inline constexpr uint8_t kStatusFeaturesOk = 8;
inline constexpr uint8_t kStatusNeedsReset = 0x40;
inline constexpr uint8_t kStatusFailed = 0x80;

// Feature bits the transport and ring layer own (6).
inline constexpr int kFNotifyOnEmpty = 24;
inline constexpr int kFAnyLayout = 27;
inline constexpr int kFIndirectDesc = 28;
inline constexpr int kFEventIdx = 29;
inline constexpr int kFBadFeature = 30;  // legacy: a driver acking it is broken
inline constexpr int kFVersion1 = 32;
inline constexpr int kFAccessPlatform = 33;
inline constexpr int kFRingPacked = 34;
inline constexpr int kFRingReset = 40;

constexpr uint64_t bit(int n) { return uint64_t{1} << n; }

// Split virtqueue descriptor and ring flags (2.6).
inline constexpr uint16_t kDescNext = 1;
inline constexpr uint16_t kDescWrite = 2;
inline constexpr uint16_t kDescIndirect = 4;
inline constexpr uint16_t kAvailNoInterrupt = 1;
inline constexpr uint16_t kUsedNoNotify = 1;

// ISR status bits.
inline constexpr uint8_t kIsrQueue = 1;
inline constexpr uint8_t kIsrConfig = 2;

// No MSI-X vector.
inline constexpr uint16_t kNoVector = 0xffff;

// The most queue entries a device offers, as QEMU's VIRTQUEUE_MAX_SIZE; also
// the bound on the segments one request may have.
inline constexpr unsigned kQueueMaxSize = 1024;

// Legacy virtio-pci I/O BAR registers (4.1.4.8).
namespace legacy {
inline constexpr unsigned kHostFeatures = 0x00;
inline constexpr unsigned kGuestFeatures = 0x04;
inline constexpr unsigned kQueuePfn = 0x08;
inline constexpr unsigned kQueueSize = 0x0c;
inline constexpr unsigned kQueueSelect = 0x0e;
inline constexpr unsigned kQueueNotify = 0x10;
inline constexpr unsigned kStatus = 0x12;
inline constexpr unsigned kIsr = 0x13;
inline constexpr unsigned kConfigVector = 0x14;  // only while MSI-X is enabled
inline constexpr unsigned kQueueVector = 0x16;
inline constexpr unsigned kHeaderSize = 0x14;
inline constexpr unsigned kHeaderSizeMsix = 0x18;
inline constexpr unsigned kQueueAlign = 4096;
inline constexpr unsigned kPfnShift = 12;
}  // namespace legacy

// Modern virtio-pci: vendor capability types (4.1.4) and the common
// configuration structure's fields (4.1.4.3).
namespace modern {
inline constexpr uint8_t kCapCommon = 1;
inline constexpr uint8_t kCapNotify = 2;
inline constexpr uint8_t kCapIsr = 3;
inline constexpr uint8_t kCapDevice = 4;
inline constexpr uint8_t kCapPciCfg = 5;

inline constexpr unsigned kDeviceFeatureSelect = 0x00;
inline constexpr unsigned kDeviceFeature = 0x04;
inline constexpr unsigned kDriverFeatureSelect = 0x08;
inline constexpr unsigned kDriverFeature = 0x0c;
inline constexpr unsigned kMsixConfig = 0x10;
inline constexpr unsigned kNumQueues = 0x12;
inline constexpr unsigned kDeviceStatus = 0x14;
inline constexpr unsigned kConfigGeneration = 0x15;
inline constexpr unsigned kQueueSelect = 0x16;
inline constexpr unsigned kQueueSize = 0x18;
inline constexpr unsigned kQueueMsixVector = 0x1a;
inline constexpr unsigned kQueueEnable = 0x1c;
inline constexpr unsigned kQueueNotifyOff = 0x1e;
inline constexpr unsigned kQueueDescLo = 0x20;
inline constexpr unsigned kQueueDescHi = 0x24;
inline constexpr unsigned kQueueAvailLo = 0x28;
inline constexpr unsigned kQueueAvailHi = 0x2c;
inline constexpr unsigned kQueueUsedLo = 0x30;
inline constexpr unsigned kQueueUsedHi = 0x34;
inline constexpr unsigned kQueueReset = 0x3a;  // VIRTIO_F_RING_RESET

// Where QEMU puts each structure in the modern memory BAR, 4 KiB apart.
inline constexpr uint64_t kCommonOffset = 0x0000;
inline constexpr uint64_t kIsrOffset = 0x1000;
inline constexpr uint64_t kDeviceOffset = 0x2000;
inline constexpr uint64_t kNotifyOffset = 0x3000;
inline constexpr uint64_t kRegionSize = 0x1000;
}  // namespace modern

}  // namespace mimic::hw::virtio
