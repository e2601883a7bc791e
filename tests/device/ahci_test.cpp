// ich9-ahci through the real binary, driven over qtest as an AHCI driver
// would: the PCI function as QEMU 7.2's, HBA and port registers, command
// list and FIS receive area, IDENTIFY through a Register H2D FIS, DMA and
// PIO reads and writes scattered over PRD tables and checked against the
// image, ATAPI on an ide-cd, NCQ with Set Device Bits FISes, COMRESET, SRST
// and HBA reset, INTx from PxIS/PxIE/GHC.IE, and malformed command tables
// (bad pointers, short or empty PRD tables, unknown FISes) that must end in
// an error status, never a crash or a hang.
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
constexpr uint16_t kIdp = 0xc000;
constexpr uint64_t kAbar = 0xfebf0000;
constexpr int kIrq = 11;
constexpr uint64_t kDiskBytes = 1 << 20;

// Guest RAM for port 0's structures and the data buffers.
constexpr uint64_t kClb = 0x100000, kFb = 0x101000, kTable = 0x102000, kData = 0x110000, kData2 = 0x130000;

// Port registers.
constexpr uint64_t kPxClb = 0x00, kPxFb = 0x08, kPxIs = 0x10, kPxIe = 0x14, kPxCmd = 0x18, kPxTfd = 0x20,
                   kPxSig = 0x24, kPxSsts = 0x28, kPxSctl = 0x2c, kPxSact = 0x34, kPxCi = 0x38;
constexpr uint32_t kDhrs = 1, kPss = 2, kSdbs = 8, kHbfs = 1u << 29, kTfes = 1u << 30;

