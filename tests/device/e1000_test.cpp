// The "e1000" PCI function through the real binary: its identity and BARs,
// the option ROM, registers through BAR0 and the IOADDR/IODATA window in
// BAR1, the EEPROM, a frame sent in PHY loopback mode coming back into the
// RX ring by bus-master DMA with an INTx interrupt routed by PIIX3, and
// frames both ways through a -netdev socket back end (UDP on loopback).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "qtest_client.h"

using mimic::test::QtestClient;
using mimic::test::QtestError;

namespace {

constexpr int kSlot = 4;
constexpr int kDevfn = kSlot << 3;
constexpr uint32_t kMmio = 0xfebc0000;
constexpr uint16_t kIo = 0xc000;
constexpr int kIrq = 11;

void pci_write(QtestClient& vm, uint8_t offset, uint32_t value) {
    vm.outl(0xcf8, 0x80000000u | (kDevfn << 8) | offset);
    vm.outl(0xcfc, value);
}
uint32_t pci_read(QtestClient& vm, uint8_t offset) {
    vm.outl(0xcf8, 0x80000000u | (kDevfn << 8) | offset);
    return vm.inl(0xcfc);
}

// Maps the BARs, enables decoding and bus mastering, routes INTA to IRQ 11.
void enable(QtestClient& vm) {
    pci_write(vm, 0x10, kMmio);
    pci_write(vm, 0x14, kIo);
    pci_write(vm, 0x04, 0x0007);
    int pirq = (kSlot - 1) & 3;  // INTA swizzled by slot
    vm.outl(0xcf8, 0x80000000u | (1 << 11) | 0x60);
    vm.outb(static_cast<uint16_t>(0xcfc + pirq), kIrq);
    // Level-triggered at the PIC, as SeaBIOS sets PCI lines up.
    vm.outb(0x4d1, static_cast<uint8_t>(vm.inb(0x4d1) | 1 << (kIrq - 8)));
}

// RX on: eight descriptors at `ring` (RDLEN counts in 128-byte units) with
// 4 KiB buffers from `buffers`, the first `free` of them given to the card;
// broadcast accepted and the RXT0 interrupt enabled.
void start_receive(QtestClient& vm, uint64_t ring, uint64_t buffers, uint32_t free) {
    for (int i = 0; i < 8; ++i) {
        vm.writeq(ring + 16 * i, buffers + 0x1000 * i);
        vm.writeq(ring + 16 * i + 8, 0);
    }
    vm.writel(kMmio + 0x2800, static_cast<uint32_t>(ring));
    vm.writel(kMmio + 0x2808, 128);
    vm.writel(kMmio + 0x2818, free);          // RDT
    vm.writel(kMmio + 0x100, 0x2 | 0x8000);  // RCTL: EN, BAM
    vm.clock_step(1100 * 1000 * 1000ll);      // RX starts a second after RCTL
    vm.writel(kMmio + 0xd0, 0x80);            // IMS: RXT0
}

std::vector<std::string> args(const std::string& extra = "") {
    return {"-device", "e1000,addr=" + std::to_string(kSlot) + (extra.empty() ? "" : "," + extra)};
}

}  // namespace

TEST(E1000, PciIdentityBarsAndOptionRom) {
    QtestClient vm(args());
    EXPECT_EQ(pci_read(vm, 0x00), 0x100e8086u);
    EXPECT_EQ(pci_read(vm, 0x08), 0x02000003u);  // class 02 00 00, rev 3
    EXPECT_EQ(pci_read(vm, 0x2c), 0x11001af4u);
    EXPECT_EQ(pci_read(vm, 0x3c) >> 8 & 0xff, 1u);  // INTA
    pci_write(vm, 0x10, 0xffffffff);
    EXPECT_EQ(pci_read(vm, 0x10), 0xfffe0000u);  // 128 KiB memory
    pci_write(vm, 0x14, 0xffffffff);
    EXPECT_EQ(pci_read(vm, 0x14), 0xffffffc1u);  // 64 bytes of I/O
    // efi-e1000.rom from the firmware path, as QEMU loads it.
    pci_write(vm, 0x30, 0xfffff800);
    EXPECT_NE(pci_read(vm, 0x30) & 0xfffff800, 0u);
    pci_write(vm, 0x30, 0xfeb00001);
    pci_write(vm, 0x04, 0x0002);
    EXPECT_EQ(vm.readw(0xfeb00000), 0xaa55);
}

