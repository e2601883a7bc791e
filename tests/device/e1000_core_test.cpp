// The e1000 MAC in-process on a RAM address space, linked to a test back end
// (a network client that records what it receives and can send): EEPROM,
// PHY and reset, the TX ring with checksum offload and TCP segmentation, the
// RX ring with filtering, flow control when the ring is full, link status,
// and rings a guest points at nothing.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "e1000_core.h"
#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/clock.h"
#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/net/net_client.h"

using namespace mimic;
using namespace mimic::hw::e1000;

namespace {

using Frame = std::vector<uint8_t>;

const qom::MacAddress kMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
const Frame kOurMac(kMac.bytes.begin(), kMac.bytes.end());
const Frame kPeerMac = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

// The other end of the cable.
class TestBackend : public net::NetClient {
public:
    TestBackend() : NetClient(net::ClientKind::kSocket, "test-backend") {}
    std::string info_str() const override { return "test"; }
    std::vector<Frame> received;

protected:
    void receive(std::span<const uint8_t> frame) override { received.emplace_back(frame.begin(), frame.end()); }
};

// Register byte offsets used below.
constexpr uint32_t CTRL = 0x0, STATUS = 0x8, EECD = 0x10, EERD = 0x14, MDIC = 0x20, ICR = 0xc0, ICS = 0xc8,
                   IMS = 0xd0, IMC = 0xd8, RCTL = 0x100, TCTL = 0x400, RDBAL = 0x2800, RDBAH = 0x2804,
                   RDLEN = 0x2808, RDH = 0x2810, RDT = 0x2818, TDBAL = 0x3800, TDBAH = 0x3804, TDLEN = 0x3808,
                   TDH = 0x3810, TDT = 0x3818, RAL0 = 0x5400, RAH0 = 0x5404, MTA = 0x5200, GPRC = 0x4074,
                   GPTC = 0x4080, TPT = 0x40d4, ROC = 0x40ac, GORCL = 0x4088, GORCH = 0x408c, VET = 0x38;

constexpr uint64_t kTxRing = 0x1000, kRxRing = 0x2000, kTxBuffers = 0x10000, kRxBuffers = 0x40000;
constexpr uint32_t kRxEntries = 8;

struct Rig {
    memory::MemoryRegion root, ram;
    std::unique_ptr<memory::AddressSpace> space;
    std::unique_ptr<Core> core;
    TestBackend backend;
    bool irq = false;
    bool bus_master = true;

    explicit Rig(Options options = {}) {
        if (!bql_locked()) bql_lock();
        set_virtual_clock_mode(VirtualClockMode::kManual);
        root.init_container("system", UINT64_MAX);
        ram.init_ram("ram", 1 << 20);
        root.add_subregion(0, ram);
        space = std::make_unique<memory::AddressSpace>(root, "memory");
        BusInterface bus;
        bus.dma = space.get();
        bus.bus_master = [this] { return bus_master; };
        bus.set_irq = [this](bool level) { irq = level; };
        core = std::make_unique<Core>("e1000.test", "e1000", kMac, options, std::move(bus));
        net::NetClient::link(core->nic(), backend);
    }
    ~Rig() { backend.unlink(); }

    uint32_t rd(uint32_t reg) { return core->mmio_read(reg, 4); }
    void wr(uint32_t reg, uint32_t value) { core->mmio_write(reg, value, 4); }
    void step_ms(int64_t ms) { clock_step(ms * kNsPerMs); }

    void put_descriptor(uint64_t at, uint64_t buffer, uint32_t lower, uint32_t upper) {
        space->stq(at, buffer);
        space->stl(at + 8, lower);
        space->stl(at + 12, upper);
    }

    void setup_tx() {
        wr(TDBAL, kTxRing);
        wr(TDBAH, 0);
        wr(TDLEN, 16 * 16);
        wr(TDH, 0);
        wr(TDT, 0);
        wr(TCTL, 0x2 | 0x8);  // EN, PSP
    }
    // Queues descriptors built by `add` and bumps TDT past them.
    uint32_t tx_tail = 0;
    void tx_descriptor(uint64_t buffer, uint32_t lower, uint32_t upper) {
        put_descriptor(kTxRing + 16 * tx_tail, buffer, lower, upper);
        tx_tail = (tx_tail + 1) % 16;
    }
    void kick_tx() { wr(TDT, tx_tail); }

