// The 82540EM's internal PHY (a Marvell 88E1011 look-alike) as the MDIC
// register reaches it: the MII registers QEMU models, which of them the
// guest may read or write, and their power-on values (1000 Mb/s full
// duplex, autonegotiation enabled but not yet complete).
#pragma once

#include <array>
#include <cstdint>

namespace mimic::hw::e1000 {

namespace phy {
inline constexpr unsigned kBmcr = 0x00;
inline constexpr unsigned kBmsr = 0x01;
inline constexpr unsigned kPhyId1 = 0x02;
inline constexpr unsigned kPhyId2 = 0x03;
inline constexpr unsigned kAnar = 0x04;
inline constexpr unsigned kAnlpar = 0x05;
inline constexpr unsigned kAner = 0x06;
inline constexpr unsigned kCtrl1000 = 0x09;
inline constexpr unsigned kStat1000 = 0x0a;
inline constexpr unsigned kSpecCtrl = 0x10;     // M88E1000 PHY specific control
inline constexpr unsigned kSpecStatus = 0x11;   // M88E1000 PHY specific status
inline constexpr unsigned kExtSpecCtrl = 0x14;  // M88E1000 extended control
inline constexpr unsigned kRxErrCounter = 0x15;

inline constexpr uint16_t kBmcrAnRestart = 1u << 9;
inline constexpr uint16_t kBmcrAutoNeg = 1u << 12;
inline constexpr uint16_t kBmcrLoopback = 1u << 14;
inline constexpr uint16_t kBmcrReset = 1u << 15;
inline constexpr uint16_t kBmsrLinkUp = 1u << 2;
inline constexpr uint16_t kBmsrAnComplete = 1u << 5;
inline constexpr uint16_t kAnlparAck = 1u << 14;

// PHY identifier 2 (OUI bits and model): the 82540/82545's PHY, and the
// 82544's.
inline constexpr uint16_t kPhyId2_8254x = 0x0c20;
inline constexpr uint16_t kPhyId2_82544 = 0x0c30;
}  // namespace phy

class Phy {
public:
    void reset(uint16_t phy_id2) {
        regs_ = {};
        regs_[phy::kBmcr] = 0x1140;    // 1000 Mb/s, full duplex, autoneg enabled
        regs_[phy::kBmsr] = 0x794d;    // abilities, link up, autoneg not complete
        regs_[phy::kPhyId1] = 0x0141;
        regs_[phy::kPhyId2] = phy_id2;
        regs_[phy::kAnar] = 0x0de1;    // 10/100 half/full, pause, asym pause
        regs_[phy::kAnlpar] = 0x01e0;  // the partner: 10/100 half/full
        regs_[phy::kCtrl1000] = 0x0e00;
        regs_[phy::kStat1000] = 0x3c00;
        regs_[phy::kSpecCtrl] = 0x0360;
        regs_[phy::kSpecStatus] = 0xac00;
        regs_[phy::kExtSpecCtrl] = 0x0d60;
    }

    static bool readable(unsigned reg) {
        switch (reg) {
        case phy::kBmcr: case phy::kBmsr: case phy::kPhyId1: case phy::kPhyId2:
        case phy::kAnar: case phy::kAnlpar: case phy::kAner: case phy::kCtrl1000:
        case phy::kStat1000: case phy::kSpecCtrl: case phy::kSpecStatus:
        case phy::kExtSpecCtrl: case phy::kRxErrCounter:
            return true;
        }
        return false;
    }
    static bool writable(unsigned reg) {
        switch (reg) {
        case phy::kBmcr: case phy::kAnar: case phy::kCtrl1000: case phy::kSpecCtrl:
        case phy::kExtSpecCtrl:
            return true;
        }
        return false;
    }

    uint16_t& operator[](unsigned reg) { return regs_[reg & 0x1f]; }
    uint16_t operator[](unsigned reg) const { return regs_[reg & 0x1f]; }

private:
    std::array<uint16_t, 32> regs_{};
};

}  // namespace mimic::hw::e1000