TEST(E1000, ModelsDifferInDeviceAndPhyIds) {
    struct Case {
        const char* type;
        uint32_t ids;
        uint16_t phy_id2;
    };
    for (const Case& c : {Case{"e1000-82540em", 0x100e8086u, 0x0c20}, Case{"e1000-82544gc", 0x10088086u, 0x0c30},
                          Case{"e1000-82545em", 0x100f8086u, 0x0c20}}) {
        QtestClient vm({"-nic", "none", "-device", std::string(c.type) + ",addr=" + std::to_string(kSlot)});
        EXPECT_EQ(pci_read(vm, 0x00), c.ids) << c.type;
        enable(vm);
        vm.writel(kMmio + 0x20, 1u << 27 | 1u << 21 | 3u << 16);
        EXPECT_EQ(vm.readl(kMmio + 0x20) & 0xffff, c.phy_id2) << c.type;
        vm.writel(kMmio + 0x14, 11u << 8 | 1);  // EEPROM word 11: the device ID
        EXPECT_EQ(vm.readl(kMmio + 0x14) >> 16, c.ids >> 16) << c.type;
    }
}

TEST(E1000, EmptyRomfileMeansNoRom) {
    QtestClient vm(args("romfile="));
    pci_write(vm, 0x30, 0xfffff800);
    EXPECT_EQ(pci_read(vm, 0x30), 0u);
}

TEST(E1000, RomsizeSetsTheRomBarAsQemu) {
    {
        QtestClient vm(args("romsize=524288"));
        pci_write(vm, 0x30, 0xfffff800);
        EXPECT_EQ(pci_read(vm, 0x30) & 0xfffff800, 0xfff80000u);
    }
    for (auto [value, error] : {std::pair{"3000", "ROM size 3000 is not a power of two"},
                                std::pair{"4096", "is too large for ROM size 4096"}}) {
        try {
            QtestClient vm(args(std::string("romsize=") + value));
            ADD_FAILURE() << "started with romsize=" << value;
        } catch (const QtestError& e) {
            EXPECT_NE(std::string(e.what()).find(error), std::string::npos) << e.what();
        }
    }
}

TEST(E1000, RegistersEepromAndIoWindow) {
    QtestClient vm(args("mac=52:54:00:ab:cd:ef"));
    enable(vm);
    EXPECT_EQ(vm.readl(kMmio + 0x8), 0x80080783u);  // STATUS: link up, 1000 FD
    EXPECT_EQ(vm.readl(kMmio + 0x5400), 0xab005452u);  // RAL0 from the MAC
    EXPECT_EQ(vm.readl(kMmio + 0x5404), 0x8000efcdu);
    uint16_t sum = 0;
    for (uint32_t word = 0; word < 64; ++word) {
        vm.writel(kMmio + 0x14, word << 8 | 1);
        uint32_t eerd = vm.readl(kMmio + 0x14);
        ASSERT_TRUE(eerd & 0x10);
        sum = static_cast<uint16_t>(sum + (eerd >> 16));
        if (word == 1) {
            EXPECT_EQ(eerd >> 16, 0xab00u);  // 52:54:00:ab: bytes 2 and 3
        }
    }
    EXPECT_EQ(sum, 0xbaba);
    // IOADDR/IODATA.
    vm.outl(kIo, 0x5404);
    EXPECT_EQ(vm.inl(kIo + 4), 0x8000efcdu);
    // MDIC: PHY identifier.
    vm.writel(kMmio + 0x20, 1u << 27 | 1u << 21 | 2u << 16);
    EXPECT_EQ(vm.readl(kMmio + 0x20) & 0x1000ffffu, 0x10000141u);
}