    void setup_rx(uint32_t rctl_extra = 0, uint32_t tail = kRxEntries - 1) {
        for (uint32_t i = 0; i < kRxEntries; ++i) put_descriptor(kRxRing + 16 * i, kRxBuffers + 0x1000 * i, 0, 0);
        wr(RDBAL, kRxRing);
        wr(RDBAH, 0);
        wr(RDLEN, kRxEntries * 16);
        wr(RDH, 0);
        wr(RDT, tail);
        wr(RCTL, 0x2 | 0x8000 | rctl_extra);  // EN, BAM
        step_ms(1100);  // the card holds frames back for a second after RCTL
    }
    uint8_t rx_status(uint32_t i) { return space->ldub(kRxRing + 16 * i + 12); }
    uint16_t rx_length(uint32_t i) { return space->lduw(kRxRing + 16 * i + 8); }
    Frame rx_buffer(uint32_t i, size_t len) {
        Frame f(len);
        space->read(kRxBuffers + 0x1000 * i, f.data(), len);
        return f;
    }
};

Frame ethernet(const Frame& dst, const Frame& src, uint16_t type, size_t payload, uint8_t seed = 0) {
    Frame f(dst);
    f.insert(f.end(), src.begin(), src.end());
    f.push_back(static_cast<uint8_t>(type >> 8));
    f.push_back(static_cast<uint8_t>(type));
    for (size_t i = 0; i < payload; ++i) f.push_back(static_cast<uint8_t>(seed + i * 7));
    return f;
}

uint32_t sum16(const uint8_t* p, size_t len, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (len & 1) sum += static_cast<uint32_t>(p[len - 1]) << 8;
    return sum;
}
uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}
uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return static_cast<uint32_t>(be16(p)) << 16 | be16(p + 2); }

// An Ethernet + IPv4 + TCP header (54 bytes) followed by `payload` bytes.
Frame tcp_frame(size_t payload, uint32_t seq, uint8_t flags) {
    Frame f = ethernet(kPeerMac, kOurMac, 0x0800, 0);
    uint8_t ip[20] = {0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2};
    uint16_t total = static_cast<uint16_t>(20 + 20 + payload);
    ip[2] = static_cast<uint8_t>(total >> 8);
    ip[3] = static_cast<uint8_t>(total);
    f.insert(f.end(), ip, ip + 20);
    uint8_t tcp[20] = {0x80, 0x00, 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0};
    tcp[4] = static_cast<uint8_t>(seq >> 24);
    tcp[5] = static_cast<uint8_t>(seq >> 16);
    tcp[6] = static_cast<uint8_t>(seq >> 8);
    tcp[7] = static_cast<uint8_t>(seq);
    f.insert(f.end(), tcp, tcp + 20);
    for (size_t i = 0; i < payload; ++i) f.push_back(static_cast<uint8_t>(i * 13 + 1));
    return f;
}

bool ipv4_checksum_ok(const Frame& f) { return fold(sum16(f.data() + 14, 20)) == 0xffff; }

bool tcp_checksum_ok(const Frame& f) {
    size_t tcp_len = f.size() - 34;
    uint32_t pseudo = sum16(f.data() + 26, 8) + 6 + static_cast<uint32_t>(tcp_len);
    return fold(sum16(f.data() + 34, tcp_len, pseudo)) == 0xffff;
}

// Reads EEPROM word `address` by bit-banging Microwire through EECD, as
// Linux's e1000_shift_out_ee_bits/e1000_shift_in_ee_bits do.
uint16_t microwire_read(Rig& rig, unsigned address) {
    const uint32_t SK = 1, CS = 2, DI = 4, DO = 8;
    rig.wr(EECD, CS);
    auto shift_out = [&](uint32_t data, int bits) {
        for (int i = bits - 1; i >= 0; --i) {
            uint32_t di = ((data >> i) & 1) ? DI : 0;
            rig.wr(EECD, CS | di);
            rig.wr(EECD, CS | di | SK);
            rig.wr(EECD, CS | di);
        }
    };
    shift_out(0x6, 3);  // READ opcode with start bit
    shift_out(address, 6);
    uint16_t word = 0;
    for (int i = 0; i < 16; ++i) {
        rig.wr(EECD, CS | SK);
        word = static_cast<uint16_t>(word << 1 | ((rig.rd(EECD) & DO) ? 1 : 0));
        rig.wr(EECD, CS);
    }
    rig.wr(EECD, 0);
    return word;
}

uint16_t mdic_read(Rig& rig, unsigned reg) {
    rig.wr(MDIC, 1u << 27 | 1u << 21 | reg << 16);
    uint32_t value = rig.rd(MDIC);
    EXPECT_TRUE(value & (1u << 28)) << "MDIC ready";
    EXPECT_FALSE(value & (1u << 30)) << "MDIC error reading " << reg;
    return static_cast<uint16_t>(value);
}

}  // namespace

