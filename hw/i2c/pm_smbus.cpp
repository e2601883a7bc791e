#include "pm_smbus.h"

#include <utility>

namespace mimic::hw {
namespace {

// Register offsets.
constexpr uint64_t kHostStatus = 0x00;
constexpr uint64_t kHostControl = 0x02;
constexpr uint64_t kHostCommand = 0x03;
constexpr uint64_t kHostAddress = 0x04;
constexpr uint64_t kHostData0 = 0x05;
constexpr uint64_t kHostData1 = 0x06;
constexpr uint64_t kBlockData = 0x07;
constexpr uint64_t kAuxControl = 0x0d;

// Host status bits.
constexpr uint8_t kHostBusy = 0x01;
constexpr uint8_t kInterrupt = 0x02;
constexpr uint8_t kDeviceError = 0x04;
constexpr uint8_t kFailed = 0x10;
constexpr uint8_t kByteDone = 0x80;

// Host control bits.
constexpr uint8_t kInterruptEnable = 0x01;
constexpr uint8_t kKill = 0x02;
constexpr uint8_t kLastByte = 0x20;
constexpr uint8_t kStart = 0x40;
constexpr uint8_t kControlReadMask = 0x1f;

// Protocols (host control bits 4:2).
constexpr uint8_t kQuick = 0;
constexpr uint8_t kByte = 1;
constexpr uint8_t kByteData = 2;
constexpr uint8_t kWordData = 3;
constexpr uint8_t kBlockDataProtocol = 5;
constexpr uint8_t kI2cBlockRead = 6;

constexpr uint8_t kAuxBlockBuffer = 0x02;
constexpr uint8_t kAuxMask = 0x03;

}  // namespace

PmSmbus::PmSmbus(bool block_buffer_default) {
    if (block_buffer_default) aux_control_ = kAuxBlockBuffer;
    memory::MmioOps ops;
    ops.read = [this](uint64_t offset, unsigned) -> uint64_t { return read_register(offset); };
    ops.write = [this](uint64_t offset, uint64_t value, unsigned) {
        write_register(offset, static_cast<uint8_t>(value));
    };
    // Wider accesses are split into bytes, in order.
    ops.valid = {1, 4, false};
    ops.impl = {1, 1, false};
    io_.init_io("pm-smbus", kIoSize, std::move(ops));
}

uint8_t PmSmbus::read_register(uint64_t offset) {
    switch (offset) {
    case kHostStatus: {
        uint8_t value = status_;
        // A transaction started without interrupts runs on the first status
        // poll, which still sees it busy: some BIOSes wait for that.
        if (start_on_status_read_) {
            start_on_status_read_ = false;
            status_ &= ~kHostBusy;
            run_transaction();
        }
        return value;
    }
    case kHostControl: return control_ & kControlReadMask;
    case kHostCommand: return command_;
    case kHostAddress: return address_;
    case kHostData0: return data0_;
    case kHostData1: return data1_;
    case kBlockData: {
        if (!(aux_control_ & kAuxBlockBuffer) || in_i2c_block_read_) return block_byte_;
        if (index_ >= kBlockMax) index_ = 0;
        uint8_t value = block_[index_++];
        if (!op_done_ && index_ == data0_) {
            op_done_ = true;
            index_ = 0;
            status_ &= ~kHostBusy;
        }
        return value;
    }
    case kAuxControl: return aux_control_;
    default: return 0;
    }
}

void PmSmbus::write_register(uint64_t offset, uint8_t value) {
    switch (offset) {
    case kHostStatus: write_status(value); break;
    case kHostControl: write_control(value); break;
    case kHostCommand: command_ = value; break;
    case kHostAddress: address_ = value; break;
    case kHostData0: data0_ = value; break;
    case kHostData1: data1_ = value; break;
    case kBlockData:
        if (index_ >= kBlockMax) index_ = 0;
        if (aux_control_ & kAuxBlockBuffer) block_[index_++] = value;
        else block_byte_ = value;
        break;
    case kAuxControl: aux_control_ = value & kAuxMask; break;
    default: break;
    }
}

bool PmSmbus::byte_by_byte() const {
    if (op_done_) return false;
    return in_i2c_block_read_ || !(aux_control_ & kAuxBlockBuffer);
}

// Status bits are write-one-to-clear (except busy); clearing "byte done"
// during a byte-at-a-time block transfer moves it on by one byte.
void PmSmbus::write_status(uint8_t value) {
    bool next_byte = status_ & value & kByteDone;
    status_ &= static_cast<uint8_t>(~(value & ~kHostBusy));
    if (!next_byte || !byte_by_byte()) return;

    // The I2C block read is a read whatever the address's R/W bit says.
    bool is_read = (address_ & 1) || in_i2c_block_read_;
    if (++index_ >= kBlockMax) index_ = 0;
    if (!is_read && index_ == data0_) {
        if (protocol() == kI2cBlockRead || write_block(address_ >> 1, command_, data0_) < 0) {
            status_ |= kDeviceError;
            return;
        }
        op_done_ = true;
        status_ = static_cast<uint8_t>((status_ | kInterrupt) & ~kHostBusy);
    } else if (!is_read) {
        block_[index_] = block_byte_;
        status_ |= kByteDone;
    } else if (control_ & kLastByte) {
        op_done_ = true;
        if (in_i2c_block_read_) {
            in_i2c_block_read_ = false;
            block_byte_ = bus_.read();
            bus_.stop();
        } else {
            block_byte_ = block_[index_];
        }
        index_ = 0;
        status_ = static_cast<uint8_t>((status_ | kInterrupt) & ~kHostBusy);
    } else {
        block_byte_ = in_i2c_block_read_ ? bus_.read() : block_[index_];
        status_ |= kByteDone;
    }
}

void PmSmbus::write_control(uint8_t value) {
    control_ = value & ~kStart;  // start always reads back as zero
    if (value & kStart) {
        // A new start abandons a block transfer still in progress.
        if (!op_done_) {
            index_ = 0;
            op_done_ = true;
            if (in_i2c_block_read_) {
                in_i2c_block_read_ = false;
                bus_.stop();
            }
        }
        start_transaction();
    }
    if (control_ & kKill) {
        op_done_ = true;
        index_ = 0;
        status_ = static_cast<uint8_t>((status_ | kFailed) & ~kHostBusy);
    }
}

void PmSmbus::start_transaction() {
    if (control_ & kInterruptEnable) {
        run_transaction();
        start_on_status_read_ = false;
    } else {
        status_ |= kHostBusy;
        start_on_status_read_ = true;
    }
}

void PmSmbus::run_transaction() {
    const bool is_read = address_ & 1;
    const uint8_t target = address_ >> 1;
    // A device error still pending fails every transaction until cleared.
    if (status_ & kDeviceError) return;

    int result = -1;
    switch (protocol()) {
    case kQuick: result = quick(target, is_read); break;
    case kByte:
        result = is_read ? receive_byte(target) : send_byte(target, command_);
        if (is_read && result >= 0) data0_ = static_cast<uint8_t>(result);
        break;
    case kByteData:
        result = is_read ? read_data(target, command_, 1) : write_data(target, command_, data0_, 1);
        if (is_read && result >= 0) data0_ = static_cast<uint8_t>(result);
        break;
    case kWordData:
        result = is_read ? read_data(target, command_, 2)
                         : write_data(target, command_, static_cast<uint16_t>(data1_ << 8 | data0_), 2);
        if (is_read && result >= 0) {
            data0_ = static_cast<uint8_t>(result);
            data1_ = static_cast<uint8_t>(result >> 8);
        }
        break;
    case kI2cBlockRead:
        // Drivers differ on the R/W bit here, so it is ignored. The offset
        // goes out in data 1; bytes then come one at a time until the
        // guest flags the last one.
        if (!bus_.start(target, false) || !bus_.write(data1_) || !bus_.start(target, true)) {
            bus_.stop();
            break;
        }
        in_i2c_block_read_ = true;
        block_byte_ = bus_.read();
        op_done_ = false;
        status_ |= kHostBusy | kByteDone;
        return;
    case kBlockDataProtocol:
        if (is_read) {
            result = read_block(target, command_);
            if (result < 0) break;
            index_ = 0;
            op_done_ = false;
            if (aux_control_ & kAuxBlockBuffer) {
                status_ |= kInterrupt;
            } else {
                block_byte_ = block_[0];
                status_ |= kHostBusy | kByteDone;
            }
            data0_ = static_cast<uint8_t>(result);
            return;
        }
        if (aux_control_ & kAuxBlockBuffer) {
            // The whole block is already in the buffer.
            bool complete = index_ == data0_;
            index_ = 0;
            if (!complete || write_block(target, command_, data0_) < 0) break;
            op_done_ = true;
            status_ = static_cast<uint8_t>((status_ | kInterrupt) & ~kHostBusy);
        } else {
            op_done_ = false;
            status_ |= kHostBusy | kByteDone;
            block_[0] = block_byte_;
            index_ = 0;
        }
        return;
    default: break;  // process call and the reserved protocols fail
    }
    status_ |= result < 0 ? kDeviceError : kInterrupt;
}

int PmSmbus::quick(uint8_t address, bool is_read) {
    if (!bus_.start(address, is_read)) return -1;
    bus_.stop();
    return 0;
}

int PmSmbus::receive_byte(uint8_t address) {
    if (!bus_.start(address, true)) return -1;
    uint8_t value = bus_.read();
    bus_.stop();
    return value;
}

int PmSmbus::send_byte(uint8_t address, uint8_t value) {
    if (!bus_.start(address, false)) return -1;
    bus_.write(value);
    bus_.stop();
    return 0;
}

int PmSmbus::read_data(uint8_t address, uint8_t command, int bytes) {
    if (!bus_.start(address, false)) return -1;
    bus_.write(command);
    if (!bus_.start(address, true)) {
        bus_.stop();
        return -1;
    }
    int value = 0;
    for (int i = 0; i < bytes; ++i) value |= bus_.read() << (8 * i);
    bus_.stop();
    return value;
}

int PmSmbus::write_data(uint8_t address, uint8_t command, uint16_t value, int bytes) {
    if (!bus_.start(address, false)) return -1;
    bus_.write(command);
    for (int i = 0; i < bytes; ++i) bus_.write(static_cast<uint8_t>(value >> (8 * i)));
    bus_.stop();
    return 0;
}

// Block read with the length byte first; a length over 32 reads nothing.
int PmSmbus::read_block(uint8_t address, uint8_t command) {
    if (!bus_.start(address, false)) return -1;
    bus_.write(command);
    if (!bus_.start(address, true)) {
        bus_.stop();
        return -1;
    }
    unsigned length = bus_.read();
    if (length > kBlockMax) length = 0;
    for (unsigned i = 0; i < length; ++i) block_[i] = bus_.read();
    bus_.stop();
    return static_cast<int>(length);
}

int PmSmbus::write_block(uint8_t address, uint8_t command, unsigned length) {
    if (length > kBlockMax) length = kBlockMax;
    if (!bus_.start(address, false)) return -1;
    bus_.write(command);
    bus_.write(static_cast<uint8_t>(length));
    for (unsigned i = 0; i < length; ++i) bus_.write(block_[i]);
    bus_.stop();
    return 0;
}

}  // namespace mimic::hw
