// One IDE channel (cable): the ATA task-file registers shared by a master
// and a slave device, the PIO data engine, and the hook a bus-master DMA
// engine uses. Bus-independent: the PIIX function (or any other front end)
// maps the registers and gives the channel an interrupt line.
//
// Each device keeps its own copy of the task file, as real drives do: the
// host's register writes reach both drives, reads come from the selected one.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "mimic/hw/ide.h"
#include "mimic/hw/irq.h"

namespace mimic::block {
class Drive;
}
namespace mimic::system {
struct DriveInfo;
}

namespace mimic::hw::ide {

// Status register bits.
inline constexpr uint8_t kStatusErr = 0x01;
inline constexpr uint8_t kStatusDrq = 0x08;
inline constexpr uint8_t kStatusDsc = 0x10;  // seek complete
inline constexpr uint8_t kStatusDf = 0x20;
inline constexpr uint8_t kStatusDrdy = 0x40;
inline constexpr uint8_t kStatusBsy = 0x80;
// Error register bits.
inline constexpr uint8_t kErrorAbrt = 0x04;
inline constexpr uint8_t kErrorIdnf = 0x10;
// Device control register bits.
inline constexpr uint8_t kControlNien = 0x02;
inline constexpr uint8_t kControlSrst = 0x04;
inline constexpr uint8_t kControlHob = 0x80;

inline constexpr unsigned kSectorSize = 512;
inline constexpr unsigned kCdSectorSize = 2048;
inline constexpr unsigned kMaxMultipleSectors = 16;

class IdeChannel;

// The SCSI sense data an ATAPI device reports (REQUEST SENSE, error register).
struct Sense {
    uint8_t key = 0;
    uint8_t asc = 0;
    uint8_t ascq = 0;
};

enum class DmaDirection { kToMemory, kFromMemory };

// How a DMA transfer ended.
enum class DmaResult {
    kComplete,     // every byte moved
    kShortTable,   // the PRD table ended first; the rest did not move
    kMemoryError,  // a PRD entry or buffer outside memory (bus master error bit)
    kMediumError,  // the image could not be read or written
};

// The device side of a DMA transfer, one piece at a time: for kToMemory it
// fills `piece` with the data at `offset`, for kFromMemory it takes the
// data that arrived for `offset`. False when the image fails.
using DmaData = std::function<bool(uint64_t offset, std::span<uint8_t> piece)>;

// What moves a DMA command's data between the device and guest memory: the
// PIIX's SFF-8038i bus master, or an AHCI port's PRD table. One transfer, in
// pieces of the device's choosing: begin() goes back to the start of the
// buffer list, each move() carries the next piece, end() settles the state.
class DmaEngine {
public:
    // May a transfer run now (the PIIX's start bit; AHCI: always)?
    virtual bool running() const = 0;
    // The direction the host programmed, checked against the command's.
    virtual bool to_memory() const = 0;
    // The channel raised its interrupt.
    virtual void note_interrupt() {}
    virtual void begin() = 0;
    // How much of `data` moved: all of it, or less when the buffer list
    // ended first or an address was outside memory (then failed()).
    virtual size_t move(std::span<uint8_t> data, bool to_memory) = 0;
    virtual bool failed() const = 0;
    // `complete`: the device's data all moved.
    virtual void end(bool complete) = 0;

protected:
    ~DmaEngine() = default;
};

// One ATA disk or ATAPI CD-ROM on the channel.
struct IdeUnit {
    IdeChannel* channel = nullptr;
    int unit = 0;                        // 0 master, 1 slave
    system::DriveInfo* info = nullptr;   // null: no device at this position
    bool cdrom = false;
    std::string serial;
    // What the device's properties set ("" and 0: the defaults).
    std::string model, version;
    uint64_t wwn = 0;
    uint16_t rotation_rate = 0;
    unsigned physical_block_exponent = 0;
    bool write_cache_default = true;     // what reset restores
    // NCQ queue depth IDENTIFY reports (words 75/76); 0 without NCQ, which
    // only an AHCI port offers.
    unsigned ncq_queues = 0;