TEST(E1000Core, EepromHoldsTheMacAndChecksumsToBaba) {
    Rig rig;
    uint16_t sum = 0;
    for (unsigned i = 0; i < 64; ++i) {
        uint16_t word = microwire_read(rig, i);
        EXPECT_EQ(word, rig.core->eeprom().word(i)) << "word " << i;
        sum = static_cast<uint16_t>(sum + word);
    }
    EXPECT_EQ(sum, 0xbaba);
    EXPECT_EQ(microwire_read(rig, 0), 0x5452);
    EXPECT_EQ(microwire_read(rig, 1), 0x1200);
    EXPECT_EQ(microwire_read(rig, 2), 0x5634);
    EXPECT_EQ(microwire_read(rig, 11), 0x100e);
    EXPECT_EQ(microwire_read(rig, 13), 0x100e);
    // EERD: start + address, read back DONE and the word.
    rig.wr(EERD, 2u << 8 | 1);
    uint32_t eerd = rig.rd(EERD);
    EXPECT_TRUE(eerd & 0x10);
    EXPECT_EQ(eerd >> 16, 0x5634u);
    // EECD reports the EEPROM present and the grant.
    EXPECT_EQ(rig.rd(EECD) & 0x180, 0x180u);
}

TEST(E1000Core, InfoNetworkFollowsTheAddressTheGuestProgrammed) {
    Rig rig;
    const std::string initial = rig.core->nic().info_str();
    // As QEMU: the shown MAC changes when RAH0 completes the new address,
    // and a reset brings back the configured one.
    rig.wr(RAL0, 0x33221102);
    EXPECT_EQ(rig.core->nic().info_str(), initial);
    rig.wr(RAH0, 0x80005544);
    EXPECT_EQ(rig.core->nic().info_str(), "model=e1000,macaddr=02:11:22:33:44:55");
    rig.core->reset();
    EXPECT_EQ(rig.core->nic().info_str(), initial);
}

TEST(E1000Core, PhyAutonegotiationBringsTheLinkUpWithAnInterrupt) {
    Rig rig;
    EXPECT_EQ(mdic_read(rig, 2), 0x0141);
    EXPECT_EQ(mdic_read(rig, 3), 0x0c20);
    EXPECT_EQ(mdic_read(rig, 0), 0x1140);
    EXPECT_EQ(rig.rd(STATUS) & 0x2, 0x2u);  // link up from power-on
    EXPECT_EQ(mdic_read(rig, 1) & 0x24, 0x04);  // link, autoneg not complete
    // Another PHY address: error.
    rig.wr(MDIC, 1u << 27 | 2u << 21 | 1u << 16);
    EXPECT_TRUE(rig.rd(MDIC) & (1u << 30));
    // A read-only PHY register refuses writes.
    rig.wr(MDIC, 1u << 26 | 1u << 21 | 2u << 16 | 0x1234);
    EXPECT_TRUE(rig.rd(MDIC) & (1u << 30));

    rig.wr(IMS, 0x4);  // LSC
    rig.rd(ICR);
    rig.wr(MDIC, 1u << 26 | 1u << 21 | 0u << 16 | 0x1340);  // BMCR: autoneg enable + restart
    EXPECT_EQ(rig.rd(STATUS) & 0x2, 0u);  // negotiating
    EXPECT_EQ(mdic_read(rig, 0), 0x1140);  // restart clears itself
    rig.step_ms(499);
    EXPECT_EQ(rig.rd(STATUS) & 0x2, 0u);
    EXPECT_FALSE(rig.irq);
    rig.step_ms(2);
    EXPECT_EQ(rig.rd(STATUS) & 0x2, 0x2u);
    EXPECT_EQ(mdic_read(rig, 1) & 0x24, 0x24);
    EXPECT_TRUE(mdic_read(rig, 5) & 0x4000);  // partner acknowledged
    EXPECT_TRUE(rig.irq);
    EXPECT_EQ(rig.rd(ICR), 0x4u);
    EXPECT_FALSE(rig.irq);  // reading ICR clears it
}

