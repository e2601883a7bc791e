// What the monitor asks of other subsystems, one small interface each.
//
// The monitor knows no device, CPU or block node. A subsystem that can answer
// a group of commands implements one of these interfaces and registers it
// with the hub at start-up:
//
//   class PcMachineInfo : public monitor::MachineProvider { ... };
//   hub.providers().machine = &pc_machine_info;   // not owned
//
// The provider must outlive the hub or be unregistered (set back to null)
// before it dies. Commands whose provider is missing answer
// "<command> is not supported yet" as a GenericError, in QMP and HMP alike.
//
// All calls happen on the main loop thread with the BQL held.
#pragma once

#include "mimic/monitor/json.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mimic::monitor {

// query-kvm / info kvm.
struct KvmInfo {
    bool enabled = false;  // the VM runs under KVM
    bool present = false;  // KVM is usable on this host
};

class AccelProvider {
public:
    virtual ~AccelProvider() = default;
    virtual KvmInfo kvm() const = 0;
};

// One entry of query-machines (QAPI MachineInfo).
struct MachineInfo {
    std::string name;
    std::optional<std::string> alias;
    bool is_default = false;
    int cpu_max = 1;
    bool hotpluggable_cpus = false;
    bool numa_mem_supported = false;
    bool deprecated = false;
    std::optional<std::string> default_cpu_type;
    std::optional<std::string> default_ram_id;
};

// The machine types Mimic can build, and the device tree of the one it built.
class MachineProvider {
public:
    virtual ~MachineProvider() = default;
    virtual std::vector<MachineInfo> machines() const = 0;
    // `info qtree`, already in QEMU's indented text layout.
    virtual std::string qtree_text() const = 0;
};

// One entry of query-cpu-definitions (QAPI CpuDefinitionInfo).
struct CpuDefinition {
    std::string name;
    std::string type_name;
    std::string alias_of;                           // "" if none
    std::vector<std::string> unavailable_features;  // what this accelerator lacks
    bool migration_safe = true;
    bool is_static = false;
    bool deprecated = false;
};

// The guest CPUs: models, registers, and how their code is disassembled.
class CpuProvider {
public:
    virtual ~CpuProvider() = default;
    virtual std::vector<CpuDefinition> cpu_definitions() const = 0;
    virtual int cpu_count() const = 0;
    // query-cpus-fast: a list of QAPI CpuInfoFast ({"cpu-index": 0,
    // "qom-path": ..., "thread-id": ..., "props": {...}, "target": "x86_64"}).
    virtual Json query_cpus_fast() const = 0;
    // `info registers` for one CPU, in QEMU's layout.
    virtual std::string registers_text(int cpu) const = 0;
    // A register by the name HMP's $name uses ("eax", "rip", "cr3", "pc",
    // "eflags", segment bases as "cs" ...); nullopt when unknown.
    virtual std::optional<uint64_t> read_register(int cpu, const std::string& name) const = 0;
    // 16, 32 or 64: the mode x/i disassembles in.
    virtual int code_bits(int cpu) const = 0;
};

// Guest memory as the debugger sees it: x, xp, memsave, pmemsave, info mtree.
class MemoryProvider {
public:
    virtual ~MemoryProvider() = default;
    // Reads through `cpu`'s page tables. False when any byte is unmapped.
    virtual bool read_virtual(int cpu, uint64_t address, std::span<uint8_t> buffer) const = 0;
    // Reads the system address space. False when any byte hits no RAM/ROM/MMIO.
    virtual bool read_physical(uint64_t address, std::span<uint8_t> buffer) const = 0;
    // `info mtree` (with -f: the flattened views), in QEMU's layout.
    virtual std::string mtree_text(bool flatview) const = 0;
};

// Drives: query-block returns a list of QAPI BlockInfo objects
// ({"device": ..., "qdev": ..., "removable": ..., "locked": ...,
// "tray_open": ..., "inserted": {...}}), from which HMP's `info block` text
// is formatted; query-blockstats a list of BlockStats.
class BlockProvider {
public:
    virtual ~BlockProvider() = default;
    virtual Json query_block() const = 0;
    virtual Json query_blockstats() const = 0;
};

// One entry of query-chardev (QAPI ChardevInfo).
struct ChardevInfo {
    std::string label;
    std::string filename;
    bool frontend_open = false;
};

class ChardevProvider {
public:
    virtual ~ChardevProvider() = default;
    virtual std::vector<ChardevInfo> chardevs() const = 0;
};

// PCI: query-pci returns a list of QAPI PciInfo ({"bus": 0, "devices": [...]}).
class PciProvider {
public:
    virtual ~PciProvider() = default;
    virtual Json query_pci() const = 0;
    // `info pci` in QEMU's layout (it is too irregular to derive from JSON alone).
    virtual std::string info_pci_text() const = 0;
};

// The registry the hub carries; every member may be null.
struct Providers {
    AccelProvider* accel = nullptr;
    MachineProvider* machine = nullptr;
    CpuProvider* cpu = nullptr;
    MemoryProvider* memory = nullptr;
    BlockProvider* block = nullptr;
    ChardevProvider* chardev = nullptr;
    PciProvider* pci = nullptr;
};

// Returns *provider, or throws "<what> is not supported yet".
template <typename Provider>
Provider& require(Provider* provider, const std::string& what);

}  // namespace mimic::monitor

#include "mimic/monitor/qmp_error.h"

template <typename Provider>
Provider& mimic::monitor::require(Provider* provider, const std::string& what) {
    if (!provider) throw_not_supported(what);
    return *provider;
}
