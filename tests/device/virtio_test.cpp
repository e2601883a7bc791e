// virtio-blk-pci through the real binary, driven as a guest driver would
// over qtest: the PCI function (IDs and capability layout as QEMU 7.2's),
// the legacy and modern transports, feature negotiation, split virtqueues
// (chains, indirect tables, event index, ring wrap-around), MSI-X and
// INTx, every request type against a raw image the test reads back, and
// malformed rings that must put the device in DEVICE_NEEDS_RESET. The
// last test throws thousands of rounds of random rings at the device.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

constexpr int kSlot = 4;
constexpr int kDevfn = kSlot << 3;
constexpr uint16_t kIo = 0xc000;
constexpr uint64_t kMsixBar = 0xfebf0000;
constexpr uint64_t kBar4 = 0xfe000000;
constexpr uint64_t kCommon = kBar4, kIsr = kBar4 + 0x1000, kDevCfg = kBar4 + 0x2000,
                   kNotify = kBar4 + 0x3000;
constexpr int kIrq = 11;
constexpr uint64_t kDiskBytes = 1 << 20;

// Guest RAM the tests lay rings and buffers out in.
constexpr uint64_t kDesc = 0x100000, kAvail = 0x101000, kUsed = 0x102000, kIndirect = 0x103000;
constexpr uint64_t kHeader = 0x110000, kData = 0x120000, kStatus = 0x140000, kMsiTarget = 0x150000;

constexpr uint8_t kAck = 1, kDriver = 2, kDriverOk = 4, kFeaturesOk = 8, kNeedsReset = 0x40;
constexpr uint16_t kNext = 1, kWrite = 2, kIndirectFlag = 4;

class TempImage {
  public:
    explicit TempImage(uint64_t size) {
        char name[] = "/tmp/mimic-virtio-blk-XXXXXX";
        int fd = mkstemp(name);
        path_ = name;
        std::vector<uint8_t> data(size);
        for (uint64_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 7 + i / 512);
        if (write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) ADD_FAILURE();
        close(fd);
    }
    ~TempImage() { unlink(path_.c_str()); }
    const std::string& path() const { return path_; }
    std::vector<uint8_t> read(uint64_t offset, size_t len) const {
        std::ifstream in(path_, std::ios::binary);
        in.seekg(static_cast<std::streamoff>(offset));
        std::vector<uint8_t> out(len);
        in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(len));
        return out;
    }
    static uint8_t expected(uint64_t i) { return static_cast<uint8_t>(i * 7 + i / 512); }

  private:
    std::string path_;
};

void pci_write(QtestClient& vm, uint8_t offset, uint32_t value) {
    vm.outl(0xcf8, 0x80000000u | (kDevfn << 8) | offset);
    vm.outl(0xcfc, value);
}
uint32_t pci_read(QtestClient& vm, uint8_t offset) {
    vm.outl(0xcf8, 0x80000000u | (kDevfn << 8) | offset);
    return vm.inl(0xcfc);
}

std::vector<std::string> args(const TempImage& image, const std::string& extra = "",
                              const std::string& drive = "") {
    return {"-nodefaults", "-drive", "file=" + image.path() + ",format=raw,if=none,id=d0" + drive,
            "-device",
            "virtio-blk-pci,addr=" + std::to_string(kSlot) + ",drive=d0" +
                (extra.empty() ? "" : "," + extra)};
}

// BARs mapped, decoding and bus mastering on, INTA routed to IRQ 11.
void enable(QtestClient& vm) {
    pci_write(vm, 0x10, kIo);
    pci_write(vm, 0x14, static_cast<uint32_t>(kMsixBar));
    pci_write(vm, 0x20, static_cast<uint32_t>(kBar4));
    pci_write(vm, 0x24, 0);
    pci_write(vm, 0x04, 0x0007);
    int pirq = (kSlot - 1) & 3;
    vm.outl(0xcf8, 0x80000000u | (1 << 11) | 0x60);
    vm.outb(static_cast<uint16_t>(0xcfc + pirq), kIrq);
    vm.outb(0x4d1, static_cast<uint8_t>(vm.inb(0x4d1) | 1 << (kIrq - 8)));
}

struct Buffer {
    uint64_t addr;
    uint32_t len;
    bool device_writes;
};