TEST(E1000Core, InterruptCauseMaskAndSoftwareReset) {
    Rig rig;
    rig.wr(ICS, 0x80);
    EXPECT_FALSE(rig.irq);  // masked
    EXPECT_EQ(rig.rd(ICS), 0x80u);  // ICS reads as ICR, without clearing
    rig.wr(IMS, 0x80);
    EXPECT_TRUE(rig.irq);
    rig.wr(IMC, 0x80);
    EXPECT_FALSE(rig.irq);
    EXPECT_EQ(rig.rd(IMS), 0u);
    rig.wr(IMS, 0x80);
    rig.wr(ICR, 0x80);  // write 1 to clear
    EXPECT_FALSE(rig.irq);
    EXPECT_EQ(rig.rd(ICR), 0u);

    EXPECT_EQ(rig.rd(RAL0), 0x12005452u);
    EXPECT_EQ(rig.rd(RAH0), 0x80005634u);
    rig.wr(RAL0, 0x11223344);
    rig.wr(RCTL, 0x2);
    rig.wr(MTA + 4, 0xffff);
    rig.step_ms(1);  // past the mitigation window of the last interrupt
    rig.wr(ICS, 0x80);
    EXPECT_TRUE(rig.irq);
    rig.wr(CTRL, rig.rd(CTRL) | (1u << 26));
    EXPECT_FALSE(rig.irq);
    EXPECT_EQ(rig.rd(CTRL) & (1u << 26), 0u);  // self-clearing
    EXPECT_EQ(rig.rd(IMS), 0u);
    EXPECT_EQ(rig.rd(RCTL), 0u);
    EXPECT_EQ(rig.rd(MTA + 4), 0u);
    EXPECT_EQ(rig.rd(RAL0), 0x12005452u);
    EXPECT_EQ(rig.rd(VET), 0x8100u);
    EXPECT_EQ(rig.rd(STATUS), 0x80080783u);
}

TEST(E1000Core, MitigationDelaysTheNextInterruptByItr) {
    Rig rig;
    rig.wr(0xc4, 1000);  // ITR: 1000 * 256 ns
    rig.wr(IMS, 0x80);
    rig.wr(ICS, 0x80);
    EXPECT_TRUE(rig.irq);  // the first edge is immediate
    rig.rd(ICR);
    EXPECT_FALSE(rig.irq);
    rig.wr(ICS, 0x80);
    EXPECT_FALSE(rig.irq);  // inside the window
    clock_step(1000 * 256 - 10);
    EXPECT_FALSE(rig.irq);
    clock_step(10);
    EXPECT_TRUE(rig.irq);
    // Without mitigation every edge goes through at once.
    Rig plain(Options{.mitigation = false});
    plain.wr(0xc4, 1000);
    EXPECT_EQ(plain.rd(0xc4), 0u);  // the register does not exist then
    plain.wr(IMS, 0x80);
    plain.wr(ICS, 0x80);
    plain.rd(ICR);
    plain.wr(ICS, 0x80);
    EXPECT_TRUE(plain.irq);
}

TEST(E1000Core, IoAddrAndIoDataReachTheRegisters) {
    Rig rig;
    rig.core->io_write(0, RAH0, 4);
    EXPECT_EQ(rig.core->io_read(0, 4), RAH0);
    EXPECT_EQ(rig.core->io_read(4, 4), 0x80005634u);
    rig.core->io_write(0, IMS, 4);
    rig.core->io_write(4, 0x4, 4);
    EXPECT_EQ(rig.rd(IMS), 0x4u);
}

TEST(E1000Core, LegacyDescriptorSendsTheFrameAndWritesBackDone) {
    Rig rig;
    rig.setup_tx();
    rig.wr(IMS, 0x1);  // TXDW
    Frame frame = ethernet(kPeerMac, kOurMac, 0x0800, 100);
    rig.space->write(kTxBuffers, frame.data(), frame.size());
    // Split over two descriptors: the frame ends at EOP.
    rig.tx_descriptor(kTxBuffers, 40, 0);
    rig.tx_descriptor(kTxBuffers + 40, static_cast<uint32_t>(frame.size() - 40) | 0x01000000 | 0x08000000, 0);
    rig.kick_tx();
    ASSERT_EQ(rig.backend.received.size(), 1u);
    EXPECT_EQ(rig.backend.received[0], frame);
    EXPECT_EQ(rig.rd(TDH), 2u);
    EXPECT_EQ(rig.space->ldub(kTxRing + 16 + 12) & 1, 1);  // DD where RS was asked
    EXPECT_EQ(rig.space->ldub(kTxRing + 12) & 1, 0);
    EXPECT_TRUE(rig.irq);
    EXPECT_EQ(rig.rd(ICR), 0x3u);  // TXDW | TXQE
    EXPECT_EQ(rig.rd(GPTC), 1u);
    EXPECT_EQ(rig.rd(GPTC), 0u);  // statistics clear on read
    EXPECT_EQ(rig.rd(TPT), 1u);
}