class TempImage {
  public:
    TempImage(uint64_t size, unsigned seed) {
        char name[] = "/tmp/mimic-ahci-XXXXXX";
        int fd = mkstemp(name);
        path_ = name;
        std::vector<uint8_t> data(size);
        for (uint64_t i = 0; i < size; ++i) data[i] = expected(i, seed);
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
    static uint8_t expected(uint64_t i, unsigned seed) { return static_cast<uint8_t>(i * 13 + i / 512 + seed); }

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

std::vector<std::string> args(const std::string& devices) {
    std::vector<std::string> a = {"-nodefaults", "-device", "ahci,id=ahci,addr=" + std::to_string(kSlot)};
    size_t start = 0;
    while (start < devices.size()) {
        size_t end = devices.find(' ', start);
        if (end == std::string::npos) end = devices.size();
        a.push_back(devices.substr(start, end - start));
        start = end + 1;
    }
    return a;
}
std::vector<std::string> disk_args(const TempImage& image, const std::string& extra = "") {
    return args("-drive file=" + image.path() + ",format=raw,if=none,id=d0 -device ide-hd,drive=d0,bus=ahci.0" +
                extra);
}

// BARs mapped, decoding and bus mastering on, INTA routed to IRQ 11.
void enable(QtestClient& vm, uint32_t command = 0x0007) {
    pci_write(vm, 0x20, kIdp);
    pci_write(vm, 0x24, static_cast<uint32_t>(kAbar));
    pci_write(vm, 0x04, command);
    int pirq = (kSlot - 1) & 3;
    vm.outl(0xcf8, 0x80000000u | (1 << 11) | 0x60);
    vm.outb(static_cast<uint16_t>(0xcfc + pirq), kIrq);
    vm.outb(0x4d1, static_cast<uint8_t>(vm.inb(0x4d1) | 1 << (kIrq - 8)));
}

uint32_t preg(QtestClient& vm, int port, uint64_t reg) { return vm.readl(kAbar + 0x100 + 0x80 * port + reg); }
void set_preg(QtestClient& vm, int port, uint64_t reg, uint32_t value) {
    vm.writel(kAbar + 0x100 + 0x80 * port + reg, value);
}

// Port 0 with its command list and receive area, engines on.
void start_port(QtestClient& vm, int port = 0) {
    vm.memwrite(kClb, std::vector<uint8_t>(1024, 0));
    vm.memwrite(kFb, std::vector<uint8_t>(256, 0));
    set_preg(vm, port, kPxClb, static_cast<uint32_t>(kClb));
    set_preg(vm, port, kPxFb, static_cast<uint32_t>(kFb));
    set_preg(vm, port, kPxCmd, 0x16);  // FRE | POD | SUD
    set_preg(vm, port, kPxIs, 0xffffffff);
    set_preg(vm, port, kPxCmd, 0x17);  // | ST
}

struct Prd {
    uint64_t addr;
    uint32_t bytes;
};

struct Command {
    uint8_t command = 0;
    uint8_t features = 0;
    uint64_t lba = 0;
    uint16_t count = 0;
    uint8_t device = 0x40;
    bool write = false;
    bool atapi = false;
    std::vector<uint8_t> packet;
    std::vector<Prd> prds;
    uint8_t fis_type = 0x27;
    uint8_t flags = 0x80;  // C: command register
    uint8_t control = 0;
    uint64_t table = kTable;
    int prdtl = -1;  // -1: prds.size()
};

// Writes `c` as the command header of `slot` and its table.
void build(QtestClient& vm, int slot, const Command& c) {
    uint64_t table = c.table + 0x1000ull * slot;
    std::vector<uint8_t> t(0x80 + 16 * c.prds.size(), 0);
    t[0] = c.fis_type;
    t[1] = c.flags;
    t[2] = c.command;
    t[3] = c.features;
    t[4] = c.lba & 0xff;
    t[5] = (c.lba >> 8) & 0xff;
    t[6] = (c.lba >> 16) & 0xff;
    t[7] = c.device;
    t[8] = (c.lba >> 24) & 0xff;
    t[9] = (c.lba >> 32) & 0xff;
    t[10] = (c.lba >> 40) & 0xff;
    t[11] = 0;
    t[12] = c.count & 0xff;
    t[13] = c.count >> 8;
    t[15] = c.control;
    for (size_t i = 0; i < c.packet.size(); ++i) t[0x40 + i] = c.packet[i];
    for (size_t i = 0; i < c.prds.size(); ++i) {
        uint8_t* e = &t[0x80 + 16 * i];
        for (int b = 0; b < 8; ++b) e[b] = static_cast<uint8_t>(c.prds[i].addr >> (8 * b));
        uint32_t dbc = c.prds[i].bytes - 1;
        for (int b = 0; b < 4; ++b) e[12 + b] = static_cast<uint8_t>(dbc >> (8 * b));
    }
    if (c.table < 0x100000000ull) vm.memwrite(table, t);
    uint32_t prdtl = c.prdtl >= 0 ? static_cast<uint32_t>(c.prdtl) : static_cast<uint32_t>(c.prds.size());
    uint32_t dw0 = 5 | (c.atapi ? 1u << 5 : 0) | (c.write ? 1u << 6 : 0) | prdtl << 16;
    uint64_t header = kClb + 32ull * slot;
    vm.writel(header, dw0);
    vm.writel(header + 4, 0xdeadbeef);  // PRDBC: the HBA must rewrite it
    vm.writel(header + 8, static_cast<uint32_t>(table));
    vm.writel(header + 12, static_cast<uint32_t>(table >> 32));
}

// Issues slot 0 and returns PxIS (cleared afterwards).
uint32_t run(QtestClient& vm, const Command& c, int port = 0) {
    build(vm, 0, c);
    set_preg(vm, port, kPxCi, 1);
    uint32_t is = preg(vm, port, kPxIs);
    set_preg(vm, port, kPxIs, is);
    return is;
}

uint32_t prdbc(QtestClient& vm, int slot = 0) { return vm.readl(kClb + 32ull * slot + 4); }

std::string ata_string(const std::vector<uint8_t>& id, int word, int words) {
    std::string s;
    for (int i = 0; i < words; ++i) {
        s += static_cast<char>(id[2 * (word + i) + 1]);
        s += static_cast<char>(id[2 * (word + i)]);
    }
    return s;
}

}  // namespace

TEST(Ahci, PciFunctionAndHbaRegistersAsQemu) {
    QtestClient vm(args(""));
    EXPECT_EQ(pci_read(vm, 0x00), 0x29228086u);
    EXPECT_EQ(pci_read(vm, 0x08), 0x01060102u);  // class 01.06.01, revision 2
    EXPECT_EQ(pci_read(vm, 0x3c) >> 8 & 0xff, 1u);  // INTA
    EXPECT_EQ(pci_read(vm, 0x34) & 0xff, 0x80u);
    EXPECT_EQ(pci_read(vm, 0x80), 0x0080a805u);  // MSI, 64-bit, one vector, then the SATA capability
    EXPECT_EQ(pci_read(vm, 0xa8), 0x00100012u);  // SATA capability, revision 1.0, last
    EXPECT_EQ(pci_read(vm, 0xac), 0x48u);  // index/data pair: BAR4, offset 10h
    EXPECT_EQ(pci_read(vm, 0x90) & 0xff, 0x40u);
    pci_write(vm, 0x24, 0xffffffff);
    EXPECT_EQ(pci_read(vm, 0x24), 0xfffff000u);  // 4 KiB of memory
    pci_write(vm, 0x20, 0xffffffff);
    EXPECT_EQ(pci_read(vm, 0x20), 0xffffffe1u);  // 32 I/O ports
    enable(vm);
    EXPECT_EQ(vm.readl(kAbar + 0x00), 0xc0141f05u);  // CAP: 6 ports, 32 slots, NCQ, 64-bit
    EXPECT_EQ(vm.readl(kAbar + 0x04), 0x80000000u);  // GHC.AE
    EXPECT_EQ(vm.readl(kAbar + 0x0c), 0x3fu);
    EXPECT_EQ(vm.readl(kAbar + 0x10), 0x00010000u);
    EXPECT_EQ(vm.readl(kAbar + 0x24), 0u);  // CAP2
    EXPECT_EQ(vm.readw(kAbar + 0x02), 0xc014u);  // narrow reads inside a register
    // The index/data pair reaches the same registers.
    vm.outl(kIdp + 0x10, 0x00);
    EXPECT_EQ(vm.inl(kIdp + 0x14), 0xc0141f05u);
    vm.outl(kIdp + 0x10, 0x100 + 0x18);
    EXPECT_EQ(vm.inl(kIdp + 0x14), 0x6u);  // P0CMD: SUD | POD after reset
    // No device: no link, no signature.
    EXPECT_EQ(preg(vm, 0, kPxSsts), 0u);
    EXPECT_EQ(preg(vm, 0, kPxSig), 0xffffffffu);
}

TEST(Ahci, IdentifyThroughACommandFisWithInterrupts) {
    TempImage image(kDiskBytes, 1);
    QtestClient vm(disk_args(image));
    vm.irq_intercept_in("ioapic");
    enable(vm);
    EXPECT_EQ(preg(vm, 0, kPxSsts), 0x113u);
    EXPECT_EQ(preg(vm, 0, kPxSig), 0xffffffffu);  // until the receive area is on
    start_port(vm);
    EXPECT_EQ(preg(vm, 0, kPxSig), 0x101u);
    EXPECT_EQ(vm.readb(kFb + 0x40), 0x34);  // the device's first D2H FIS
    EXPECT_EQ(preg(vm, 0, kPxCmd) & 0xc011, 0xc011u);  // ST, FRE, FR, CR

    set_preg(vm, 0, kPxIe, kDhrs | kPss | kTfes);
    vm.writel(kAbar + 0x04, 0x80000002);  // GHC.IE
    EXPECT_FALSE(vm.irq_level(kIrq));
    Command c;
    c.command = 0xec;
    c.device = 0;
    c.prds = {{kData, 512}};
    build(vm, 0, c);
    set_preg(vm, 0, kPxCi, 1);
    EXPECT_EQ(preg(vm, 0, kPxCi), 0u);
    EXPECT_EQ(preg(vm, 0, kPxIs), kDhrs | kPss);
    EXPECT_EQ(vm.readl(kAbar + 0x08), 1u);
    EXPECT_TRUE(vm.irq_level(kIrq));
    EXPECT_EQ(prdbc(vm), 512u);
    EXPECT_EQ(preg(vm, 0, kPxTfd), 0x50u);
    EXPECT_EQ(vm.readb(kFb + 0x40), 0x34);
    EXPECT_EQ(vm.readb(kFb + 0x42), 0x50);
    EXPECT_EQ(vm.readb(kFb + 0x20), 0x5f);  // PIO Setup
    std::vector<uint8_t> id = vm.memread(kData, 512);
    EXPECT_EQ(ata_string(id, 10, 10).substr(0, 7), "QM00005");  // after the PIIX's four
    EXPECT_EQ(id[75 * 2], 31);                                  // NCQ depth 32
    EXPECT_EQ(id[76 * 2 + 1] & 1, 1);
    uint32_t sectors = id[60 * 2] | id[60 * 2 + 1] << 8 | id[61 * 2] << 16 | id[61 * 2 + 1] << 24;
    EXPECT_EQ(sectors, kDiskBytes / 512);
    uint8_t sum = 0;
    for (uint8_t b : id) sum = static_cast<uint8_t>(sum + b);
    EXPECT_EQ(sum, 0);
    // PxIS clears the line; GHC.IE masks it.
    set_preg(vm, 0, kPxIs, kDhrs | kPss);
    EXPECT_FALSE(vm.irq_level(kIrq));
    EXPECT_EQ(vm.readl(kAbar + 0x08), 0u);
    vm.writel(kAbar + 0x04, 0x80000000);
    build(vm, 0, c);
    set_preg(vm, 0, kPxCi, 1);
    EXPECT_EQ(vm.readl(kAbar + 0x08), 1u);  // pending, but GHC.IE is off
    EXPECT_FALSE(vm.irq_level(kIrq));
    vm.writel(kAbar + 0x04, 0x80000002);
    EXPECT_TRUE(vm.irq_level(kIrq));
    set_preg(vm, 0, kPxIe, 0);
    EXPECT_FALSE(vm.irq_level(kIrq));

    // With MSI enabled the completion is a message instead (QEMU's 0x80).
    constexpr uint64_t kMsiTarget = 0x700000;
    set_preg(vm, 0, kPxIs, 0xffffffff);
    set_preg(vm, 0, kPxIe, kDhrs | kPss | kTfes);
    pci_write(vm, 0x84, static_cast<uint32_t>(kMsiTarget));
    pci_write(vm, 0x88, 0);
    pci_write(vm, 0x8c, 0x4242);
    pci_write(vm, 0x80, 0x0001a805);  // enable
    build(vm, 0, c);
    set_preg(vm, 0, kPxCi, 1);
    EXPECT_EQ(vm.readl(kMsiTarget), 0x4242u);
    EXPECT_FALSE(vm.irq_level(kIrq));
}

TEST(Ahci, DmaAndPioReadsAndWritesMatchTheImage) {
    TempImage image(kDiskBytes, 2);
    QtestClient vm(disk_args(image));
    enable(vm);
    start_port(vm);
    // READ DMA EXT, 8 sectors from LBA 3 over two buffers.
    Command read;
    read.command = 0x25;
    read.lba = 3;
    read.count = 8;
    read.prds = {{kData, 1024}, {kData2, 3072}};
    EXPECT_EQ(run(vm, read), kDhrs);
    EXPECT_EQ(prdbc(vm), 4096u);
    std::vector<uint8_t> got = vm.memread(kData, 1024), more = vm.memread(kData2, 3072);
    got.insert(got.end(), more.begin(), more.end());
    EXPECT_EQ(got, image.read(3 * 512, 4096));

    // WRITE DMA (LBA28), 3 sectors to LBA 100.
    std::vector<uint8_t> pattern(1536);
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(0xa5 ^ i);
    vm.memwrite(kData, pattern);
    Command write;
    write.command = 0xca;
    write.lba = 100;
    write.count = 3;
    write.write = true;
    write.prds = {{kData, 1536}};
    EXPECT_EQ(run(vm, write), kDhrs);
    EXPECT_EQ(image.read(100 * 512, 1536), pattern);

    // READ SECTORS (PIO), 2 sectors: two DRQ blocks into one buffer.
    Command pio;
    pio.command = 0x20;
    pio.lba = 100;
    pio.count = 2;
    pio.prds = {{kData2, 1024}};
    vm.memwrite(kData2, std::vector<uint8_t>(1024, 0));
    EXPECT_EQ(run(vm, pio), kDhrs | kPss);
    EXPECT_EQ(vm.memread(kData2, 1024), std::vector<uint8_t>(pattern.begin(), pattern.begin() + 1024));
    // WRITE SECTORS (PIO EXT) back.
    Command pio_write;
    pio_write.command = 0x34;
    pio_write.lba = 200;
    pio_write.count = 2;
    pio_write.write = true;
    pio_write.prds = {{kData, 512}, {kData + 512, 512}};
    EXPECT_EQ(run(vm, pio_write), kDhrs | kPss);
    EXPECT_EQ(image.read(200 * 512, 1024), std::vector<uint8_t>(pattern.begin(), pattern.begin() + 1024));
    // Outside the disk: aborted.
    read.lba = kDiskBytes / 512 - 1;
    read.count = 2;
    EXPECT_EQ(run(vm, read), kDhrs | kTfes);
    EXPECT_EQ(preg(vm, 0, kPxTfd), 0x0441u);
}

TEST(Ahci, AtapiReadOnIdeCd) {
    TempImage iso(64 * 2048, 3);
    QtestClient vm(args("-drive file=" + iso.path() +
                        ",format=raw,if=none,id=cd0,media=cdrom,readonly=on -device ide-cd,drive=cd0,bus=ahci.1"));
    enable(vm);
    start_port(vm, 1);
    EXPECT_EQ(preg(vm, 1, kPxSig), 0xeb140101u);
    // TEST UNIT READY reports the new medium first; REQUEST SENSE clears it.
    Command tur;
    tur.command = 0xa0;
    tur.atapi = true;
    tur.device = 0;
    tur.packet = std::vector<uint8_t>(12, 0);
    run(vm, tur, 1);
    // READ(10), 2 sectors from LBA 5: by DMA...
    Command read = tur;
    read.features = 1;
    read.packet = {0x28, 0, 0, 0, 0, 5, 0, 0, 2, 0, 0, 0};
    read.prds = {{kData, 4096}};
    EXPECT_EQ(run(vm, read, 1), kDhrs);
    EXPECT_EQ(vm.memread(kData, 4096), iso.read(5 * 2048, 4096));
    EXPECT_EQ(prdbc(vm), 4096u);
    // ...and by PIO, in byte-count-limited blocks.
    read.features = 0;
    read.lba = 0x0800 << 8;  // byte count limit 2048 in LBA mid/high
    read.packet = {0x28, 0, 0, 0, 0, 9, 0, 0, 3, 0, 0, 0};
    read.prds = {{kData2, 2048}, {kData2 + 0x1000, 4096}};
    EXPECT_EQ(run(vm, read, 1), kDhrs | kPss);
    std::vector<uint8_t> got = vm.memread(kData2, 2048), more = vm.memread(kData2 + 0x1000, 4096);
    got.insert(got.end(), more.begin(), more.end());
    EXPECT_EQ(got, iso.read(9 * 2048, 6144));
    // Past the medium: CHECK CONDITION.
    read.packet = {0x28, 0, 0, 0, 0, 64, 0, 0, 1, 0, 0, 0};
    EXPECT_NE(run(vm, read, 1) & kTfes, 0u);
    // IDENTIFY PACKET DEVICE.
    Command idp = tur;
    idp.command = 0xa1;
    idp.atapi = false;
    idp.prds = {{kData, 512}};
    EXPECT_EQ(run(vm, idp, 1), kDhrs | kPss);
    EXPECT_EQ(vm.readb(kData + 1) >> 6, 2);  // ATAPI
}

TEST(Ahci, NcqReadsAndWritesCompleteWithSetDeviceBits) {
    TempImage image(kDiskBytes, 4);
    QtestClient vm(disk_args(image));
    enable(vm);
    start_port(vm);
    std::vector<uint8_t> pattern(2048);
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 7 + 1);
    vm.memwrite(kData2, pattern);
    // Tag 2: READ FPDMA QUEUED, 4 sectors at LBA 20; tag 5: WRITE, 4 at 40.
    Command read;
    read.command = 0x60;
    read.features = 4;  // count in the features register
    read.lba = 20;
    read.count = 2 << 3;  // tag in count bits 7:3
    read.prds = {{kData, 2048}};
    Command write = read;
    write.command = 0x61;
    write.lba = 40;
    write.count = 5 << 3;
    write.write = true;
    write.prds = {{kData2, 2048}};
    build(vm, 2, read);
    build(vm, 5, write);
    set_preg(vm, 0, kPxSact, (1u << 2) | (1u << 5));
    EXPECT_EQ(preg(vm, 0, kPxSact), (1u << 2) | (1u << 5));
    set_preg(vm, 0, kPxCi, (1u << 2) | (1u << 5));
    EXPECT_EQ(preg(vm, 0, kPxCi), 0u);
    EXPECT_EQ(preg(vm, 0, kPxSact), 0u);
    EXPECT_EQ(preg(vm, 0, kPxIs), kSdbs);
    EXPECT_EQ(vm.readb(kFb + 0x58), 0xa1);          // Set Device Bits
    EXPECT_EQ(vm.readl(kFb + 0x5c), 1u << 5);       // the last one's tag
    EXPECT_EQ(vm.readb(kFb + 0x00), 0x41);          // DMA Setup
    EXPECT_EQ(vm.memread(kData, 2048), image.read(20 * 512, 2048));
    EXPECT_EQ(image.read(40 * 512, 2048), pattern);
    set_preg(vm, 0, kPxIs, 0xffffffff);
    // Beyond the disk: the tag stays active, the error in TFD.
    read.lba = kDiskBytes / 512 - 2;
    set_preg(vm, 0, kPxSact, 1u << 2);
    build(vm, 2, read);
    set_preg(vm, 0, kPxCi, 1u << 2);
    EXPECT_EQ(preg(vm, 0, kPxIs), kSdbs | kTfes);
    EXPECT_EQ(preg(vm, 0, kPxSact), 1u << 2);
    EXPECT_EQ(preg(vm, 0, kPxTfd) & 0xff01, 0x0401u);
}