    // Task file (the "previous" values are the LBA48 high-order bytes).
    uint8_t feature = 0, nsector = 0, sector = 0, lcyl = 0, hcyl = 0;
    uint8_t hob_feature = 0, hob_nsector = 0, hob_sector = 0, hob_lcyl = 0, hob_hcyl = 0;
    uint8_t select = 0xa0;
    uint8_t status = 0;
    uint8_t error = 0;

    // Geometry: physical (reported as default) and the current logical one
    // INITIALIZE DEVICE PARAMETERS sets.
    uint32_t cylinders = 0;
    uint32_t heads = 0, sectors = 0;
    uint32_t cur_heads = 0, cur_sectors = 0;
    uint64_t total_sectors = 0;          // 512-byte sectors of a disk

    unsigned mult_sectors = kMaxMultipleSectors;
    bool write_cache = true;
    uint8_t transfer_mode = 0;           // SET FEATURES 03h value (0 = default PIO)

    // PIO transfer: bytes between pos and end of `buffer` go to/from the host.
    std::vector<uint8_t> buffer;
    size_t pos = 0, end = 0;
    bool pio_out = false;                // host writes the data
    std::function<void()> on_transfer_end;

    // Multi-block command state (PIO and DMA).
    uint64_t lba = 0;
    uint32_t remaining = 0;              // sectors still to transfer
    bool lba48 = false;
    bool dma_pending = false;            // waiting for the bus master to start
    DmaDirection dma_dir = DmaDirection::kToMemory;
    uint64_t dma_bytes = 0;
    DmaData dma_data;
    std::function<void(DmaResult)> on_dma_end;

    // ATAPI.
    uint8_t packet[12] = {};
    uint16_t byte_limit = 0;
    Sense sense;
    bool tray_open = false;
    bool tray_locked = false;
    bool new_media_event = false;
    uint64_t cd_lba = 0;                 // READ by PIO: next 2048-byte sector
    uint32_t cd_remaining = 0;

    bool present() const { return info != nullptr; }
    block::Drive* drive() const;         // the image, or null (no medium)
    bool has_medium() const { return drive() && !tray_open; }
    uint64_t cd_sectors() const;         // 2048-byte sectors of the medium
};

class IdeChannel {
public:
    IdeChannel();
    IdeChannel(const IdeChannel&) = delete;
    IdeChannel& operator=(const IdeChannel&) = delete;

    // `index` numbers the channel for serial numbers ("QM00001".."QM00004").
    void init(int index, IrqLine irq);
    // Puts a drive at master (0) or slave (1). Throws mimic::Error for the
    // user ("Device needs media, but drive is empty").
    void attach(int unit, system::DriveInfo& info);
    // The same as a disk (`cdrom` false) or CD-ROM whatever the drive's
    // media= says: -device ide-hd/ide-cd choose.
    void attach(int unit, system::DriveInfo& info, bool cdrom);
    // Applies an ide-hd/ide-cd device's settings to an attached unit.
    void configure(int unit, const IdeDeviceSettings& settings);
    void set_bus_master(DmaEngine* dma) { dma_ = dma; }

    // Command block: register 0 (data) to 7 (status/command).
    uint32_t read_register(unsigned reg, unsigned size);
    void write_register(unsigned reg, uint32_t value, unsigned size);
    // Control block: alternate status (no side effects) / device control.
    uint8_t read_alt_status();
    void write_device_control(uint8_t value);

    // Power-on / system reset.
    void reset();

    // A tray close with a medium in it (or a monitor `change`): the guest is
    // told through UNIT ATTENTION and a media event.
    void medium_changed(int unit);