TEST(E1000Core, ChecksumOffloadFillsIpAndTcpChecksums) {
    Rig rig;
    rig.setup_tx();
    Frame frame = tcp_frame(301, 1000, 0x18);
    // The driver seeds the TCP checksum with the pseudo-header sum.
    uint32_t pseudo = sum16(frame.data() + 26, 8) + 6 + (frame.size() - 34);
    uint16_t seed = fold(pseudo);
    frame[50] = static_cast<uint8_t>(seed >> 8);
    frame[51] = static_cast<uint8_t>(seed);
    rig.space->write(kTxBuffers, frame.data(), frame.size());
    // Context: IP checksum over 14..33 at 24, TCP over 34.. at 50.
    uint64_t ctx_low = 14 | 24u << 8 | 33u << 16 | uint64_t{34 | 50u << 8} << 32;
    rig.tx_descriptor(ctx_low, 0x20000000 | 0x02000000 | 0x01000000, 0);  // DEXT, IP, TCP
    rig.tx_descriptor(kTxBuffers, static_cast<uint32_t>(frame.size()) | 0x20100000 | 0x01000000,
                      0x3u << 8);  // data, EOP, POPTS IXSM|TXSM
    rig.kick_tx();
    ASSERT_EQ(rig.backend.received.size(), 1u);
    const Frame& sent = rig.backend.received[0];
    EXPECT_TRUE(ipv4_checksum_ok(sent));
    EXPECT_TRUE(tcp_checksum_ok(sent));
    EXPECT_TRUE(std::equal(sent.begin() + 54, sent.end(), frame.begin() + 54));
}

TEST(E1000Core, TcpSegmentationSplitsIntoMssFramesWithFixedHeaders) {
    Rig rig;
    rig.setup_tx();
    const size_t payload = 2500, mss = 1000;
    Frame frame = tcp_frame(payload, 0x10000, 0x19);  // PSH | FIN | ACK
    // Linux zeroes the IP length and seeds the TCP checksum with the
    // pseudo-header sum without the length.
    frame[16] = frame[17] = 0;
    uint16_t seed = fold(sum16(frame.data() + 26, 8) + 6);
    frame[50] = static_cast<uint8_t>(seed >> 8);
    frame[51] = static_cast<uint8_t>(seed);
    rig.space->write(kTxBuffers, frame.data(), frame.size());
    uint64_t ctx_low = 14 | 24u << 8 | 33u << 16 | uint64_t{34 | 50u << 8} << 32;
    uint32_t ctx_cmd = 0x20000000 | 0x04000000 | 0x02000000 | 0x01000000 | static_cast<uint32_t>(payload);
    uint32_t ctx_upper = 54u << 8 | static_cast<uint32_t>(mss) << 16;
    rig.tx_descriptor(ctx_low, ctx_cmd, ctx_upper);
    // Header and payload in three pieces that do not line up with segments.
    rig.tx_descriptor(kTxBuffers, 54 | 0x20100000 | 0x04000000, 0x3u << 8);
    rig.tx_descriptor(kTxBuffers + 54, 1500 | 0x20100000 | 0x04000000, 0x3u << 8);
    rig.tx_descriptor(kTxBuffers + 1554, static_cast<uint32_t>(payload - 1500) | 0x20100000 | 0x04000000 |
                                            0x01000000 | 0x08000000,
                      0x3u << 8);
    rig.kick_tx();
    ASSERT_EQ(rig.backend.received.size(), 3u);
    size_t offset = 0;
    for (size_t i = 0; i < 3; ++i) {
        const Frame& seg = rig.backend.received[i];
        size_t len = std::min(mss, payload - offset);
        ASSERT_EQ(seg.size(), 54 + len) << "segment " << i;
        EXPECT_EQ(be16(seg.data() + 16), 40 + len);             // IP total length
        EXPECT_EQ(be16(seg.data() + 18), 0x1234 + i);           // IP identification
        EXPECT_EQ(be32(seg.data() + 38), 0x10000 + offset);     // TCP sequence
        EXPECT_EQ(seg[47] & 0x09, i == 2 ? 0x09 : 0) << "PSH/FIN only on the last";
        EXPECT_TRUE(ipv4_checksum_ok(seg)) << "segment " << i;
        EXPECT_TRUE(tcp_checksum_ok(seg)) << "segment " << i;
        EXPECT_TRUE(std::equal(seg.begin() + 54, seg.end(), frame.begin() + 54 + static_cast<long>(offset)));
        offset += len;
    }
}