TEST(Ahci, PortResetSoftResetAndHbaReset) {
    TempImage image(kDiskBytes, 5);
    QtestClient vm(disk_args(image));
    enable(vm);
    start_port(vm);
    set_preg(vm, 0, kPxIs, 0xffffffff);
    vm.writeb(kFb + 0x40, 0);
    // COMRESET: SCTL.DET 1 then 0; the device sends its signature again.
    set_preg(vm, 0, kPxSctl, 1);
    set_preg(vm, 0, kPxSctl, 0);
    EXPECT_EQ(vm.readb(kFb + 0x40), 0x34);
    EXPECT_EQ(preg(vm, 0, kPxSig), 0x101u);
    EXPECT_EQ(preg(vm, 0, kPxIs), kDhrs);
    set_preg(vm, 0, kPxIs, 0xffffffff);
    // SRST through two control FISes (C clear), as Linux's softreset.
    Command srst;
    srst.flags = 0;
    srst.control = 0x04;
    EXPECT_EQ(run(vm, srst), 0u);
    vm.writeb(kFb + 0x40, 0);
    srst.control = 0;
    EXPECT_EQ(run(vm, srst), kDhrs);
    EXPECT_EQ(vm.readb(kFb + 0x40), 0x34);
    EXPECT_EQ(preg(vm, 0, kPxSig), 0x101u);
    // HBA reset: registers back to their reset values, HR reads 0.
    set_preg(vm, 0, kPxIe, 0xff);
    vm.writel(kAbar + 0x04, 0x80000002);
    vm.writel(kAbar + 0x04, 0x00000001);
    EXPECT_EQ(vm.readl(kAbar + 0x04), 0x80000000u);
    EXPECT_EQ(preg(vm, 0, kPxIe), 0u);
    EXPECT_EQ(preg(vm, 0, kPxCmd), 0x6u);
    EXPECT_EQ(preg(vm, 0, kPxSig), 0xffffffffu);
    EXPECT_EQ(preg(vm, 0, kPxTfd), 0x7fu);
    // And the port works again once started.
    start_port(vm);
    Command read;
    read.command = 0xc8;
    read.lba = 1;
    read.count = 1;
    read.prds = {{kData, 512}};
    EXPECT_EQ(run(vm, read), kDhrs);
    EXPECT_EQ(vm.memread(kData, 512), image.read(512, 512));
}