// The driver side of one split virtqueue in guest RAM.
class Ring {
  public:
    Ring(QtestClient& vm, uint16_t size, uint64_t desc = kDesc, uint64_t avail = kAvail,
         uint64_t used = kUsed)
        : vm_(vm), size_(size), desc_(desc), avail_(avail), used_(used) {
        vm.memwrite(desc, std::vector<uint8_t>(16u * size, 0));
        vm.memwrite(avail, std::vector<uint8_t>(6u + 2u * size, 0));
        vm.memwrite(used, std::vector<uint8_t>(6u + 8u * size, 0));
    }
    void write_desc(uint64_t table, uint16_t index, uint64_t addr, uint32_t len, uint16_t flags,
                    uint16_t next) {
        vm_.writeq(table + 16u * index, addr);
        vm_.writel(table + 16u * index + 8, len);
        vm_.writew(table + 16u * index + 12, flags);
        vm_.writew(table + 16u * index + 14, next);
    }
    // Puts a chain of `buffers` in the descriptor table (from free slot on)
    // or, when `indirect`, in a table at kIndirect; makes it available.
    void submit(const std::vector<Buffer>& buffers, bool indirect = false) {
        uint16_t head = next_free_;
        if (indirect) {
            for (size_t i = 0; i < buffers.size(); ++i)
                write_desc(kIndirect, static_cast<uint16_t>(i), buffers[i].addr, buffers[i].len,
                           static_cast<uint16_t>((buffers[i].device_writes ? kWrite : 0) |
                                                 (i + 1 < buffers.size() ? kNext : 0)),
                           static_cast<uint16_t>(i + 1));
            write_desc(desc_, head, kIndirect, static_cast<uint32_t>(16 * buffers.size()),
                       kIndirectFlag, 0);
            next_free_ = static_cast<uint16_t>((next_free_ + 1) % size_);
        } else {
            for (size_t i = 0; i < buffers.size(); ++i) {
                uint16_t slot = next_free_;
                next_free_ = static_cast<uint16_t>((next_free_ + 1) % size_);
                write_desc(desc_, slot, buffers[i].addr, buffers[i].len,
                           static_cast<uint16_t>((buffers[i].device_writes ? kWrite : 0) |
                                                 (i + 1 < buffers.size() ? kNext : 0)),
                           next_free_);
            }
        }
        vm_.writew(avail_ + 4 + 2u * (avail_idx_ % size_), head);
        ++avail_idx_;
        vm_.writew(avail_ + 2, avail_idx_);
    }
    uint16_t used_idx() { return vm_.readw(used_ + 2); }
    uint32_t used_len(uint16_t n) { return vm_.readl(used_ + 4 + 8u * (n % size_) + 4); }
    uint32_t used_id(uint16_t n) { return vm_.readl(used_ + 4 + 8u * (n % size_)); }
    void set_used_event(uint16_t value) { vm_.writew(avail_ + 4 + 2u * size_, value); }
    uint16_t avail_event() { return vm_.readw(used_ + 4 + 8u * size_); }
    uint16_t avail_idx() const { return avail_idx_; }
    uint64_t desc() const { return desc_; }
    uint64_t avail() const { return avail_; }
    uint64_t used() const { return used_; }

  private:
    QtestClient& vm_;
    uint16_t size_;
    uint64_t desc_, avail_, used_;
    uint16_t next_free_ = 0;
    uint16_t avail_idx_ = 0;
};

// Feature bits of the modern interface.
constexpr uint64_t kFIndirect = 1ull << 28, kFEventIdx = 1ull << 29, kFVersion1 = 1ull << 32;
constexpr uint64_t kFDiscard = 1ull << 13, kFWriteZeroes = 1ull << 14, kFFlush = 1ull << 9;

// Resets and initializes the device through the modern common
// configuration with `features`, queue 0 of `size` entries; returns the
// status read back.
uint8_t modern_init(QtestClient& vm, uint64_t features, uint16_t size, const Ring& ring) {
    vm.writeb(kCommon + 0x14, 0);
    vm.writeb(kCommon + 0x14, kAck);
    vm.writeb(kCommon + 0x14, kAck | kDriver);
    vm.writel(kCommon + 0x08, 0);
    vm.writel(kCommon + 0x0c, static_cast<uint32_t>(features));
    vm.writel(kCommon + 0x08, 1);
    vm.writel(kCommon + 0x0c, static_cast<uint32_t>(features >> 32));
    vm.writeb(kCommon + 0x14, kAck | kDriver | kFeaturesOk);
    uint8_t status = vm.readb(kCommon + 0x14);
    if (!(status & kFeaturesOk)) return status;
    vm.writew(kCommon + 0x16, 0);
    vm.writew(kCommon + 0x18, size);
    vm.writel(kCommon + 0x20, static_cast<uint32_t>(ring.desc()));
    vm.writel(kCommon + 0x24, 0);
    vm.writel(kCommon + 0x28, static_cast<uint32_t>(ring.avail()));
    vm.writel(kCommon + 0x2c, 0);
    vm.writel(kCommon + 0x30, static_cast<uint32_t>(ring.used()));
    vm.writel(kCommon + 0x34, 0);
    vm.writew(kCommon + 0x1c, 1);
    vm.writeb(kCommon + 0x14, kAck | kDriver | kFeaturesOk | kDriverOk);
    return vm.readb(kCommon + 0x14);
}

void notify(QtestClient& vm) { vm.writew(kNotify, 0); }

// Writes a request header (type, sector) at `at`.
void header(QtestClient& vm, uint32_t type, uint64_t sector, uint64_t at = kHeader) {
    vm.writel(at, type);
    vm.writel(at + 4, 0);
    vm.writeq(at + 8, sector);
}

// MSI-X entry `vector` sends `data` to RAM at kMsiTarget + 4 * vector.
void msix_setup(QtestClient& vm, unsigned vector, uint32_t data) {
    vm.writel(kMsixBar + 16 * vector, static_cast<uint32_t>(kMsiTarget + 4 * vector));
    vm.writel(kMsixBar + 16 * vector + 4, 0);
    vm.writel(kMsixBar + 16 * vector + 8, data);
    vm.writel(kMsixBar + 16 * vector + 12, 0);  // unmasked
}
void msix_enable(QtestClient& vm) {
    uint32_t dword = pci_read(vm, 0x98);
    pci_write(vm, 0x98, dword | 0x80000000u);
}

}  // namespace