TEST(E1000Core, ReceivedFrameLandsInTheRingWithStatusAndInterrupt) {
    Rig rig;
    rig.setup_rx();
    rig.wr(IMS, 0x80);  // RXT0
    Frame frame = ethernet(kOurMac, kPeerMac, 0x0800, 200, 3);
    EXPECT_TRUE(rig.backend.send(frame));
    EXPECT_EQ(rig.rx_buffer(0, frame.size()), frame);
    EXPECT_EQ(rig.rx_length(0), frame.size() + 4);  // with the FCS
    EXPECT_EQ(rig.rx_status(0), 0x7);  // DD | EOP | IXSM
    EXPECT_EQ(rig.rd(RDH), 1u);
    EXPECT_TRUE(rig.irq);
    EXPECT_EQ(rig.rd(ICR) & 0x80, 0x80u);
    EXPECT_EQ(rig.rd(GPRC), 1u);
    EXPECT_EQ(rig.rd(GORCL), frame.size() + 4);
    rig.rd(GORCH);
    EXPECT_EQ(rig.rd(GORCL), 0u);

    // Short frames are padded to 60 bytes.
    EXPECT_TRUE(rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0806, 10)));
    EXPECT_EQ(rig.rx_length(1), 64);
}

TEST(E1000Core, ReceiveFilterTakesOurAddressBroadcastAndMulticastTable) {
    Rig rig;
    rig.setup_rx();
    Frame other = {0x52, 0x54, 0x00, 0x99, 0x99, 0x99};
    Frame broadcast(6, 0xff);
    Frame multicast = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
    rig.backend.send(ethernet(other, kPeerMac, 0x0800, 64));
    EXPECT_EQ(rig.rd(RDH), 0u);  // not for us
    rig.backend.send(ethernet(broadcast, kPeerMac, 0x0806, 64));
    EXPECT_EQ(rig.rd(RDH), 1u);  // BAM
    rig.backend.send(ethernet(multicast, kPeerMac, 0x0800, 64));
    EXPECT_EQ(rig.rd(RDH), 1u);  // hash bit not set
    // MO=0: hash = bits 47:36 of the address.
    unsigned hash = ((multicast[5] << 8 | multicast[4]) >> 4) & 0xfff;
    rig.wr(MTA + 4 * (hash >> 5), 1u << (hash & 31));
    rig.backend.send(ethernet(multicast, kPeerMac, 0x0800, 64));
    EXPECT_EQ(rig.rd(RDH), 2u);
    rig.wr(RCTL, rig.rd(RCTL) | 0x8);  // UPE: promiscuous unicast
    rig.step_ms(1100);
    rig.backend.send(ethernet(other, kPeerMac, 0x0800, 64));
    EXPECT_EQ(rig.rd(RDH), 3u);
    // Oversized without LPE: dropped and counted.
    rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0800, 1600));
    EXPECT_EQ(rig.rd(RDH), 3u);
    EXPECT_EQ(rig.rd(ROC), 1u);
}

TEST(E1000Core, LargeFrameSpansBuffersWithBufferSizeExtension) {
    Rig rig;
    rig.setup_rx(0x20 | 3u << 16);  // LPE, BSIZE=3 without BSEX: 256 bytes
    Frame frame = ethernet(kOurMac, kPeerMac, 0x0800, 600);
    rig.backend.send(frame);
    EXPECT_EQ(rig.rd(RDH), 3u);  // 618 bytes in 256-byte buffers
    EXPECT_EQ(rig.rx_length(0), 256);
    EXPECT_EQ(rig.rx_status(0), 0x1);  // no EOP yet
    EXPECT_EQ(rig.rx_length(2), 618 - 512);
    EXPECT_EQ(rig.rx_status(2), 0x7);
    Frame joined = rig.rx_buffer(0, 256);
    Frame b1 = rig.rx_buffer(1, 256), b2 = rig.rx_buffer(2, frame.size() - 512);
    joined.insert(joined.end(), b1.begin(), b1.end());
    joined.insert(joined.end(), b2.begin(), b2.end());
    EXPECT_EQ(joined, frame);
    // BSEX with BSIZE=3: 4096-byte buffers.
    rig.wr(RCTL, rig.rd(RCTL) | (1u << 25));
    rig.step_ms(1100);
    rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0800, 3000));
    EXPECT_EQ(rig.rd(RDH), 4u);
    EXPECT_EQ(rig.rx_length(3), 3014 + 4);
}