TEST(Ahci, MalformedCommandsEndInErrorsNotCrashes) {
    TempImage image(40 * kDiskBytes, 6);  // room for a 32 MiB request
    QtestClient vm(disk_args(image));
    enable(vm);
    start_port(vm);
    Command read;
    read.command = 0x25;
    read.lba = 0;
    read.count = 8;
    // A PRD table shorter than the data.
    read.prds = {{kData, 1024}};
    EXPECT_EQ(run(vm, read), kDhrs | kTfes);
    // No PRD table at all.
    read.prds.clear();
    EXPECT_EQ(run(vm, read), kDhrs | kTfes);
    // A PRDTL promising 65535 entries of 4 MiB each: only what the command
    // needs is read, and it ends.
    read.prds = {{kData, 4096}};
    read.prdtl = 65535;
    EXPECT_EQ(run(vm, read), kDhrs);
    read.prdtl = -1;
    // A buffer nothing decodes: master abort, Host Bus Fatal Error.
    EXPECT_EQ(pci_read(vm, 0x04) >> 16 & 0x2000, 0u);
    read.prds = {{0xfee00000ull + (1ull << 40), 4096}};
    EXPECT_EQ(run(vm, read), kDhrs | kHbfs | kTfes);
    EXPECT_NE(pci_read(vm, 0x04) >> 16 & 0x2000, 0u);
    // A command table nothing decodes.
    read.prds = {{kData, 4096}};
    read.table = 1ull << 40;
    EXPECT_EQ(run(vm, read) & (kHbfs | kTfes), kHbfs | kTfes);
    read.table = kTable;
    // A FIS that is not Register H2D, and a port-multiplier port.
    Command odd;
    odd.fis_type = 0x39;
    EXPECT_EQ(run(vm, odd), kDhrs | kTfes);
    odd.fis_type = 0x27;
    odd.flags = 0x85;
    EXPECT_EQ(run(vm, odd), kDhrs | kTfes);
    // An unknown ATA command.
    Command unknown;
    unknown.command = 0xfe;
    EXPECT_EQ(run(vm, unknown), kDhrs | kTfes);
    // A DMA command whose length is the whole 32 MiB an LBA48 count allows,
    // over a table of 1 KiB: no host buffer of that size, an error status.
    vm.limit_address_space(64 << 20);
    read.count = 0;
    read.prds = {{kData, 1024}};
    EXPECT_EQ(run(vm, read), kDhrs | kTfes);
    // Still working afterwards.
    read.count = 2;
    EXPECT_EQ(run(vm, read), kDhrs);
    EXPECT_EQ(vm.memread(kData, 1024), image.read(0, 1024));
    // Bus mastering off: the command waits in PxCI.
    pci_write(vm, 0x04, 0x0003);
    build(vm, 0, read);
    set_preg(vm, 0, kPxCi, 1);
    EXPECT_EQ(preg(vm, 0, kPxCi), 1u);
    // Stopping the engine drops it.
    set_preg(vm, 0, kPxCmd, 0x16);
    EXPECT_EQ(preg(vm, 0, kPxCi), 0u);
    EXPECT_EQ(preg(vm, 0, kPxCmd) & 0x8001, 0u);
}