// The configuration space as QEMU 7.2 builds it (compared with Debian's
// qemu-system-x86_64 over qtest).
TEST(VirtioBlkPci, ConfigSpaceMatchesQemu) {
    TempImage image(kDiskBytes);
    struct Case {
        std::string extra;
        std::vector<uint32_t> expected;  // dwords from offset 0
    };
    const std::vector<uint32_t> caps = {
        0x01100009, 4,      0,      0x1000,     0x03104009, 4,      0x1000, 0x1000, 0x04105009,
        4,          0x2000, 0x1000, 0x02146009, 4,          0x3000, 0x1000, 4,      0x05147009,
        0,          0,      0,      0,          0x00018411, 1,      0x801};
    std::vector<uint32_t> transitional = {0x10011af4, 0x00100000, 0x01000000, 0,    1, 0,
                                          0,          0,          0x0000000c, 0,    0, 0x00021af4,
                                          0,          0x98,       0,          0x100};
    transitional.insert(transitional.end(), caps.begin(), caps.end());
    std::vector<uint32_t> modern = {0x10421af4, 0x00100000, 0x01000001, 0,    0, 0,
                                    0,          0,          0x0000000c, 0,    0, 0x11001af4,
                                    0,          0x98,       0,          0x100};
    modern.insert(modern.end(), caps.begin(), caps.end());
    std::vector<uint32_t> legacy = {0x10011af4, 0x00100000, 0x01000000, 0, 1,          0, 0,
                                    0,          0,          0,          0, 0x00021af4, 0, 0x40,
                                    0,          0x100,      0x00010011, 1, 0x801};
    for (const Case& c : {Case{"", transitional}, Case{"disable-legacy=on", modern},
                          Case{"disable-modern=on", legacy}}) {
        QtestClient vm(args(image, c.extra));
        for (size_t i = 0; i < c.expected.size(); ++i)
            EXPECT_EQ(pci_read(vm, static_cast<uint8_t>(4 * i)), c.expected[i])
                << c.extra << " at 0x" << std::hex << 4 * i;
    }
}

TEST(VirtioBlkPci, LegacyRegistersAndConfig) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image));
    enable(vm);
    EXPECT_EQ(vm.inl(kIo + 0x00), 0x79006e54u);  // QEMU 7.2's legacy host features
    EXPECT_EQ(vm.inw(kIo + 0x0c), 256);
    // Device config at 0x14 while MSI-X is off: capacity, seg_max, geometry.
    EXPECT_EQ(vm.inl(kIo + 0x14), kDiskBytes / 512);
    EXPECT_EQ(vm.inl(kIo + 0x14 + 12), 254u);
    EXPECT_EQ(vm.inl(kIo + 0x14 + 16), 0x3f100002u);
    EXPECT_EQ(vm.inl(kIo + 0x14 + 20), 512u);
    EXPECT_EQ(vm.inb(kIo + 0x14 + 56), 1);     // write_zeroes_may_unmap, the last byte
    EXPECT_EQ(vm.inb(kIo + 0x14 + 57), 0xff);  // past the 57 bytes
    // With MSI-X on, the two vector registers come first.
    msix_enable(vm);
    EXPECT_EQ(vm.inl(kIo + 0x18), kDiskBytes / 512);
    EXPECT_EQ(vm.inw(kIo + 0x14), 0xffff);
    vm.outw(kIo + 0x14, 1);
    EXPECT_EQ(vm.inw(kIo + 0x14), 1);
    vm.outw(kIo + 0x14, 7);  // beyond the two vectors
    EXPECT_EQ(vm.inw(kIo + 0x14), 0xffff);
}

TEST(VirtioBlkPci, LegacyRingReadsTheDisk) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image));
    vm.irq_intercept_in("pic");
    enable(vm);
    vm.outb(kIo + 0x12, 0);
    vm.outb(kIo + 0x12, kAck | kDriver);
    vm.outl(kIo + 0x04, static_cast<uint32_t>(kFIndirect));
    // The legacy layout: descriptors, available ring, used ring 4 KiB aligned.
    const uint64_t base = 0x200000;
    Ring ring(vm, 256, base, base + 16 * 256, base + 0x2000);
    vm.outw(kIo + 0x0e, 0);
    vm.outl(kIo + 0x08, base >> 12);
    vm.outb(kIo + 0x12, kAck | kDriver | kDriverOk);
    header(vm, 0, 3);
    ring.submit({{kHeader, 16, false}, {kData, 1024, true}, {kStatus, 1, true}}, true);
    EXPECT_FALSE(vm.irq_level(kIrq));
    vm.outw(kIo + 0x10, 0);
    EXPECT_EQ(ring.used_idx(), 1);
    EXPECT_EQ(ring.used_len(0), 1025u);
    EXPECT_EQ(vm.readb(kStatus), 0);
    std::vector<uint8_t> data = vm.memread(kData, 1024);
    for (size_t i = 0; i < data.size(); ++i)
        ASSERT_EQ(data[i], TempImage::expected(3 * 512 + i)) << i;
    // INTx from ISR bit 0; reading the ISR clears both.
    EXPECT_TRUE(vm.irq_level(kIrq));
    EXPECT_EQ(vm.inb(kIo + 0x13), 1);
    EXPECT_FALSE(vm.irq_level(kIrq));
    EXPECT_EQ(vm.inb(kIo + 0x13), 0);
}