TEST(E1000Core, VlanTagsAreStrippedFilteredAndInserted) {
    Rig rig;
    constexpr uint32_t VFTA = 0x5600;
    rig.setup_rx(1u << 18);  // VFE: the VLAN filter table applies
    rig.wr(CTRL, rig.rd(CTRL) | (1u << 30));  // VME: tags go to/come from descriptors
    Frame tagged = ethernet(kOurMac, kPeerMac, 0x8100, 0);
    tagged.insert(tagged.end(), {0x20, 0x05, 0x08, 0x00});  // priority 1, VLAN 5, IPv4
    for (int i = 0; i < 60; ++i) tagged.push_back(static_cast<uint8_t>(i));
    rig.backend.send(tagged);
    EXPECT_EQ(rig.rd(RDH), 0u);  // VLAN 5 not in the table
    rig.wr(VFTA, 1u << 5);
    rig.backend.send(tagged);
    ASSERT_EQ(rig.rd(RDH), 1u);
    EXPECT_EQ(rig.rx_status(0), 0x7 | 0x8);  // VP
    EXPECT_EQ(rig.space->lduw(kRxRing + 14), 0x2005);  // the tag in "special"
    EXPECT_EQ(rig.rx_length(0), tagged.size() - 4 + 4);
    Frame untagged(tagged.begin(), tagged.begin() + 12);
    untagged.insert(untagged.end(), tagged.begin() + 16, tagged.end());
    EXPECT_EQ(rig.rx_buffer(0, untagged.size()), untagged);

    // TX: VLE inserts VET and the descriptor's special field after the MACs.
    rig.setup_tx();
    rig.space->write(kTxBuffers, untagged.data(), untagged.size());
    rig.tx_descriptor(kTxBuffers, static_cast<uint32_t>(untagged.size()) | 0x01000000 | 0x40000000,
                      0x2005u << 16);
    rig.kick_tx();
    ASSERT_EQ(rig.backend.received.size(), 1u);
    EXPECT_EQ(rig.backend.received[0], tagged);
}

TEST(E1000Core, FullRingQueuesFramesUntilTheGuestMovesTheTail) {
    Rig rig;
    rig.setup_rx(0, 2);  // two free descriptors
    rig.wr(IMS, 0x80);
    EXPECT_TRUE(rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0800, 100, 1)));
    EXPECT_TRUE(rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0800, 100, 2)));
    // RDH == RDT: no room; the frame waits in the client's queue.
    Frame third = ethernet(kOurMac, kPeerMac, 0x0800, 100, 3);
    EXPECT_FALSE(rig.backend.send(third));
    EXPECT_EQ(rig.core->nic().queued_frames(), 1u);
    EXPECT_EQ(rig.rd(RDH), 2u);
    rig.rd(ICR);
    rig.step_ms(1);  // past the mitigation window
    rig.wr(RDT, 5);
    EXPECT_EQ(rig.core->nic().queued_frames(), 0u);
    EXPECT_EQ(rig.rd(RDH), 3u);
    EXPECT_EQ(rig.rx_buffer(2, third.size()), third);
    EXPECT_TRUE(rig.irq);
}

TEST(E1000Core, ReceiveWaitsForRctlAndBusMaster) {
    Rig rig;
    rig.setup_rx();
    rig.wr(RCTL, rig.rd(RCTL));  // rewriting RCTL holds frames for a second
    EXPECT_FALSE(rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0800, 100)));
    rig.step_ms(1001);
    EXPECT_EQ(rig.rd(RDH), 1u);
    rig.bus_master = false;
    EXPECT_FALSE(rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0800, 100)));
    rig.bus_master = true;
    rig.core->bus_master_enabled();
    EXPECT_EQ(rig.rd(RDH), 2u);
}

TEST(E1000Core, LinkStatusFollowsTheClientAndRaisesLsc) {
    Rig rig;
    rig.wr(IMS, 0x4);
    rig.core->nic().set_link_up(false);
    EXPECT_EQ(rig.rd(STATUS) & 0x2, 0u);
    EXPECT_EQ(mdic_read(rig, 1) & 0x4, 0);
    EXPECT_TRUE(rig.irq);
    EXPECT_EQ(rig.rd(ICR), 0x4u);
    // Back up: autonegotiation runs again before the link shows.
    rig.core->nic().set_link_up(true);
    EXPECT_EQ(rig.rd(STATUS) & 0x2, 0u);
    rig.step_ms(501);
    EXPECT_EQ(rig.rd(STATUS) & 0x2, 0x2u);
    EXPECT_TRUE(rig.irq);
    EXPECT_EQ(rig.rd(ICR), 0x4u);
    // While the link is down, frames are not received.
    rig.setup_rx();
    rig.core->nic().set_link_up(false);
    rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0800, 100));
    EXPECT_EQ(rig.rd(RDH), 0u);
}

TEST(E1000Core, PhyLoopbackReturnsTransmittedFrames) {
    Rig rig;
    rig.setup_rx();
    rig.setup_tx();
    rig.wr(MDIC, 1u << 26 | 1u << 21 | 0u << 16 | 0x5140);  // BMCR loopback
    Frame frame = ethernet(kOurMac, kPeerMac, 0x0800, 80);
    rig.space->write(kTxBuffers, frame.data(), frame.size());
    rig.tx_descriptor(kTxBuffers, static_cast<uint32_t>(frame.size()) | 0x01000000, 0);
    rig.kick_tx();
    EXPECT_TRUE(rig.backend.received.empty());
    EXPECT_EQ(rig.rd(RDH), 1u);
    EXPECT_EQ(rig.rx_buffer(0, frame.size()), frame);
}

