// The 82540EM's MAC as QEMU's e1000 models it, apart from the PCI function
// that exposes it (e1000.cpp): the register file behind BAR0 and BAR1,
// interrupt causes and mitigation, the EEPROM and PHY, the receive path
// (filtering, the RX descriptor ring) and the transmit path (legacy,
// context and data descriptors with checksum offload and TCP segmentation,
// e1000_tx.cpp).
//
// The core reaches the outside through three things only: the address space
// its descriptor and buffer DMA goes to (with a bus-master switch), an
// interrupt line, and its net::Nic, the network client that back ends are
// linked to. That keeps it testable on a plain RAM address space.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "e1000_eeprom.h"
#include "e1000_phy.h"
#include "e1000_regs.h"
#include "mimic/main_loop/timer.h"
#include "mimic/net/nic.h"
#include "mimic/qom/mac_address.h"

namespace mimic::memory {
class AddressSpace;
enum class AccessResult : uint8_t;
}

namespace mimic::hw::e1000 {

// QEMU's compatibility switches (the device's properties of the same names).
struct Options {
    bool autonegotiation = true;      // link comes up after a PHY autoneg delay
    bool mitigation = true;           // ITR/RADV/TADV/RDTR exist and pace interrupts
    bool extra_mac_registers = true;  // statistics and wake-up registers beyond the basic set
    bool init_vet = true;             // VET starts at 0x8100
    uint16_t device_id = 0x100e;      // 82540EM (in the EEPROM)
    uint16_t phy_id2 = phy::kPhyId2_8254x;
};

struct BusInterface {
    memory::AddressSpace* dma = nullptr;
    // Whether the function may master the bus (PCI COMMAND bit 2).
    std::function<bool()> bus_master;
    std::function<void(bool level)> set_irq;
    // A descriptor or buffer access that nothing decoded (a master abort).
    std::function<void()> master_abort;
};

// The TX offload parameters a context descriptor sets.
struct OffloadContext {
    uint8_t ipcss = 0, ipcso = 0;
    uint16_t ipcse = 0;
    uint8_t tucss = 0, tucso = 0;
    uint16_t tucse = 0;
    uint32_t paylen = 0;
    uint8_t hdr_len = 0;
    uint16_t mss = 0;
    bool ip = false, tcp = false;
};

class Core {
public:
    static constexpr uint32_t kMmioSize = 0x20000;
    static constexpr uint32_t kIoSize = 0x40;

    Core(std::string nic_name, std::string model, const qom::MacAddress& mac, const Options& options,
         BusInterface bus);
    ~Core();
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;

    net::Nic& nic();

    // Power-on / PCI reset: every register, the PHY and the EEPROM interface.
    void reset();

    // BAR0: one register access of `size` bytes (1, 2 or 4) at `offset`.
    uint32_t mmio_read(uint32_t offset, unsigned size);
    void mmio_write(uint32_t offset, uint32_t value, unsigned size);
    // BAR1: IOADDR (offset 0) selects a register that IODATA (offset 4)
    // reads and writes.
    uint32_t io_read(uint32_t offset, unsigned size);
    void io_write(uint32_t offset, uint32_t value, unsigned size);

    // The PCI function enabled bus mastering: frames held back may go now.
    void bus_master_enabled();
    // Where DMA goes from now on (an IOMMU arrived in front of it).
    void set_dma_space(memory::AddressSpace* space) { bus_.dma = space; }

    // For tests and `info`: the raw register word, no side effects.
    uint32_t peek(uint32_t index) const { return mac_[index]; }
    const Eeprom& eeprom() const { return eeprom_; }

private:
    class Client;
    friend class Client;

    // Registers.
    uint32_t read_register(uint32_t index);
    void write_register(uint32_t index, uint32_t value);
    bool register_present(uint32_t index) const;
    void reset_registers();
    void set_ctrl(uint32_t value);
    void receive_address_changed();
    qom::MacAddress receive_address(uint32_t index) const;
    void set_mdic(uint32_t value);
    void set_phy_ctrl(uint16_t value);
    void set_rctl(uint32_t value);
    void set_rdt(uint32_t value);

    // Interrupts.
    void set_interrupt_cause(uint32_t icr);
    void raise(uint32_t causes) { set_interrupt_cause(mac_[regs::kIcr] | causes); }
    void mitigation_timer_expired();

    // Link.
    bool have_autoneg() const;
    void link_down_registers();
    void link_up();
    void restart_autoneg();
    void autoneg_done();
    void link_status_changed();

    // Receive (e1000_core.cpp).
    bool can_receive() const;
    void receive(std::span<const uint8_t> frame);
    bool rx_enabled() const;
    bool accepts(std::span<const uint8_t> frame) const;
    bool has_rx_buffers(size_t total) const;
    uint32_t rx_buffer_size() const;
    void receiver_overrun();

    // Transmit (e1000_tx.cpp).
    void start_transmit();
    void process_tx_descriptor(const uint8_t* desc);
    void transmit_segment();
    // To the peer, or back to our own receive path in PHY loopback (e1000_core.cpp).
    void send_frame(std::span<const uint8_t> frame);
    bool dma_read(uint64_t addr, void* buf, size_t len, const char* what);
    bool dma_write(uint64_t addr, const void* buf, size_t len, const char* what);
    void dma_failed(memory::AccessResult result);

    // Statistics.
    void count(uint32_t index);
    void count_octets(uint32_t low_index, uint64_t bytes);
    void count_size(uint32_t first_index, size_t size);

    std::string name_;
    Options options_;
    BusInterface bus_;
    qom::MacAddress mac_address_;
    std::unique_ptr<Client> client_;

    std::vector<uint32_t> mac_;  // the register file, regs::kCount words
    Phy phy_;
    Eeprom eeprom_;
    uint32_t io_address_ = 0;

    uint32_t rx_min_threshold_shift_ = 1;
    bool mitigation_pending_ = false;  // the mitigation window is open
    bool irq_level_ = false;
    uint32_t tx_delay_interrupt_ = 0;  // IDE seen since the window opened
    Timer autoneg_timer_;
    Timer mitigation_timer_;
    Timer rx_resume_timer_;

    struct Transmit {
        std::vector<uint8_t> data;  // the frame being assembled
        size_t size = 0;
        std::array<uint8_t, 256> header{};
        std::array<uint8_t, 4> vlan_tag{};
        uint8_t sum_needed = 0;     // POPTS of the frame's first data descriptor
        bool vlan_needed = false;
        bool segmenting = false;    // TSE of the current data descriptor
        OffloadContext props;       // from the last checksum context
        OffloadContext tso_props;   // from the last segmentation context
        uint16_t tso_frames = 0;
        bool busy = false;
    } tx_;
};

}  // namespace mimic::hw::e1000