TEST(Ahci, IdeDevicePlacementErrorsAsQemu) {
    TempImage image(kDiskBytes, 7);
    std::string drive = "-drive file=" + image.path() + ",format=raw,if=none,id=d0 ";
    const std::pair<std::string, std::string> cases[] = {
        {drive + "-device ide-hd,drive=d0,bus=ahci.0,unit=1", "Can't create IDE unit 1, bus supports only 1 units"},
        {drive + "-device ide-hd,drive=d0,bus=ahci.0 -device ide-cd,bus=ahci.0",
         "Can't create IDE unit 1, bus supports only 1 units"},
        {"-device ide-hd,bus=ahci.1", "No drive specified"},
        {"-device ide-cd,bus=ide.0 -device ide-cd,bus=ide.0 -device ide-cd,bus=ide.0", "IDE unit 1 is in use"},
        // A -drive if=ide where a -device already sits: refused, not shared.
        {"-drive file=" + image.path() + ",format=raw,if=ide,index=2 -device ide-cd,bus=ide.1,unit=0",
         "IDE unit 0 is in use"},
    };
    for (const auto& [options, message] : cases) {
        try {
            QtestClient vm(args(options));
            ADD_FAILURE() << options << ": started";
        } catch (const mimic::test::QtestError& e) {
            EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << options << ": " << e.what();
        }
    }
}

