// Register offsets and bits of the Intel 8254x (82540EM) as its developer
// manual names them. Offsets are byte offsets into BAR0; the device keeps its
// registers in an array of 32-bit words indexed by offset / 4.
#pragma once

#include <cstdint>

namespace mimic::hw::e1000 {

// Register word index from a byte offset.
constexpr uint32_t reg(uint32_t offset) { return offset >> 2; }

namespace regs {
// General.
inline constexpr uint32_t kCtrl = reg(0x0000);
inline constexpr uint32_t kStatus = reg(0x0008);
inline constexpr uint32_t kEecd = reg(0x0010);
inline constexpr uint32_t kEerd = reg(0x0014);
inline constexpr uint32_t kCtrlExt = reg(0x0018);
inline constexpr uint32_t kFla = reg(0x001c);
inline constexpr uint32_t kMdic = reg(0x0020);
inline constexpr uint32_t kFcal = reg(0x0028);
inline constexpr uint32_t kFcah = reg(0x002c);
inline constexpr uint32_t kFct = reg(0x0030);
inline constexpr uint32_t kVet = reg(0x0038);
inline constexpr uint32_t kIcr = reg(0x00c0);
inline constexpr uint32_t kItr = reg(0x00c4);
inline constexpr uint32_t kIcs = reg(0x00c8);
inline constexpr uint32_t kIms = reg(0x00d0);
inline constexpr uint32_t kImc = reg(0x00d8);
inline constexpr uint32_t kRctl = reg(0x0100);
inline constexpr uint32_t kFcttv = reg(0x0170);
inline constexpr uint32_t kTxcw = reg(0x0178);
inline constexpr uint32_t kRxcw = reg(0x0180);
inline constexpr uint32_t kTctl = reg(0x0400);
inline constexpr uint32_t kTipg = reg(0x0410);
inline constexpr uint32_t kAit = reg(0x0458);
inline constexpr uint32_t kLedctl = reg(0x0e00);
inline constexpr uint32_t kPba = reg(0x1000);
inline constexpr uint32_t kFcrtl = reg(0x2160);
inline constexpr uint32_t kFcrth = reg(0x2168);
// Receive FIFO and ring.
inline constexpr uint32_t kRdfh = reg(0x2410);
inline constexpr uint32_t kRdft = reg(0x2418);
inline constexpr uint32_t kRdfhs = reg(0x2420);
inline constexpr uint32_t kRdfts = reg(0x2428);
inline constexpr uint32_t kRdfpc = reg(0x2430);
inline constexpr uint32_t kRdbal = reg(0x2800);
inline constexpr uint32_t kRdbah = reg(0x2804);
inline constexpr uint32_t kRdlen = reg(0x2808);
inline constexpr uint32_t kRdh = reg(0x2810);
inline constexpr uint32_t kRdt = reg(0x2818);
inline constexpr uint32_t kRdtr = reg(0x2820);
inline constexpr uint32_t kRxdctl = reg(0x2828);
inline constexpr uint32_t kRadv = reg(0x282c);
inline constexpr uint32_t kRsrpd = reg(0x2c00);
// Transmit FIFO and ring.
inline constexpr uint32_t kTxdmac = reg(0x3000);
inline constexpr uint32_t kTdfh = reg(0x3410);
inline constexpr uint32_t kTdft = reg(0x3418);
inline constexpr uint32_t kTdfhs = reg(0x3420);
inline constexpr uint32_t kTdfts = reg(0x3428);
inline constexpr uint32_t kTdfpc = reg(0x3430);
inline constexpr uint32_t kTdbal = reg(0x3800);
inline constexpr uint32_t kTdbah = reg(0x3804);
inline constexpr uint32_t kTdlen = reg(0x3808);
inline constexpr uint32_t kTdh = reg(0x3810);
inline constexpr uint32_t kTdt = reg(0x3818);
inline constexpr uint32_t kTidv = reg(0x3820);
inline constexpr uint32_t kTxdctl = reg(0x3828);
inline constexpr uint32_t kTadv = reg(0x382c);
inline constexpr uint32_t kTspmt = reg(0x3830);
// Statistics (0x4000-0x40ff).
inline constexpr uint32_t kStatsFirst = reg(0x4000);
inline constexpr uint32_t kStatsLast = reg(0x40fc);
inline constexpr uint32_t kMpc = reg(0x4010);
inline constexpr uint32_t kPrc64 = reg(0x405c);
inline constexpr uint32_t kGprc = reg(0x4074);
inline constexpr uint32_t kBprc = reg(0x4078);
inline constexpr uint32_t kMprc = reg(0x407c);
inline constexpr uint32_t kGptc = reg(0x4080);
inline constexpr uint32_t kGorcl = reg(0x4088);
inline constexpr uint32_t kGorch = reg(0x408c);
inline constexpr uint32_t kGotcl = reg(0x4090);
inline constexpr uint32_t kGotch = reg(0x4094);
inline constexpr uint32_t kRnbc = reg(0x40a0);
inline constexpr uint32_t kRoc = reg(0x40ac);
inline constexpr uint32_t kTorl = reg(0x40c0);
inline constexpr uint32_t kTorh = reg(0x40c4);
inline constexpr uint32_t kTotl = reg(0x40c8);
inline constexpr uint32_t kToth = reg(0x40cc);
inline constexpr uint32_t kTpr = reg(0x40d0);
inline constexpr uint32_t kTpt = reg(0x40d4);
inline constexpr uint32_t kPtc64 = reg(0x40d8);
inline constexpr uint32_t kMptc = reg(0x40f0);
inline constexpr uint32_t kBptc = reg(0x40f4);
inline constexpr uint32_t kTsctc = reg(0x40f8);
// Filters and management.
inline constexpr uint32_t kRxcsum = reg(0x5000);
inline constexpr uint32_t kMta = reg(0x5200);  // 128 words
inline constexpr uint32_t kMtaSize = 128;
inline constexpr uint32_t kRa = reg(0x5400);   // 16 low/high pairs
inline constexpr uint32_t kRaSize = 32;
inline constexpr uint32_t kVfta = reg(0x5600);  // 128 words
inline constexpr uint32_t kVftaSize = 128;
inline constexpr uint32_t kWuc = reg(0x5800);
inline constexpr uint32_t kWufc = reg(0x5808);
inline constexpr uint32_t kWus = reg(0x5810);
inline constexpr uint32_t kManc = reg(0x5820);
inline constexpr uint32_t kIpav = reg(0x5838);
inline constexpr uint32_t kIp4at = reg(0x5840);  // 7 words
inline constexpr uint32_t kIp6at = reg(0x5880);  // 4 words
inline constexpr uint32_t kWupl = reg(0x5900);
inline constexpr uint32_t kWupm = reg(0x5a00);   // 32 words
inline constexpr uint32_t kSwsm = reg(0x5b50);
inline constexpr uint32_t kFflt = reg(0x5f00);   // 4 entries, every other word
inline constexpr uint32_t kFfmt = reg(0x9000);   // 128 entries, every other word
inline constexpr uint32_t kFfvt = reg(0x9800);   // 128 entries, every other word
inline constexpr uint32_t kPbm = reg(0x10000);   // 64 KiB packet buffer memory
inline constexpr uint32_t kCount = reg(0x20000);
}  // namespace regs

// CTRL.
inline constexpr uint32_t kCtrlSlu = 1u << 6;
inline constexpr uint32_t kCtrlSpeed1000 = 2u << 8;
inline constexpr uint32_t kCtrlSwdpin0 = 1u << 18;
inline constexpr uint32_t kCtrlSwdpin2 = 1u << 20;
inline constexpr uint32_t kCtrlRst = 1u << 26;
inline constexpr uint32_t kCtrlVme = 1u << 30;
inline constexpr uint32_t kCtrlPhyRst = 1u << 31;

// STATUS.
inline constexpr uint32_t kStatusFd = 1u << 0;
inline constexpr uint32_t kStatusLu = 1u << 1;
inline constexpr uint32_t kStatusSpeed1000 = 2u << 6;
inline constexpr uint32_t kStatusAsdv = 3u << 8;
inline constexpr uint32_t kStatusMtxckok = 1u << 10;
inline constexpr uint32_t kStatusGioMasterEnable = 1u << 19;

// Interrupt causes (ICR, ICS, IMS, IMC).
inline constexpr uint32_t kIcrTxdw = 1u << 0;
inline constexpr uint32_t kIcrTxqe = 1u << 1;
inline constexpr uint32_t kIcrLsc = 1u << 2;
inline constexpr uint32_t kIcrRxdmt0 = 1u << 4;
inline constexpr uint32_t kIcrRxo = 1u << 6;
inline constexpr uint32_t kIcrRxt0 = 1u << 7;
inline constexpr uint32_t kIcrMdac = 1u << 9;

// RCTL.
inline constexpr uint32_t kRctlEn = 1u << 1;
inline constexpr uint32_t kRctlSbp = 1u << 2;
inline constexpr uint32_t kRctlUpe = 1u << 3;
inline constexpr uint32_t kRctlMpe = 1u << 4;
inline constexpr uint32_t kRctlLpe = 1u << 5;
inline constexpr uint32_t kRctlRdmtsShift = 8;
inline constexpr uint32_t kRctlMoShift = 12;
inline constexpr uint32_t kRctlBam = 1u << 15;
inline constexpr uint32_t kRctlBsizeShift = 16;
inline constexpr uint32_t kRctlVfe = 1u << 18;
inline constexpr uint32_t kRctlBsex = 1u << 25;
inline constexpr uint32_t kRctlSecrc = 1u << 26;

// TCTL.
inline constexpr uint32_t kTctlEn = 1u << 1;

// RAH.
inline constexpr uint32_t kRahAv = 1u << 31;

// MANC at reset: management pass-through bits QEMU sets.
inline constexpr uint32_t kMancReset = 0x00222300;

// Transmit descriptor command bits (bits 24-31 of the second dword), type,
// and the TUCMD bits of context and data descriptors.
inline constexpr uint32_t kTxdCmdEop = 1u << 24;
inline constexpr uint32_t kTxdCmdTcp = 1u << 24;  // context: TCP (else UDP)
inline constexpr uint32_t kTxdCmdIp = 1u << 25;   // context: IPv4 (else IPv6)
inline constexpr uint32_t kTxdCmdTse = 1u << 26;
inline constexpr uint32_t kTxdCmdRs = 1u << 27;
inline constexpr uint32_t kTxdCmdRps = 1u << 28;
inline constexpr uint32_t kTxdCmdDext = 1u << 29;
inline constexpr uint32_t kTxdCmdVle = 1u << 30;
inline constexpr uint32_t kTxdCmdIde = 1u << 31;
inline constexpr uint32_t kTxdDtypData = 1u << 20;
// Third dword of a data descriptor: POPTS in bits 8-15, status in 0-7.
inline constexpr uint32_t kTxdPoptsIxsm = 1u << 0;
inline constexpr uint32_t kTxdPoptsTxsm = 1u << 1;
inline constexpr uint32_t kTxdStatDd = 1u << 0;
inline constexpr uint32_t kTxdStatErrors = 0xe;  // EC, LC, TU: never on an emulated wire

// Receive descriptor status.
inline constexpr uint8_t kRxdStatDd = 1u << 0;
inline constexpr uint8_t kRxdStatEop = 1u << 1;
inline constexpr uint8_t kRxdStatIxsm = 1u << 2;
inline constexpr uint8_t kRxdStatVp = 1u << 3;

inline constexpr uint32_t kDescriptorSize = 16;

}  // namespace mimic::hw::e1000
