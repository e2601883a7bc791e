// The SFF-8038i bus-master DMA engine of one IDE channel (8 I/O ports in the
// PIIX's BAR4): command, status and the physical address of a table of
// Physical Region Descriptors in guest memory.
//
// A PRD is 8 bytes: a 32-bit buffer address, a 16-bit byte count (0 means
// 64 KiB) and, in the last word, bit 15 "end of table".
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "ide_channel.h"
#include "mimic/memory/address_space.h"

namespace mimic::hw::ide {


inline constexpr uint8_t kBmCommandStart = 0x01;
inline constexpr uint8_t kBmCommandToMemory = 0x08;  // "read": device to memory
inline constexpr uint8_t kBmStatusActive = 0x01;
inline constexpr uint8_t kBmStatusError = 0x02;
inline constexpr uint8_t kBmStatusInterrupt = 0x04;

class BusMasterDma final : public DmaEngine {
public:
    void init(IdeChannel& channel, memory::AddressSpace& memory) {
        channel_ = &channel;
        memory_ = &memory;
    }
    // Told of every master abort, for the PCI function's status register.
    void on_master_abort(std::function<void()> handler) { master_abort_ = std::move(handler); }

    // Registers at offsets 0..7 of the channel's 8-port block.
    uint32_t read(unsigned offset, unsigned size);
    void write(unsigned offset, uint32_t value, unsigned size);

    bool running() const override { return command_ & kBmCommandStart; }
    bool to_memory() const override { return command_ & kBmCommandToMemory; }
    // The channel's interrupt goes to the interrupt bit, whatever the state.
    void note_interrupt() override { status_ |= kBmStatusInterrupt; }

    // One transfer, in pieces of the device's choosing: begin() goes back to
    // the start of the PRD table, each move() carries the next piece between
    // the device and the buffers the table lists, end() settles the status.
    // The device's data never has to be in one host buffer.
    void begin() override;
    // How much of `data` moved: all of it, or less when the table ended
    // first or when an entry or a buffer is outside memory (failed()).
    size_t move(std::span<uint8_t> data, bool to_memory) override;
    // A PRD or buffer address nothing decodes: a PCI master abort.
    bool failed() const override { return failed_; }
    // `complete`: the device's data all moved. A master abort sets the
    // error bit and stops the engine; a table that ended before the data
    // (the transfer is then short and the engine flags no error, as the
    // PIIX does) or exactly with it clears the active bit; a longer table
    // leaves it set, which is how guests tell an underrun.
    void end(bool complete) override;

    void reset();

private:
    IdeChannel* channel_ = nullptr;
    memory::AddressSpace* memory_ = nullptr;
    uint8_t command_ = 0;
    uint8_t status_ = 0;
    uint32_t prd_table_ = 0;

    // Where the transfer in progress is in the table.
    uint32_t next_entry_ = 0;
    uint32_t buffer_address_ = 0;
    uint32_t buffer_left_ = 0;  // bytes of the current entry still to move
    bool last_entry_ = false;
    int entries_read_ = 0;
    bool failed_ = false;
    std::function<void()> master_abort_;
};

}  // namespace mimic::hw::ide
