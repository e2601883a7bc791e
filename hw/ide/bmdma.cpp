#include "bmdma.h"

#include <algorithm>

#include "ide_channel.h"
#include "mimic/util/log.h"

namespace mimic::hw::ide {

uint32_t BusMasterDma::read(unsigned offset, unsigned size) {
    uint32_t value = 0;
    switch (offset & ~3u) {
    case 0: {
        // Bytes 0..3: command, (reserved), status, (reserved). Drive 0/1
        // "DMA capable" bits (5, 6) are plain storage the BIOS sets.
        uint32_t word = command_ | (static_cast<uint32_t>(status_) << 16);
        value = word >> ((offset & 3) * 8);
        break;
    }
    case 4:
        value = prd_table_ >> ((offset & 3) * 8);
        break;
    }
    if (size < 4) value &= (1u << (size * 8)) - 1;
    return value;
}

void BusMasterDma::write(unsigned offset, uint32_t value, unsigned size) {
    for (unsigned i = 0; i < size; ++i) {
        unsigned reg = offset + i;
        uint8_t byte = static_cast<uint8_t>(value >> (i * 8));
        switch (reg) {
        case 0: {
            bool was_running = running();
            // The direction bit cannot change while the engine runs.
            if (was_running) byte = (byte & ~kBmCommandToMemory) | (command_ & kBmCommandToMemory);
            command_ = byte & (kBmCommandStart | kBmCommandToMemory);
            if (!running()) {
                // Stopping aborts whatever was in flight.
                status_ &= ~kBmStatusActive;
            } else if (!was_running) {
                status_ |= kBmStatusActive;
                channel_->start_dma();
            }
            break;
        }
        case 2:
            // Interrupt and error are write-one-to-clear; the drive
            // capability bits are read/write; active is read-only.
            status_ = (status_ & ~(kBmStatusInterrupt | kBmStatusError) & ~0x60) |
                      (status_ & (kBmStatusInterrupt | kBmStatusError) & ~byte) | (byte & 0x60);
            break;
        case 4: case 5: case 6: case 7: {
            unsigned shift = (reg - 4) * 8;
            prd_table_ = (prd_table_ & ~(0xffu << shift)) | (static_cast<uint32_t>(byte) << shift);
            prd_table_ &= ~3u;  // dword aligned
            break;
        }
        }
    }
}

namespace {

// A table can hold at most 64 KiB / 8 entries before wrapping its page; the
// bound also stops a guest's loop of never-ending entries.
constexpr int kMaxEntries = 8192;

}  // namespace

void BusMasterDma::begin() {
    next_entry_ = prd_table_;
    buffer_address_ = 0;
    buffer_left_ = 0;
    last_entry_ = false;
    entries_read_ = 0;
    failed_ = false;
}

size_t BusMasterDma::move(std::span<uint8_t> data, bool to_memory) {
    size_t done = 0;
    while (done < data.size() && !failed_) {
        if (buffer_left_ == 0) {
            if (last_entry_ || entries_read_ >= kMaxEntries) break;
            uint8_t entry[8];
            if (memory_->read(next_entry_, entry, sizeof entry) != memory::AccessResult::kOk) {
                MIMIC_LOG(log::kGuestErrors, "ide: PRD table entry at {:#x} is not in memory\n", next_entry_);
                failed_ = true;
                break;
            }
            uint32_t count_flags = uint32_t{entry[4]} | uint32_t{entry[5]} << 8 | uint32_t{entry[6]} << 16 |
                                   uint32_t{entry[7]} << 24;
            buffer_address_ = (uint32_t{entry[0]} | uint32_t{entry[1]} << 8 | uint32_t{entry[2]} << 16 |
                               uint32_t{entry[3]} << 24) & ~1u;
            buffer_left_ = count_flags & 0xfffe;
            if (buffer_left_ == 0) buffer_left_ = 0x10000;
            last_entry_ = count_flags & 0x80000000u;
            next_entry_ += 8;
            ++entries_read_;
        }
        size_t chunk = std::min<size_t>(buffer_left_, data.size() - done);
        memory::AccessResult result = to_memory ? memory_->write(buffer_address_, data.data() + done, chunk)
                                                : memory_->read(buffer_address_, data.data() + done, chunk);
        // Only an address nobody decodes aborts; ROM takes writes silently.
        if (result == memory::AccessResult::kUnassigned) {
            MIMIC_LOG(log::kGuestErrors, "ide: DMA buffer at {:#x} (+{}) is not in memory\n", buffer_address_, chunk);
            failed_ = true;
            break;
        }
        buffer_address_ += static_cast<uint32_t>(chunk);
        buffer_left_ -= static_cast<uint32_t>(chunk);
        done += chunk;
    }
    return done;
}

void BusMasterDma::end(bool complete) {
    if (failed_) {
        status_ |= kBmStatusError;
        status_ &= ~kBmStatusActive;
        if (master_abort_) master_abort_();
    } else if (!complete || (last_entry_ && buffer_left_ == 0)) {
        status_ &= ~kBmStatusActive;
    }
}

void BusMasterDma::reset() {
    command_ = 0;
    status_ &= 0x60;
    prd_table_ = 0;
}

}  // namespace mimic::hw::ide