TEST(E1000, LoopbackFrameArrivesByDmaWithAnInterrupt) {
    QtestClient vm(args());
    vm.irq_intercept_in("pic");
    enable(vm);
    const uint64_t tx_ring = 0x10000, rx_ring = 0x11000, tx_buf = 0x20000, rx_buf = 0x30000;
    start_receive(vm, rx_ring, rx_buf, 7);
    // PHY loopback, then one broadcast frame through the TX ring.
    vm.writel(kMmio + 0x20, 1u << 26 | 1u << 21 | 0u << 16 | 0x5140);
    std::vector<uint8_t> frame(6, 0xff);
    for (int i = 0; i < 6; ++i) frame.push_back(static_cast<uint8_t>(0x50 + i));
    frame.push_back(0x08);
    frame.push_back(0x06);
    for (int i = 0; i < 50; ++i) frame.push_back(static_cast<uint8_t>(i));
    vm.memwrite(tx_buf, frame);
    vm.writeq(tx_ring, tx_buf);
    vm.writel(tx_ring + 8, static_cast<uint32_t>(frame.size()) | 0x09000000);  // EOP | RS
    vm.writel(tx_ring + 12, 0);
    vm.writel(kMmio + 0x3800, tx_ring);
    vm.writel(kMmio + 0x3808, 128);
    vm.writel(kMmio + 0x400, 0x2);  // TCTL: EN
    EXPECT_FALSE(vm.irq_level(kIrq));
    vm.writel(kMmio + 0x3818, 1);   // TDT
    EXPECT_EQ(vm.readl(tx_ring + 12) & 1, 1u);  // TX descriptor done
    EXPECT_EQ(vm.memread(rx_buf, frame.size()), frame);
    EXPECT_EQ(vm.readw(rx_ring + 8), frame.size() + 4);
    EXPECT_EQ(vm.readb(rx_ring + 12), 0x7);
    EXPECT_EQ(vm.readl(kMmio + 0xc8), 0x83u);  // ICS mirrors ICR: RXT0 | TXQE | TXDW
    EXPECT_TRUE(vm.irq_level(kIrq));
    EXPECT_EQ(vm.readl(kMmio + 0xc0) & 0x80, 0x80u);  // ICR, read to clear
    EXPECT_FALSE(vm.irq_level(kIrq));
}

namespace {

// A UDP socket on the host's loopback: the far end of `-netdev socket,udp=`,
// which carries one Ethernet frame per datagram.
struct UdpPeer {
    int fd = -1;
    uint16_t port = 0;
    UdpPeer() {
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
    }
    ~UdpPeer() { close(fd); }
    void send_to(uint16_t to, const std::vector<uint8_t>& frame) const {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(to);
        sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    std::vector<uint8_t> receive(int timeout_ms = 5000) const {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) != 1) return {};
        std::vector<uint8_t> frame(65536);
        ssize_t n = recv(fd, frame.data(), frame.size(), 0);
        frame.resize(n > 0 ? static_cast<size_t>(n) : 0);
        return frame;
    }
};

uint16_t free_udp_port() {
    UdpPeer probe;
    return probe.port;
}

}  // namespace