// Thousands of random command headers, FISes and PRD tables (lengths up to
// 4 MiB an entry, tables up to 65535 entries, buffers anywhere): every
// command must complete (PxCI drains), the host must not grow, and a proper
// command works afterwards.
TEST(Ahci, RandomCommandTablesNeverHarmTheHost) {
    TempImage image(4 * kDiskBytes, 8);
    QtestClient vm(disk_args(image));
    enable(vm);
    start_port(vm);
    vm.limit_address_space(256 << 20);
    std::mt19937 rng(20261208);
    auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
    const uint8_t kCommands[] = {0xec, 0x25, 0x35, 0xc8, 0xca, 0x20, 0x30, 0x24, 0x34, 0xc4, 0xc5, 0x60,
                                 0x61, 0xa0, 0xa1, 0xe7, 0xef, 0x91, 0xc6, 0x40, 0x42, 0xf8, 0x27, 0x08};
    for (int round = 0; round < 1500; ++round) {
        Command c;
        c.fis_type = pick(8) ? 0x27 : static_cast<uint8_t>(rng());
        c.flags = pick(8) ? 0x80 : static_cast<uint8_t>(rng());
        c.command = pick(6) ? kCommands[pick(sizeof kCommands)] : static_cast<uint8_t>(rng());
        c.features = static_cast<uint8_t>(rng());
        c.lba = pick(4) ? pick(8192) : (uint64_t{rng()} << 16 | rng());
        c.count = static_cast<uint16_t>(pick(2) ? pick(64) : rng());
        c.device = static_cast<uint8_t>(pick(2) ? 0x40 : rng());
        c.control = static_cast<uint8_t>(pick(4) ? 0 : rng());
        c.write = pick(2);
        c.atapi = pick(4) == 0;
        for (int i = 0; i < 16; ++i) c.packet.push_back(static_cast<uint8_t>(rng()));
        size_t entries = pick(6);
        for (size_t i = 0; i < entries; ++i) {
            uint64_t addr = pick(4) ? kData + pick(0x20000) : (uint64_t{rng()} << 32 | rng());
            uint32_t bytes = pick(3) ? 1 + pick(8192) : 1 + pick(4u << 20);
            c.prds.push_back({addr, bytes});
        }
        if (pick(8) == 0) c.prdtl = static_cast<int>(pick(65536));
        if (pick(16) == 0) c.table = (uint64_t{rng()} << 32 | rng()) & ~uint64_t{0x7f};
        int slot = static_cast<int>(pick(32));
        build(vm, slot, c);
        if (pick(3) == 0) set_preg(vm, 0, kPxSact, 1u << slot);
        set_preg(vm, 0, kPxCi, 1u << slot);
        ASSERT_EQ(preg(vm, 0, kPxCi), 0u) << "round " << round;
        set_preg(vm, 0, kPxIs, 0xffffffff);
        if (pick(50) == 0) {
            // Now and then a reset, as a driver recovering would.
            set_preg(vm, 0, kPxCmd, 0x16);
            set_preg(vm, 0, kPxSctl, 1);
            set_preg(vm, 0, kPxSctl, 0);
            start_port(vm);
        }
    }
    vm.writel(kAbar + 0x04, 1);  // HBA reset
    start_port(vm);
    Command read;
    read.command = 0x25;
    read.lba = 7;
    read.count = 2;
    read.prds = {{kData2, 1024}};
    EXPECT_EQ(run(vm, read), kDhrs);
    // The image may have been written by the random commands: compare with it.
    EXPECT_EQ(vm.memread(kData2, 1024), image.read(7 * 512, 1024));
}