    // The tray, as the monitor moves it (eject, change). open_tray() refuses
    // (false) while the guest has it locked, unless `force`; an ejected
    // medium is gone until close_tray() with a new one. Both report to the
    // tray listener only when the tray really moves.
    bool open_tray(int unit, bool force);
    void close_tray(int unit);
    // Every tray movement, by the guest (START STOP UNIT) or the monitor:
    // the front end turns it into DEVICE_TRAY_MOVED.
    using TrayListener = std::function<void(IdeUnit& u, bool open)>;
    void set_tray_listener(TrayListener listener) { tray_listener_ = std::move(listener); }
    void tray_moved(IdeUnit& u, bool open);
    // A read or write of the image failed with -errno `error`: the front
    // end reports it (BLOCK_IO_ERROR); the command then fails as usual.
    using IoErrorListener = std::function<void(IdeUnit& u, bool write, int error)>;
    void set_io_error_listener(IoErrorListener listener) { io_error_listener_ = std::move(listener); }
    void io_error(IdeUnit& u, bool write, int error);

    // Called by the bus master when its start bit goes on: runs a DMA
    // command the selected device has waiting.
    void start_dma();

    IdeUnit& unit(int index) { return units_[index]; }

    // For front ends that carry the task file themselves (AHCI's command
    // FIS): runs `command` on the selected device as a write of the
    // command register would.
    void execute_command(uint8_t command) { execute(current(), command); }
    // The PIO data block the selected device offers or waits for has been
    // moved in full (the front end copied u.buffer[pos, end)).
    void finish_pio() { finish_pio_chunk(); }

    // --- used by the command implementations --------------------------------
    IdeUnit& current() { return units_[selected_]; }
    void raise_irq();
    // PIO: offer `len` bytes of u.buffer to the host (in) or wait for them
    // (out); `done` runs when they have all moved.
    void start_pio(IdeUnit& u, size_t len, bool out, std::function<void()> done);
    // DMA: once the bus master runs, `bytes` move through it in pieces of
    // at most kDmaPieceBytes (the guest's count never sizes a host buffer),
    // `data` supplying or taking each; `done` runs at the end.
    static constexpr size_t kDmaPieceBytes = 64 * 1024;
    void begin_dma(IdeUnit& u, DmaDirection dir, uint64_t bytes, DmaData data, std::function<void(DmaResult)> done);
    void command_ok(IdeUnit& u);      // DRDY|DSC and the completion interrupt
    void abort_command(IdeUnit& u);   // ERR + ABRT and the interrupt
    void set_signature(IdeUnit& u);

private:
    void execute(IdeUnit& u, uint8_t command);
    void finish_pio_chunk();
    void update_irq();
    void soft_reset();

    IdeUnit units_[2];
    int index_ = 0;
    int selected_ = 0;
    uint8_t control_ = 0;
    bool irq_pending_ = false;
    IrqLine irq_;
    DmaEngine* dma_ = nullptr;
    std::vector<uint8_t> dma_piece_;
    TrayListener tray_listener_;
    IoErrorListener io_error_listener_;
};

// Command sets (ata_commands.cpp, atapi.cpp). Return false for a command
// the device does not know (the caller aborts it).
bool execute_ata(IdeChannel& channel, IdeUnit& u, uint8_t command);
void atapi_packet_received(IdeChannel& channel, IdeUnit& u);

// IDENTIFY (PACKET) DEVICE data, 512 bytes, checksummed (identify.cpp).
std::vector<uint8_t> identify_disk(const IdeUnit& u);
std::vector<uint8_t> identify_cdrom(const IdeUnit& u);
// Fills cylinders/heads/sectors from the disk size as QEMU guesses them.
void guess_geometry(IdeUnit& u);

// The monitor events of a unit, for its controller `owner`: the tray moved
// (`id` names the guest device: an ide-cd's id or path, else the
// controller's path) and an I/O error reported to the guest (QEMU's default
// IDE policy: rerror=report; werror=enospc stops only on ENOSPC, which
// Mimic reports too until the VM can stop on an I/O error).
void emit_tray_moved(const qom::Object& owner, const IdeUnit& u, const std::string& id, bool open);
void emit_io_error(const qom::Object& owner, const IdeUnit& u, bool write, int error);

// What -device ide-hd/ide-cd show of an attached unit.
inline IdeAttached attached(const IdeUnit& u) {
    return {.serial = u.serial, .cylinders = u.cylinders, .heads = u.heads, .sectors = u.sectors};
}

}  // namespace mimic::hw::ide
