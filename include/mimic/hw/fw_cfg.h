// QEMU's firmware configuration device ("fw_cfg_io"): how the board hands
// SeaBIOS (and guests' fw_cfg drivers) its configuration.
//
// Guest side: a 16-bit selector at port 0x510 picks an item and rewinds it;
// port 0x511 reads it byte by byte. The DMA interface at 0x514 takes the
// big-endian guest address of a FWCfgDmaAccess {be32 control, be32 length,
// be64 address}, and reads back the signature "QEMU CFG".
//
// Board side: numbered items (signature, RAM size, CPU counts...) and named
// files, listed in the FILE_DIR item sorted by name.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mimic/cli/vm_config.h"
#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/standard_buses.h"

namespace mimic::hw {

inline constexpr const char* kTypeFwCfgIo = "fw_cfg_io";

// Item keys (QEMU's FW_CFG_*).
namespace fw_cfg_key {
inline constexpr uint16_t kSignature = 0x00;
inline constexpr uint16_t kId = 0x01;
inline constexpr uint16_t kUuid = 0x02;
inline constexpr uint16_t kRamSize = 0x03;
inline constexpr uint16_t kNographic = 0x04;
inline constexpr uint16_t kNbCpus = 0x05;
inline constexpr uint16_t kMachineId = 0x06;
// Direct kernel boot: where the option ROM loads each piece, and the piece.
inline constexpr uint16_t kKernelAddr = 0x07;
inline constexpr uint16_t kKernelSize = 0x08;
inline constexpr uint16_t kInitrdAddr = 0x0a;
inline constexpr uint16_t kInitrdSize = 0x0b;
inline constexpr uint16_t kBootDevice = 0x0c;
inline constexpr uint16_t kNuma = 0x0d;
inline constexpr uint16_t kBootMenu = 0x0e;
inline constexpr uint16_t kMaxCpus = 0x0f;
inline constexpr uint16_t kKernelEntry = 0x10;
inline constexpr uint16_t kKernelData = 0x11;
inline constexpr uint16_t kInitrdData = 0x12;
inline constexpr uint16_t kCmdlineAddr = 0x13;
inline constexpr uint16_t kCmdlineSize = 0x14;
inline constexpr uint16_t kCmdlineData = 0x15;
inline constexpr uint16_t kSetupAddr = 0x16;
inline constexpr uint16_t kSetupSize = 0x17;
inline constexpr uint16_t kSetupData = 0x18;
inline constexpr uint16_t kFileDir = 0x19;
inline constexpr uint16_t kFileFirst = 0x20;
inline constexpr uint16_t kArchLocal = 0x8000;
inline constexpr uint16_t kIrq0Override = kArchLocal + 2;
inline constexpr uint16_t kE820Table = kArchLocal + 3;
}  // namespace fw_cfg_key

inline constexpr uint16_t kFwCfgIoBase = 0x510;
inline constexpr uint16_t kFwCfgDmaBase = 0x514;

class FwCfg : public qom::SysBusDevice {
public:
    FwCfg();
    ~FwCfg() override;

    void add_bytes(uint16_t key, std::vector<uint8_t> data);
    void add_i16(uint16_t key, uint16_t value);  // little-endian, as QEMU
    void add_i32(uint16_t key, uint32_t value);
    void add_i64(uint16_t key, uint64_t value);
    void add_string(uint16_t key, const std::string& value);  // NUL included
    // A named file; replaces the contents of an existing one (keeping its key).
    void add_file(const std::string& name, std::vector<uint8_t> data);
    bool has_file(const std::string& name) const { return files_.count(name) != 0; }
    // Names and sizes of the files, in directory order (`info roms`).
    std::vector<std::pair<std::string, size_t>> files() const;

    // Runs on every system reset before the guest can read anything (the
    // board's chance to change files, e.g. -boot once=).
    void on_reset(std::function<void()> hook) { reset_hooks_.push_back(std::move(hook)); }
    // Content that depends on the complete machine (devices added by
    // -device and -serial after the board, such as the ACPI and SMBIOS
    // tables): made before the guest's first access of any kind.
    void before_first_access(std::function<void()> hook) { first_access_hooks_.push_back(std::move(hook)); }
    // Runs when the guest selects file `name`, before it reads: the board
    // may replace the contents (same size; the guest has read the
    // directory), as QEMU regenerates ACPI tables once firmware has
    // programmed the chipset.
    void on_select(const std::string& name, std::function<void()> hook) {
        select_hooks_.emplace(name, std::move(hook));
    }

protected:
    void do_realize() override;
    void do_unrealize() override;
    void do_reset() override;

private:
    void select(uint16_t key);
    void first_access();
    uint8_t read_byte();
    void dma_transfer(uint64_t descriptor);
    // False when part of the range is not writable memory.
    static bool write_zeros(memory::AddressSpace& memory, uint64_t address, uint32_t length);
    void rebuild_directory();
    const std::vector<uint8_t>* current() const;

    std::map<uint16_t, std::vector<uint8_t>> items_;
    std::map<std::string, uint16_t> files_;  // name -> key, sorted as listed
    std::vector<std::function<void()>> reset_hooks_;
    std::vector<std::function<void()>> first_access_hooks_;
    std::multimap<std::string, std::function<void()>> select_hooks_;
    bool accessed_ = false;
    uint16_t selector_ = 0;
    uint32_t offset_ = 0;
    uint64_t dma_address_ = 0;
    memory::MemoryRegion io_, dma_io_;
};

class Machine;

// The pc machine's fw_cfg, at 0x510 with DMA, holding what QEMU's pc board
// gives SeaBIOS: IDs, RAM and CPU counts, NUMA (none), boot device and menu,
// etc/e820, etc/sercon-port with -nographic. `set_boot_order` is how the
// board makes a new boot order effective elsewhere (the RTC's CMOS bytes):
// with -boot once=, the first system reset switches back to order=.
FwCfg& create_pc_fw_cfg(Machine& machine, const cli::VmConfig& config, uint64_t ram_below_4g,
                        uint64_t ram_above_4g,
                        std::function<void(const std::string& order)> set_boot_order = {});

}  // namespace mimic::hw