// ide-hd's properties reach IDENTIFY as in QEMU: model, firmware version,
// world wide name, rotation rate, physical block size, CHS geometry and
// the write cache; out-of-range geometry and unsupported error policies
// are refused.
TEST(Ahci, DevicePropertiesReachIdentify) {
    TempImage image(kDiskBytes, 1);
    QtestClient vm(disk_args(image, ",model=TestDisk,ver=1.2,wwn=0x5000c50015ea71ac,rotation_rate=1,"
                                    "physical_block_size=4096,cyls=100,heads=8,secs=32,write-cache=off"));
    enable(vm);
    start_port(vm);
    Command c;
    c.command = 0xec;
    c.prds = {{kData, 512}};
    run(vm, c);
    std::vector<uint8_t> id = vm.memread(kData, 512);
    auto word = [&](int n) { return static_cast<uint16_t>(id[2 * n] | id[2 * n + 1] << 8); };
    EXPECT_EQ(ata_string(id, 27, 20).substr(0, 8), "TestDisk");
    EXPECT_EQ(ata_string(id, 23, 4).substr(0, 3), "1.2");
    EXPECT_EQ(word(1), 100);
    EXPECT_EQ(word(3), 8);
    EXPECT_EQ(word(6), 32);
    EXPECT_EQ(word(84) & 0x100, 0x100);
    EXPECT_EQ(word(108), 0x5000);
    EXPECT_EQ(word(111), 0x71ac);
    EXPECT_EQ(word(106), 0x6003);  // 8 logical blocks per physical one
    EXPECT_EQ(word(217), 1);       // non-rotating
    EXPECT_EQ(word(85) & 0x20, 0);  // write cache off

    for (const auto& [props, message] : std::vector<std::pair<std::string, std::string>>{
             {",cyls=70000,heads=16,secs=63", "cyls must be between 1 and 65535"},
             {",cyls=100,heads=17,secs=63", "heads must be between 1 and 16"},
             {",werror=stop", "not supported"},
             {",physical_block_size=1000", "Property .physical_block_size doesn't take value '1000', it's not a power of 2"}}) {
        TempImage other(kDiskBytes, 2);  // the first VM holds the image's lock
        try {
            QtestClient bad(disk_args(other, props));
            ADD_FAILURE() << props << " accepted";
        } catch (const std::exception& e) {
            EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
        }
    }
}