TEST(VirtioBlkPci, ModernFeaturesAndCommonConfig) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image, "disable-legacy=on"));
    enable(vm);
    vm.writel(kCommon, 0);
    EXPECT_EQ(vm.readl(kCommon + 4), 0x30006e54u);
    vm.writel(kCommon, 1);
    EXPECT_EQ(vm.readl(kCommon + 4), 0x101u);  // VERSION_1, RING_RESET
    EXPECT_EQ(vm.readw(kCommon + 0x12), 1);
    EXPECT_EQ(vm.readw(kCommon + 0x18), 256);
    EXPECT_EQ(vm.readw(kCommon + 0x1a), 0xffff);
    EXPECT_EQ(vm.readl(kDevCfg), kDiskBytes / 512);
    EXPECT_EQ(vm.readl(kDevCfg + 44), 1u);  // discard_sector_alignment
    // Features the device does not offer (SCSI, bit 7): FEATURES_OK stays clear.
    Ring ring(vm, 256);
    EXPECT_FALSE(modern_init(vm, kFVersion1 | (1u << 7), 256, ring) & kFeaturesOk);
    // Without VERSION_1 the modern interface is not usable either way; with it, fine.
    EXPECT_EQ(modern_init(vm, kFVersion1 | kFIndirect, 256, ring),
              kAck | kDriver | kFeaturesOk | kDriverOk);
    // The PCI-configuration window reads the same registers.
    pci_write(vm, 0x84 + 4, 4);     // bar
    pci_write(vm, 0x84 + 8, 0x12);  // offset: num_queues
    pci_write(vm, 0x84 + 12, 2);    // length
    EXPECT_EQ(pci_read(vm, 0x84 + 16) & 0xffff, 1u);
    pci_write(vm, 0x84 + 8, 0x2000);
    pci_write(vm, 0x84 + 12, 4);
    EXPECT_EQ(pci_read(vm, 0x84 + 16), kDiskBytes / 512);
    // Status 0 resets: features and queues are gone.
    vm.writeb(kCommon + 0x14, 0);
    EXPECT_EQ(vm.readb(kCommon + 0x14), 0);
    EXPECT_EQ(vm.readw(kCommon + 0x1c), 0);
}

