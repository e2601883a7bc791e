#include "bmdma.h"

#include <algorithm>

#include "ide_channel.h"

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

bool BusMasterDma::transfer(std::span<uint8_t> data, bool to_memory) {
    size_t done = 0;
    uint32_t entry = prd_table_;
    bool table_end = false;
    // A table can hold at most 64 KiB / 8 entries before wrapping its page;
    // the bound also stops a guest's loop of never-ending entries.
    for (int guard = 0; guard < 8192 && !table_end && done < data.size(); ++guard) {
        uint32_t addr = memory_->ldl(entry);
        uint32_t count_flags = memory_->ldl(entry + 4);
        entry += 8;
        uint32_t count = count_flags & 0xfffe;
        if (count == 0) count = 0x10000;
        table_end = count_flags & 0x80000000u;
        size_t chunk = std::min<size_t>(count, data.size() - done);
        if (to_memory) {
            memory_->write(addr & ~1u, data.data() + done, chunk);
        } else {
            memory_->read(addr & ~1u, data.data() + done, chunk);
        }
        done += chunk;
        // Data ended inside this entry: the table is "longer" than the data.
        if (chunk < count) table_end = false;
        if (done == data.size()) {
            if (table_end && chunk == count) status_ &= ~kBmStatusActive;
            return true;
        }
    }
    status_ &= ~kBmStatusActive;
    return done == data.size();
}

void BusMasterDma::reset() {
    command_ = 0;
    status_ &= 0x60;
    prd_table_ = 0;
}

}  // namespace mimic::hw::ide
