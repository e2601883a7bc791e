// The e1000 transmit path: walking the TX descriptor ring from TDH to TDT,
// assembling frames from legacy and data descriptors, and the offloads a
// context descriptor sets up: IP and TCP/UDP checksum insertion and TCP
// segmentation (TSO), where one large TCP send becomes MSS-sized frames,
// each with the header replicated and its IP length/ID, TCP sequence number,
// flags and checksums fixed up, as Linux's e1000 driver expects by default.
#include <algorithm>
#include <cstring>

#include "e1000_core.h"
#include "mimic/util/log.h"

namespace mimic::hw::e1000 {

namespace {

uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void store_be16(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
uint32_t load_be32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | p[2] << 8 | p[3];
}
void store_be32(uint8_t* p, uint32_t v) {
    store_be16(p, v >> 16);
    store_be16(p + 2, v);
}
uint32_t load_le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// Internet checksum (RFC 1071) of `len` bytes: the one's-complement sum of
// big-endian 16-bit words, folded and inverted; 0 is sent as 0xFFFF.
uint16_t internet_checksum(const uint8_t* data, size_t len) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) sum += load_be16(data + i);
    if (len & 1) sum += static_cast<uint32_t>(data[len - 1]) << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    uint16_t result = static_cast<uint16_t>(~sum);
    return result ? result : 0xffff;
}

// Inserts the checksum of [css, cse] (cse 0: to the end) at `sloc`.
void insert_checksum(uint8_t* data, size_t size, size_t sloc, size_t css, size_t cse) {
    size_t end = size;
    if (cse && cse < size) end = cse + 1;
    if (css >= end || sloc + 1 >= end) return;
    store_be16(data + sloc, internet_checksum(data + css, end - css));
}

OffloadContext read_context(const uint8_t* d) {
    OffloadContext c;
    uint32_t command = load_le32(d + 8);
    c.ipcss = d[0];
    c.ipcso = d[1];
    c.ipcse = static_cast<uint16_t>(d[2] | d[3] << 8);
    c.tucss = d[4];
    c.tucso = d[5];
    c.tucse = static_cast<uint16_t>(d[6] | d[7] << 8);
    c.paylen = command & 0xfffff;
    c.hdr_len = d[13];
    c.mss = static_cast<uint16_t>(d[14] | d[15] << 8);
    c.ip = command & kTxdCmdIp;
    c.tcp = command & kTxdCmdTcp;
    return c;
}

constexpr size_t kIpv6HeaderSize = 40;

}  // namespace

void Core::start_transmit() {
    if (!(mac_[regs::kTctl] & kTctlEn)) return;
    if (bus_.bus_master && !bus_.bus_master()) return;
    // A frame looped back through the PHY can trigger a transmit from the
    // receive path; one walk of the ring at a time.
    if (tx_.busy) return;
    tx_.busy = true;
    uint32_t head_start = mac_[regs::kTdh];
    uint32_t ring_entries = mac_[regs::kTdlen] / kDescriptorSize;
    uint64_t ring = uint64_t{mac_[regs::kTdbah]} << 32 | (mac_[regs::kTdbal] & ~0xfu);
    uint32_t causes = kIcrTxqe;
    while (mac_[regs::kTdh] != mac_[regs::kTdt]) {
        uint64_t at = ring + uint64_t{kDescriptorSize} * mac_[regs::kTdh];
        uint8_t desc[kDescriptorSize];
        if (!dma_read(at, desc, sizeof desc, "TX descriptor")) break;
        process_tx_descriptor(desc);
        uint32_t lower = load_le32(desc + 8);
        if (lower & (kTxdCmdRs | kTxdCmdRps)) {
            uint32_t upper = (load_le32(desc + 12) | kTxdStatDd) & ~kTxdStatErrors;
            uint8_t bytes[4] = {static_cast<uint8_t>(upper), static_cast<uint8_t>(upper >> 8),
                                static_cast<uint8_t>(upper >> 16), static_cast<uint8_t>(upper >> 24)};
            dma_write(at + 12, bytes, 4, "TX descriptor");
            causes |= kIcrTxdw;
        }
        if (++mac_[regs::kTdh] >= ring_entries) mac_[regs::kTdh] = 0;
        // Only bogus TDT/TDLEN values get here: a ring walked all the way
        // round, or a head outside the ring.
        if (mac_[regs::kTdh] == head_start || head_start >= ring_entries) {
            MIMIC_LOG(log::kGuestErrors, "e1000: TX ring wrapped (TDH {} TDT {} TDLEN {:#x})\n", head_start,
                      mac_[regs::kTdt], mac_[regs::kTdlen]);
            break;
        }
    }
    tx_.busy = false;
    raise(causes);
}