TEST(VirtioBlkPci, ModernRequestsWithMsix) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image, "serial=SERIAL-0123456789ABCDEFG", ",discard=unmap"));
    enable(vm);
    msix_enable(vm);
    msix_setup(vm, 0, 0xc0f1);
    msix_setup(vm, 1, 0xbeef);
    Ring ring(vm, 256);
    vm.writew(kCommon + 0x10, 0);  // config vector
    vm.writew(kCommon + 0x16, 0);
    vm.writew(kCommon + 0x1a, 1);  // queue 0 -> vector 1
    EXPECT_EQ(vm.readw(kCommon + 0x1a), 1);
    ASSERT_EQ(
        modern_init(vm, kFVersion1 | kFIndirect | kFDiscard | kFWriteZeroes | kFFlush, 256, ring) &
            kDriverOk,
        kDriverOk);
    // The queue vector was reset with the device: set it again after init.
    vm.writew(kCommon + 0x1a, 1);
    // Write 3 sectors from three buffers at sector 10.
    std::vector<uint8_t> pattern(1536);
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(0xa5 ^ i);
    vm.memwrite(kData, pattern);
    header(vm, 1, 10);
    ring.submit({{kHeader, 16, false},
                 {kData, 100, false},
                 {kData + 100, 1000, false},
                 {kData + 1100, 436, false},
                 {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(ring.used_idx(), 1);
    EXPECT_EQ(vm.readb(kStatus), 0);
    EXPECT_EQ(ring.used_len(0), 1u);
    EXPECT_EQ(vm.readl(kMsiTarget + 4), 0xbeefu);  // the message of vector 1
    EXPECT_EQ(image.read(10 * 512, 1536), pattern);
    // Read them back through an indirect table.
    vm.memwrite(kData + 0x4000, std::vector<uint8_t>(1536, 0));
    header(vm, 0, 10);
    ring.submit({{kHeader, 16, false}, {kData + 0x4000, 1536, true}, {kStatus, 1, true}}, true);
    notify(vm);
    EXPECT_EQ(ring.used_idx(), 2);
    EXPECT_EQ(vm.memread(kData + 0x4000, 1536), pattern);
    // get-id: the serial, 20 bytes at most.
    header(vm, 8, 0);
    ring.submit({{kHeader, 16, false}, {kData, 20, true}, {kStatus, 1, true}});
    notify(vm);
    std::vector<uint8_t> id = vm.memread(kData, 20);
    EXPECT_EQ(std::string(id.begin(), id.end()), "SERIAL-0123456789ABC");
    // flush
    header(vm, 4, 0);
    ring.submit({{kHeader, 16, false}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(vm.readb(kStatus), 0);
    // write-zeroes over sectors 10-11, then an unsupported flag.
    header(vm, 13, 0);
    vm.writeq(kData, 10);
    vm.writel(kData + 8, 2);
    vm.writel(kData + 12, 0);
    ring.submit({{kHeader, 16, false}, {kData, 16, false}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(vm.readb(kStatus), 0);
    EXPECT_EQ(image.read(10 * 512, 1024), std::vector<uint8_t>(1024, 0));
    EXPECT_EQ(image.read(12 * 512, 512),
              std::vector<uint8_t>(pattern.begin() + 1024, pattern.end()));
    vm.writel(kData + 12, 2);
    ring.submit({{kHeader, 16, false}, {kData, 16, false}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(vm.readb(kStatus), 2);  // UNSUPP
    // discard (discard=unmap on the drive): sector 12 reads zero after it.
    header(vm, 11, 0);
    vm.writeq(kData, 12);
    vm.writel(kData + 8, 1);
    vm.writel(kData + 12, 0);
    ring.submit({{kHeader, 16, false}, {kData, 16, false}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(vm.readb(kStatus), 0);
    EXPECT_EQ(image.read(12 * 512, 512), std::vector<uint8_t>(512, 0));
    // Outside the disk, a partial sector, an unknown type.
    header(vm, 0, kDiskBytes / 512);
    ring.submit({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(vm.readb(kStatus), 1);  // IOERR
    header(vm, 0, 0);
    ring.submit({{kHeader, 16, false}, {kData, 100, true}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(vm.readb(kStatus), 1);
    header(vm, 99, 0);
    ring.submit({{kHeader, 16, false}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(vm.readb(kStatus), 2);
    EXPECT_EQ(ring.used_idx(), ring.avail_idx());
    EXPECT_EQ(vm.readb(kCommon + 0x14) & kNeedsReset, 0);
}

TEST(VirtioBlkPci, ReadOnlyDriveRefusesWrites) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image, "disable-legacy=on", ",readonly=on"));
    enable(vm);
    vm.writel(kCommon, 0);
    EXPECT_TRUE(vm.readl(kCommon + 4) & (1u << 5));  // VIRTIO_BLK_F_RO
    Ring ring(vm, 16);
    ASSERT_EQ(modern_init(vm, kFVersion1, 16, ring) & kDriverOk, kDriverOk);
    header(vm, 1, 0);
    ring.submit({{kHeader, 16, false}, {kData, 512, false}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(vm.readb(kStatus), 1);
    EXPECT_EQ(image.read(0, 1)[0], TempImage::expected(0));
}

// Event index: the device writes avail_event as it consumes, and
// interrupts only when used_idx passes the driver's used_event.
TEST(VirtioBlkPci, EventIndexSuppressesInterrupts) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image, "disable-legacy=on"));
    vm.irq_intercept_in("pic");
    enable(vm);
    Ring ring(vm, 8);
    ASSERT_EQ(modern_init(vm, kFVersion1 | kFEventIdx, 8, ring) & kDriverOk, kDriverOk);
    // The first completion always interrupts (nothing signalled yet, as
    // QEMU); then only the one that makes used_idx pass used_event = 2.
    ring.set_used_event(2);
    for (int n = 0; n < 4; ++n) {
        header(vm, 0, static_cast<uint64_t>(n));
        ring.submit({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}});
        notify(vm);
        EXPECT_EQ(ring.avail_event(), n + 1);
        bool expected = n == 0 || n == 2;
        EXPECT_EQ(vm.irq_level(kIrq), expected) << n;
        EXPECT_EQ(vm.readb(kIsr), expected ? 1 : 0) << n;
        EXPECT_FALSE(vm.irq_level(kIrq));
    }
}

// A small ring used many times over: heads and used slots wrap around.
TEST(VirtioBlkPci, RingWrapsAround) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image, "disable-legacy=on"));
    enable(vm);
    Ring ring(vm, 4);
    ASSERT_EQ(modern_init(vm, kFVersion1, 4, ring) & kDriverOk, kDriverOk);
    for (int n = 0; n < 21; ++n) {
        header(vm, 0, static_cast<uint64_t>(n));
        // Two-descriptor chains on a 4-entry table: the second one's
        // descriptors wrap from slot 3 to slot 0.
        ring.submit({{kHeader, 16, false}, {kData, 513, true}});
        notify(vm);
        ASSERT_EQ(ring.used_idx(), n + 1);
        EXPECT_EQ(ring.used_len(static_cast<uint16_t>(n)), 513u);
        EXPECT_EQ(vm.readb(kData), TempImage::expected(512u * n)) << n;
        EXPECT_EQ(vm.readb(kData + 512), 0) << n;  // status OK
    }
}

// Malformed rings and requests: the device stops, sets NEEDS_RESET and
// signals a configuration change; a reset makes it usable again.
TEST(VirtioBlkPci, BadDescriptorsNeedReset) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image, "disable-legacy=on"));
    enable(vm);
    msix_enable(vm);
    msix_setup(vm, 0, 0xc0f1);
    struct Case {
        const char* what;
        std::function<void(QtestClient&, Ring&)> make;
    };
    auto plain = [](QtestClient& v, Ring& r, uint16_t head) {
        v.writew(kAvail + 4, head);
        v.writew(kAvail + 2, 1);
        (void)r;
    };
    std::vector<Case> cases = {
        {"a chain that loops",
         [&](QtestClient& v, Ring& r) {
             header(v, 0, 0);
             r.write_desc(kDesc, 0, kHeader, 16, kNext, 1);
             r.write_desc(kDesc, 1, kData, 512, kNext | kWrite, 0);
             plain(v, r, 0);
         }},
        {"a head beyond the ring", [&](QtestClient& v, Ring& r) { plain(v, r, 9); }},
        {"a next beyond the ring",
         [&](QtestClient& v, Ring& r) {
             header(v, 0, 0);
             r.write_desc(kDesc, 0, kHeader, 16, kNext, 200);
             plain(v, r, 0);
         }},
        {"a buffer outside RAM",
         [&](QtestClient& v, Ring& r) {
             header(v, 0, 0);
             r.write_desc(kDesc, 0, kHeader, 16, kNext, 1);
             r.write_desc(kDesc, 1, 0x7ff00000000ull, 512, kNext | kWrite, 2);
             r.write_desc(kDesc, 2, kStatus, 1, kWrite, 0);
             plain(v, r, 0);
         }},
        {"a buffer on the device's own BAR",
         [&](QtestClient& v, Ring& r) {
             header(v, 0, 0);
             r.write_desc(kDesc, 0, kHeader, 16, kNext, 1);
             r.write_desc(kDesc, 1, kCommon, 512, kNext | kWrite, 2);
             r.write_desc(kDesc, 2, kStatus, 1, kWrite, 0);
             plain(v, r, 0);
         }},
        {"a nested indirect table",
         [&](QtestClient& v, Ring& r) {
             r.write_desc(kIndirect, 0, kIndirect, 32, kIndirectFlag, 0);
             r.write_desc(kDesc, 0, kIndirect, 32, kIndirectFlag, 0);
             plain(v, r, 0);
         }},
        {"an indirect table of a partial descriptor",
         [&](QtestClient& v, Ring& r) {
             r.write_desc(kDesc, 0, kIndirect, 20, kIndirectFlag, 0);
             plain(v, r, 0);
         }},
        {"an indirect table that loops",
         [&](QtestClient& v, Ring& r) {
             header(v, 0, 0);
             r.write_desc(kIndirect, 0, kHeader, 16, kNext, 1);
             r.write_desc(kIndirect, 1, kData, 16, kNext | kWrite, 0);
             r.write_desc(kDesc, 0, kIndirect, 32, kIndirectFlag, 0);
             plain(v, r, 0);
         }},
        {"a readable buffer after a writable one",
         [&](QtestClient& v, Ring& r) {
             header(v, 0, 0);
             r.write_desc(kDesc, 0, kStatus, 1, kNext | kWrite, 1);
             r.write_desc(kDesc, 1, kHeader, 16, 0, 0);
             plain(v, r, 0);
         }},
        {"no room for the header",
         [&](QtestClient& v, Ring& r) {
             r.write_desc(kDesc, 0, kHeader, 8, kNext, 1);
             r.write_desc(kDesc, 1, kStatus, 1, kWrite, 0);
             plain(v, r, 0);
         }},
        {"an available index far ahead", [&](QtestClient& v, Ring&) { v.writew(kAvail + 2, 500); }},
        {"an available ring moved off RAM",
         [&](QtestClient& v, Ring&) {
             v.writel(kCommon + 0x28, 0xfed00000u);  // the HPET's registers
         }},
    };
    for (const Case& c : cases) {
        Ring ring(vm, 16);
        vm.memwrite(kIndirect, std::vector<uint8_t>(64, 0));
        ASSERT_EQ(modern_init(vm, kFVersion1 | kFIndirect, 16, ring) & kDriverOk, kDriverOk)
            << c.what;
        vm.writew(kCommon + 0x10, 0);  // config changes on vector 0
        vm.writel(kMsiTarget, 0);
        c.make(vm, ring);
        notify(vm);
        uint8_t status = vm.readb(kCommon + 0x14);
        EXPECT_TRUE(status & kNeedsReset) << c.what;
        EXPECT_EQ(vm.readl(kMsiTarget), 0xc0f1u) << c.what << ": no configuration interrupt";
        EXPECT_EQ(vm.readb(kCommon + 0x15) != 0, true) << c.what << ": config generation";
        EXPECT_EQ(ring.used_idx(), 0) << c.what;
    }
    // After a reset the device works again.
    Ring ring(vm, 16);
    ASSERT_EQ(modern_init(vm, kFVersion1, 16, ring), kAck | kDriver | kFeaturesOk | kDriverOk);
    header(vm, 0, 1);
    ring.submit({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(ring.used_idx(), 1);
    EXPECT_EQ(vm.readb(kStatus), 0);
}

// Thousands of rounds of random rings, descriptors and addresses (RAM,
// MMIO, nowhere, the device itself): the emulator survives each, and every
// round ends with the device either having completed what it took or
// asking for a reset.
TEST(VirtioBlkPci, RandomDescriptorsNeverHarmTheHost) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image, "disable-legacy=on"));
    enable(vm);
    std::mt19937_64 rng(0x5eed1234);
    const uint64_t interesting[] = {kHeader,
                                    kData,
                                    kStatus,
                                    kDesc,
                                    kAvail,
                                    kUsed,
                                    kIndirect,
                                    kCommon,
                                    kNotify,
                                    0xfee00000,
                                    0xfffff000,
                                    0x7ffffff000ull,
                                    0xffffffffffffff00ull,
                                    0x9fc00,
                                    0xa0000,
                                    0};
    int broken = 0, completed = 0;
    constexpr int kRounds = 3000;
    for (int round = 0; round < kRounds; ++round) {
        uint16_t size = static_cast<uint16_t>(1u << (rng() % 5 + 1));  // 2..32
        Ring ring(vm, size);
        if ((modern_init(vm, kFVersion1 | kFIndirect | kFEventIdx, size, ring) & kDriverOk) == 0) {
            ADD_FAILURE() << "round " << round << ": init failed";
            break;
        }
        // Garbage descriptors: addresses from the interesting set plus
        // random offsets, random lengths, flags and links.
        std::vector<uint8_t> table(16u * size);
        for (uint16_t i = 0; i < size; ++i) {
            uint64_t addr =
                interesting[rng() % std::size(interesting)] + (rng() % 3 == 0 ? rng() % 0x2000 : 0);
            if (rng() % 8 == 0) addr = rng();
            uint32_t len =
                rng() % 4 == 0 ? static_cast<uint32_t>(rng()) : static_cast<uint32_t>(rng() % 2048);
            uint16_t flags = static_cast<uint16_t>(rng() % 8);
            uint16_t next = static_cast<uint16_t>(rng() % 3 == 0 ? rng() : rng() % size);
            for (int b = 0; b < 8; ++b) table[16u * i + b] = static_cast<uint8_t>(addr >> (8 * b));
            for (int b = 0; b < 4; ++b)
                table[16u * i + 8 + b] = static_cast<uint8_t>(len >> (8 * b));
            table[16u * i + 12] = static_cast<uint8_t>(flags);
            table[16u * i + 13] = 0;
            table[16u * i + 14] = static_cast<uint8_t>(next);
            table[16u * i + 15] = static_cast<uint8_t>(next >> 8);
        }
        // A quarter of the rounds carry one well-formed chain first.
        bool sane = rng() % 4 == 0;
        if (sane) {
            const Buffer chain[] = {{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}};
            for (uint16_t i = 0; i < 3 && i < size; ++i) {
                std::fill(table.begin() + 16 * i, table.begin() + 16 * i + 16, 0);
                for (int b = 0; b < 8; ++b)
                    table[16u * i + b] = static_cast<uint8_t>(chain[i].addr >> (8 * b));
                table[16u * i + 8] = static_cast<uint8_t>(chain[i].len);
                table[16u * i + 9] = static_cast<uint8_t>(chain[i].len >> 8);
                table[16u * i + 12] = static_cast<uint8_t>((chain[i].device_writes ? kWrite : 0) |
                                                           (i < 2 ? kNext : 0));
                table[16u * i + 14] = static_cast<uint8_t>(i + 1);
            }
        }
        vm.memwrite(kDesc, table);
        std::vector<uint8_t> indirect(256);
        for (uint8_t& b : indirect) b = static_cast<uint8_t>(rng());
        vm.memwrite(kIndirect, indirect);
        // Random request headers, available entries and index.
        std::vector<uint8_t> hdr(16);
        for (uint8_t& b : hdr) b = static_cast<uint8_t>(rng());
        hdr[0] = static_cast<uint8_t>(rng() % 16);
        hdr[1] = hdr[2] = hdr[3] = 0;
        vm.memwrite(kHeader, hdr);
        std::vector<uint8_t> avail(4u + 2u * size + 2u);
        for (uint8_t& b : avail) b = static_cast<uint8_t>(rng() % 3 == 0 ? rng() : rng() % size);
        uint16_t idx = static_cast<uint16_t>(rng() % 4 == 0 ? rng() : rng() % (size + 1u));
        if (sane && size >= 4) {
            avail[4] = avail[5] = 0;
            idx = 1;
        }
        avail[2] = static_cast<uint8_t>(idx);
        avail[3] = static_cast<uint8_t>(idx >> 8);
        vm.memwrite(kAvail, avail);
        notify(vm);
        uint8_t status = vm.readb(kCommon + 0x14);
        uint16_t used = ring.used_idx();
        // (The used ring itself may have been a random buffer's target,
        // so only count what happened.)
        if (status & kNeedsReset)
            ++broken;
        else if (idx && used == idx)
            ++completed;
    }
    EXPECT_GT(broken, kRounds / 10);
    EXPECT_GT(completed, 0);
    // Still serving: a good request after all that.
    Ring ring(vm, 16);
    ASSERT_EQ(modern_init(vm, kFVersion1, 16, ring) & kDriverOk, kDriverOk);
    header(vm, 0, 2);
    ring.submit({{kHeader, 16, false}, {kData, 512, true}, {kStatus, 1, true}});
    notify(vm);
    EXPECT_EQ(vm.readb(kStatus), 0);
    EXPECT_EQ(vm.readb(kData), TempImage::expected(1024));
}

namespace {

// The contents of fw_cfg file `name` ("" if absent), through the I/O ports.
std::string fw_cfg_file(QtestClient& vm, const std::string& name) {
    auto read_bytes = [&](size_t n) {
        std::vector<uint8_t> out(n);
        for (uint8_t& b : out) b = vm.inb(0x511);
        return out;
    };
    auto be = [](const std::vector<uint8_t>& b, size_t at, size_t n) {
        uint32_t v = 0;
        for (size_t i = 0; i < n; ++i) v = v << 8 | b[at + i];
        return v;
    };
    vm.outw(0x510, 0x19);
    uint32_t count = be(read_bytes(4), 0, 4);
    for (uint32_t i = 0; i < count; ++i) {
        std::vector<uint8_t> entry = read_bytes(64);
        std::string entry_name(reinterpret_cast<const char*>(entry.data() + 8));
        if (entry_name != name) continue;
        uint32_t size = be(entry, 0, 4);
        vm.outw(0x510, static_cast<uint16_t>(be(entry, 4, 2)));
        std::vector<uint8_t> data = read_bytes(size);
        return std::string(data.begin(), data.end());
    }
    return {};
}

}  // namespace

// bootindex= gives fw_cfg's "bootorder" the OpenFirmware paths QEMU 7.2
// writes for the same command line (compared with Debian's QEMU).
TEST(VirtioBlkPci, BootindexOrdersBootorderAsQemu) {
    TempImage a(kDiskBytes), b(kDiskBytes);
    QtestClient vm({"-drive", "file=" + a.path() + ",format=raw,if=none,id=d0", "-device",
                    "virtio-blk-pci,drive=d0,bootindex=5,class=0x0180,addr=6.2,multifunction=on",
                    "-device", "e1000,bootindex=2", "-drive",
                    "file=" + b.path() + ",format=raw,if=none,id=d1", "-device",
                    "virtio-blk-pci,drive=d1,bootindex=3", "-boot", "strict=on"});
    EXPECT_EQ(fw_cfg_file(vm, "bootorder"),
              std::string("/pci@i0cf8/ethernet@4/ethernet-phy@0\n/pci@i0cf8/scsi@5/disk@0,0\n"
                          "/pci@i0cf8/pci1af4,1001@6,2/disk@0,0\nHALT\0",
                          106));
}

TEST(VirtioBlkPci, NoBootindexNoBootorder) {
    TempImage a(kDiskBytes);
    QtestClient vm(args(a));
    EXPECT_EQ(fw_cfg_file(vm, "bootorder"), "");
}

// virtio-rng-pci: each buffer the driver offers is filled from the rng=
// back end; an rng-random object reading a known file shows exactly
// those bytes arriving, in order, across buffers and an indirect table.
TEST(VirtioRngPci, BuffersFilledFromTheBackend) {
    TempImage source(8192);  // rng-random reads this file
    QtestClient vm({"-nodefaults", "-object", "rng-random,id=r0,filename=" + source.path(),
                    "-device", "virtio-rng-pci,rng=r0,addr=" + std::to_string(kSlot)});
    EXPECT_EQ(pci_read(vm, 0x00), 0x10051af4u);
    EXPECT_EQ(pci_read(vm, 0x08), 0x00ff0000u);
    EXPECT_EQ(pci_read(vm, 0x2c), 0x00041af4u);
    enable(vm);
    EXPECT_EQ(vm.inw(kIo + 0x0c), 8);  // one queue of 8
    Ring ring(vm, 8);
    ASSERT_EQ(modern_init(vm, kFVersion1 | kFIndirect, 8, ring) & kDriverOk, kDriverOk);
    vm.memwrite(kData, std::vector<uint8_t>(3000, 0));
    ring.submit({{kData, 1000, true}});
    ring.submit({{kData + 1000, 500, true}, {kData + 1500, 1500, true}}, true);
    notify(vm);
    ASSERT_EQ(ring.used_idx(), 2);
    EXPECT_EQ(ring.used_len(0), 1000u);
    EXPECT_EQ(ring.used_len(1), 2000u);
    std::vector<uint8_t> got = vm.memread(kData, 3000);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], TempImage::expected(i)) << i;
    // A device-readable buffer is a request the device cannot serve: it
    // completes with nothing written, as QEMU.
    ring.submit({{kData, 16, false}});
    notify(vm);
    EXPECT_EQ(ring.used_idx(), 3);
    EXPECT_EQ(ring.used_len(2), 0u);
}

TEST(VirtioRngPci, BadRingNeedsReset) {
    QtestClient vm({"-nodefaults", "-device", "virtio-rng-pci,addr=" + std::to_string(kSlot)});
    enable(vm);
    Ring ring(vm, 8);
    ASSERT_EQ(modern_init(vm, kFVersion1, 8, ring) & kDriverOk, kDriverOk);
    ring.submit({{0xfee00000, 64, true}});  // the APIC, not RAM
    notify(vm);
    EXPECT_TRUE(vm.readb(kCommon + 0x14) & kNeedsReset);
    EXPECT_EQ(ring.used_idx(), 0);
}

// Without MSI-X, breaking the device raises INTx with ISR = 3 (QEMU sets
// both bits for a configuration change).
TEST(VirtioBlkPci, NeedsResetSignalsConfigChangeOnIntx) {
    TempImage image(kDiskBytes);
    QtestClient vm(args(image, "disable-legacy=on"));
    vm.irq_intercept_in("pic");
    enable(vm);
    Ring ring(vm, 16);
    ASSERT_EQ(modern_init(vm, kFVersion1, 16, ring) & kDriverOk, kDriverOk);
    vm.writew(kAvail + 4, 99);  // a head beyond the ring
    vm.writew(kAvail + 2, 1);
    notify(vm);
    EXPECT_TRUE(vm.readb(kCommon + 0x14) & kNeedsReset);
    EXPECT_TRUE(vm.irq_level(kIrq));
    EXPECT_EQ(vm.readb(kIsr), 3);
    EXPECT_FALSE(vm.irq_level(kIrq));
    // Broken: further kicks do nothing until a reset.
    notify(vm);
    EXPECT_EQ(vm.readb(kIsr), 0);
}