TEST(E1000, SocketBackendCarriesFramesBothWays) {
    UdpPeer peer;
    uint16_t guest_side = free_udp_port();
    QtestClient vm({"-nic", "none", "-netdev",
                    "socket,id=n0,udp=127.0.0.1:" + std::to_string(peer.port) +
                        ",localaddr=127.0.0.1:" + std::to_string(guest_side),
                    "-device", "e1000,addr=" + std::to_string(kSlot) + ",netdev=n0"});
    vm.irq_intercept_in("pic");
    enable(vm);
    const uint64_t tx_ring = 0x10000, rx_ring = 0x11000, tx_buf = 0x20000, rx_buf = 0x30000;
    start_receive(vm, rx_ring, rx_buf, 1);

    // Host -> guest: into the RX ring.
    std::vector<uint8_t> in = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};
    for (int i = 0; i < 100; ++i) in.push_back(static_cast<uint8_t>(i));
    peer.send_to(guest_side, in);
    bool arrived = false;
    for (int i = 0; i < 500 && !arrived; ++i) {
        arrived = vm.readb(rx_ring + 12) & 1;
        if (!arrived) usleep(10000);
    }
    ASSERT_TRUE(arrived);
    EXPECT_EQ(vm.memread(rx_buf, in.size()), in);
    EXPECT_TRUE(vm.irq_level(kIrq));
    // The ring is full now: the next frame waits until the guest frees a
    // descriptor by moving RDT.
    std::vector<uint8_t> second = in;
    second.back() = 0xee;
    peer.send_to(guest_side, second);
    usleep(200000);  // time for the datagram to reach the card, if it could
    EXPECT_EQ(vm.readb(rx_ring + 16 + 12) & 1, 0);
    vm.writel(kMmio + 0x2818, 2);
    arrived = false;
    for (int i = 0; i < 500 && !arrived; ++i) {
        arrived = vm.readb(rx_ring + 16 + 12) & 1;
        if (!arrived) usleep(10000);
    }
    ASSERT_TRUE(arrived);
    EXPECT_EQ(vm.memread(rx_buf + 0x1000, second.size()), second);

    // Guest -> host: a TX descriptor becomes a datagram.
    std::vector<uint8_t> out(6, 0xff);
    for (int i = 0; i < 6; ++i) out.push_back(static_cast<uint8_t>(0x52 + i));
    out.push_back(0x08);
    out.push_back(0x06);
    for (int i = 0; i < 46; ++i) out.push_back(static_cast<uint8_t>(0xa0 + i));
    vm.memwrite(tx_buf, out);
    vm.writeq(tx_ring, tx_buf);
    vm.writel(tx_ring + 8, static_cast<uint32_t>(out.size()) | 0x09000000);
    vm.writel(tx_ring + 12, 0);
    vm.writel(kMmio + 0x3800, tx_ring);
    vm.writel(kMmio + 0x3808, 128);
    vm.writel(kMmio + 0x400, 0x2);
    vm.writel(kMmio + 0x3818, 1);
    EXPECT_EQ(peer.receive(), out);
}

// A TX ring nothing decodes: the walk stops where it is (TDH stays), and
// the function records the PCI master abort in its status register.
TEST(E1000, TxRingOutsideMemoryIsAMasterAbort) {
    QtestClient vm(args());
    enable(vm);
    EXPECT_EQ(pci_read(vm, 0x04) >> 16 & 0x2000, 0u);
    vm.writel(kMmio + 0x3800, 0x20000000);  // TDBAL: 512 MiB, beyond RAM
    vm.writel(kMmio + 0x3804, 0);
    vm.writel(kMmio + 0x3808, 128);         // TDLEN: eight descriptors
    vm.writel(kMmio + 0x0400, 0x2);         // TCTL.EN
    vm.writel(kMmio + 0x3818, 1);           // TDT
    EXPECT_EQ(vm.readl(kMmio + 0x3810), 0u);  // TDH
    EXPECT_EQ(pci_read(vm, 0x04) >> 16 & 0x2000, 0x2000u);
    pci_write(vm, 0x04, 0x2000u << 16 | 0x0007);  // write 1 to clear
    EXPECT_EQ(pci_read(vm, 0x04) >> 16 & 0x2000, 0u);
}