void Core::process_tx_descriptor(const uint8_t* desc) {
    uint32_t lower = load_le32(desc + 8);
    uint32_t upper = load_le32(desc + 12);
    uint32_t type = lower & (kTxdCmdDext | kTxdDtypData);
    uint32_t split_size = lower & 0xffff;
    Transmit& tx = tx_;

    tx_delay_interrupt_ |= lower & kTxdCmdIde;
    if (type == kTxdCmdDext) {
        // Context descriptor: offload parameters for the frames that follow.
        if (lower & kTxdCmdTse) {
            tx.tso_props = read_context(desc);
            tx.tso_frames = 0;
        } else {
            tx.props = read_context(desc);
        }
        return;
    }
    if (type == (kTxdCmdDext | kTxdDtypData)) {
        if (tx.size == 0) tx.sum_needed = static_cast<uint8_t>(upper >> 8);
        tx.segmenting = lower & kTxdCmdTse;
    } else {
        tx.segmenting = false;  // legacy descriptor
    }

    if ((mac_[regs::kCtrl] & kCtrlVme) && (lower & kTxdCmdVle) && (tx.segmenting || (lower & kTxdCmdEop))) {
        tx.vlan_needed = true;
        store_be16(tx.vlan_tag.data(), mac_[regs::kVet]);
        store_be16(tx.vlan_tag.data() + 2, upper >> 16);
    }

    uint64_t addr;
    std::memcpy(&addr, desc, 8);
    const size_t capacity = tx.data.size();
    if (tx.segmenting) {
        // Fill up to header + MSS, send that segment, then start the next
        // one from a copy of the header.
        size_t segment_end = size_t{tx.tso_props.hdr_len} + tx.tso_props.mss;
        size_t bytes;
        do {
            if (tx.size >= segment_end) break;
            bytes = std::min<size_t>(split_size, segment_end - tx.size);
            bytes = std::min(bytes, capacity - tx.size);
            if (!dma_read(addr, tx.data.data() + tx.size, bytes, "TX buffer")) {
                std::fill_n(tx.data.data() + tx.size, bytes, 0);
            }
            size_t now = tx.size + bytes;
            if (now >= tx.tso_props.hdr_len && tx.size < tx.tso_props.hdr_len)
                std::memcpy(tx.header.data(), tx.data.data(), tx.tso_props.hdr_len);
            tx.size = now;
            addr += bytes;
            if (now == segment_end) {
                transmit_segment();
                std::memcpy(tx.data.data(), tx.header.data(), tx.tso_props.hdr_len);
                tx.size = tx.tso_props.hdr_len;
            }
            split_size -= static_cast<uint32_t>(bytes);
        } while (bytes && split_size);
    } else {
        size_t bytes = std::min<size_t>(split_size, capacity - tx.size);
        if (!dma_read(addr, tx.data.data() + tx.size, bytes, "TX buffer")) {
            std::fill_n(tx.data.data() + tx.size, bytes, 0);
        }
        tx.size += bytes;
    }

    if (!(lower & kTxdCmdEop)) return;
    if (!(tx.segmenting && tx.size < tx.tso_props.hdr_len)) transmit_segment();
    tx.tso_frames = 0;
    tx.sum_needed = 0;
    tx.vlan_needed = false;
    tx.size = 0;
    tx.segmenting = false;
}

// Sends tx_.data[0, size) as one frame after the offload fix-ups.
void Core::transmit_segment() {
    Transmit& tx = tx_;
    uint8_t* data = tx.data.data();
    const OffloadContext& props = tx.segmenting ? tx.tso_props : tx.props;
    if (tx.segmenting) {
        size_t css = props.ipcss;
        if (props.ip) {
            // IPv4: total length, and the identification counts up per segment.
            store_be16(data + css + 2, static_cast<uint32_t>(tx.size - css));
            store_be16(data + css + 4, load_be16(data + css + 4) + tx.tso_frames);
        } else {
            // IPv6: payload length (the fixed header not included).
            store_be16(data + css + 4, static_cast<uint32_t>(tx.size - css - kIpv6HeaderSize));
        }
        css = props.tucss;
        uint32_t len = static_cast<uint32_t>(tx.size - css);
        if (props.tcp) {
            uint32_t sent = uint32_t{tx.tso_frames} * props.mss;
            store_be32(data + css + 4, load_be32(data + css + 4) + sent);
            if (props.paylen - sent > props.mss) {
                data[css + 13] &= ~0x09;  // PSH and FIN only on the last segment
            } else if (tx.tso_frames) {
                count(regs::kTsctc);
            }
        } else {
            store_be16(data + css + 4, len);  // UDP length
        }
        if (tx.sum_needed & kTxdPoptsTxsm) {
            // The driver seeded the checksum field with the pseudo-header
            // sum without the length; add this segment's length.
            uint32_t sum = load_be16(data + props.tucso) + len;
            sum = (sum >> 16) + (sum & 0xffff);
            store_be16(data + props.tucso, sum);
        }
        ++tx.tso_frames;
    }
    if (tx.sum_needed & kTxdPoptsTxsm) insert_checksum(data, tx.size, props.tucso, props.tucss, props.tucse);
    if (tx.sum_needed & kTxdPoptsIxsm) insert_checksum(data, tx.size, props.ipcso, props.ipcss, props.ipcse);

    if (tx.vlan_needed && tx.size >= 12) {
        std::vector<uint8_t> tagged;
        tagged.reserve(tx.size + 4);
        tagged.insert(tagged.end(), data, data + 12);
        tagged.insert(tagged.end(), tx.vlan_tag.begin(), tx.vlan_tag.end());
        tagged.insert(tagged.end(), data + 12, data + tx.size);
        send_frame(tagged);
    } else {
        send_frame({data, tx.size});
    }
    count(regs::kTpt);
    count_octets(regs::kTotl, tx.size + 4);
    count(regs::kGptc);
    count_octets(regs::kGotcl, tx.size + 4);
}

}  // namespace mimic::hw::e1000
