// The SMBus host controller of the PIIX4 power-management function: a
// 64-byte I/O block whose byte registers describe one transaction (protocol,
// target address, command, data) that the host runs on its I2C bus.
#pragma once

#include <array>
#include <cstdint>

#include "i2c_bus.h"
#include "mimic/memory/memory_region.h"

namespace mimic::hw {

class PmSmbus {
public:
    static constexpr uint64_t kIoSize = 64;
    static constexpr size_t kBlockMax = 32;  // SMBus block transfer limit

    // `block_buffer_default` starts the controller with the 32-byte block
    // buffer enabled (auxiliary control bit 1), as QEMU's PIIX4 does.
    explicit PmSmbus(bool block_buffer_default);

    memory::MemoryRegion& io() { return io_; }
    I2cBus& bus() { return bus_; }

private:
    uint8_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint8_t value);
    void write_status(uint8_t value);
    void write_control(uint8_t value);
    void start_transaction();
    void run_transaction();
    uint8_t protocol() const { return (control_ >> 2) & 7; }
    bool byte_by_byte() const;

    // SMBus protocol sequences on the bus; negative when nobody answered.
    int quick(uint8_t address, bool is_read);
    int receive_byte(uint8_t address);
    int send_byte(uint8_t address, uint8_t value);
    int read_data(uint8_t address, uint8_t command, int bytes);
    int write_data(uint8_t address, uint8_t command, uint16_t value, int bytes);
    int read_block(uint8_t address, uint8_t command);
    int write_block(uint8_t address, uint8_t command, unsigned length);

    I2cBus bus_;
    memory::MemoryRegion io_;
    uint8_t status_ = 0, control_ = 0, command_ = 0, address_ = 0;
    uint8_t data0_ = 0, data1_ = 0, aux_control_ = 0;
    uint8_t block_byte_ = 0;  // the byte-at-a-time data register
    std::array<uint8_t, kBlockMax> block_{};
    unsigned index_ = 0;  // always below kBlockMax when used
    bool op_done_ = true;
    bool in_i2c_block_read_ = false;
    bool start_on_status_read_ = false;
};

}  // namespace mimic::hw