TEST(E1000Core, RingsOutsideMemoryOrLoopingStopWithoutHanging) {
    Rig rig;
    // TX ring in unassigned space with a huge length and far tail.
    rig.wr(TDBAL, 0xf0000000);
    rig.wr(TDBAH, 0x1);
    rig.wr(TDLEN, 0xfff80);
    rig.wr(TDT, 0xffff);
    rig.wr(TCTL, 0x2);
    EXPECT_TRUE(rig.backend.received.empty());
    // TX descriptors in RAM whose buffers are outside: the ring advances
    // round once and stops.
    rig.wr(TCTL, 0);
    rig.wr(TDBAL, kTxRing);
    rig.wr(TDBAH, 0);
    rig.wr(TDLEN, 128);
    rig.wr(TDH, 0);
    for (int i = 0; i < 8; ++i) rig.put_descriptor(kTxRing + 16 * i, 0xfff00000000ull, 0xffff | 0x01000000, 0);
    rig.wr(TDT, 9);  // beyond the ring: never reached
    rig.wr(TCTL, 0x2);
    EXPECT_LE(rig.backend.received.size(), 8u);
    // Head beyond the ring.
    rig.wr(TDH, 50);
    rig.wr(TDT, 3);
    EXPECT_LE(rig.backend.received.size(), 9u);

    // RX ring outside memory: the frame is dropped.
    rig.wr(RDBAL, 0xf0000000);
    rig.wr(RDLEN, 0xfff80);
    rig.wr(RDH, 0);
    rig.wr(RDT, 100);
    rig.wr(RCTL, 0x2 | 0x8000);
    rig.step_ms(1100);
    rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0800, 100));
    // RX descriptors in RAM pointing outside; RDH beyond RDLEN.
    rig.wr(RDBAL, kRxRing);
    rig.wr(RDLEN, 128);
    rig.wr(RDH, 60);
    rig.wr(RDT, 2);
    rig.backend.send(ethernet(kOurMac, kPeerMac, 0x0800, 100));
    SUCCEED();
}

// A guest writing nonsense: random values into the ring, interrupt and
// control registers, random descriptor memory, frames arriving meanwhile.
// Nothing may crash, loop forever or write outside the guest's memory.
TEST(E1000Core, RandomRegisterAndRingGarbageIsSurvived) {
    Rig rig;
    uint64_t state = 0x9e3779b97f4a7c15ull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    static constexpr uint32_t kRegisters[] = {CTRL, ICR, ICS, IMS, IMC, RCTL, TCTL, RDBAL, RDBAH, RDLEN, RDH,
                                              RDT, TDBAL, TDBAH, TDLEN, TDH, TDT, MDIC, EECD, EERD, VET,
                                              0xc4, 0x2820, 0x282c, 0x382c, MTA, RAL0, RAH0};
    std::vector<uint8_t> garbage(4096);
    for (int round = 0; round < 20000; ++round) {
        uint64_t r = next();
        switch (r % 8) {
        case 0: case 1: case 2: {
            uint32_t reg = kRegisters[(r >> 8) % std::size(kRegisters)];
            uint32_t value = static_cast<uint32_t>(next());
            // Mostly plausible ring addresses and lengths, sometimes wild.
            if ((reg == RDBAL || reg == TDBAL) && (r & 0x100)) value &= 0xff000;
            if ((reg == RDBAH || reg == TDBAH) && (r & 0x200)) value = 0;
            if (reg == CTRL) value &= ~(1u << 26);  // resets now and then only
            rig.wr(reg, value);
            break;
        }
        case 3:
            rig.rd(kRegisters[(r >> 8) % std::size(kRegisters)]);
            break;
        case 4:
            for (auto& b : garbage) b = static_cast<uint8_t>(next());
            rig.space->write((r >> 8) % (1 << 20) & ~0xfffull, garbage.data(), garbage.size());
            break;
        case 5: {
            Frame f = ethernet((r & 0x100) ? kOurMac : Frame(6, 0xff), kPeerMac, 0x0800, (r >> 16) % 3000);
            rig.backend.send(f);
            break;
        }
        case 6:
            rig.step_ms(static_cast<int64_t>((r >> 8) % 700));
            break;
        case 7:
            if ((r >> 8) % 64 == 0) rig.wr(CTRL, 1u << 26);
            break;
        }
    }
    EXPECT_LE(rig.core->nic().queued_frames(), net::NetClient::kMaxQueuedFrames);
}
