// fw_cfg over I/O ports (see fw_cfg.h). Items are immutable byte strings
// once the guest runs, except files the board replaces at reset.
#include "mimic/hw/fw_cfg.h"

#include <algorithm>
#include <cstring>

#include "mimic/hw/machine.h"
#include "mimic/memory/transaction.h"
#include "mimic/util/log.h"

namespace mimic::hw {

namespace {

constexpr uint32_t kIdTraditional = 0x01;
constexpr uint32_t kIdDma = 0x02;
constexpr uint64_t kDmaSignature = 0x51454d5520434647ull;  // "QEMU CFG"
constexpr size_t kFileNameSize = 56;

// FWCfgDmaAccess control bits.
constexpr uint32_t kDmaError = 0x01;
constexpr uint32_t kDmaRead = 0x02;
constexpr uint32_t kDmaSkip = 0x04;
constexpr uint32_t kDmaSelect = 0x08;
constexpr uint32_t kDmaWrite = 0x10;

// Write bit and architecture bit are not part of the item number proper.
constexpr uint16_t kKeyMask = 0xbfff;

void put_be16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
    put_be16(out, static_cast<uint16_t>(v >> 16));
    put_be16(out, static_cast<uint16_t>(v));
}

uint32_t be32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

}  // namespace

MIMIC_REGISTER_TYPE({
    .name = kTypeFwCfgIo,
    .parent = qom::kTypeSysBusDevice,
    .factory = qom::factory_of<FwCfg>(),
    .description = "QEMU firmware configuration (I/O ports)",
});

FwCfg::FwCfg() {
    add_bytes(fw_cfg_key::kSignature, {'Q', 'E', 'M', 'U'});
    add_i32(fw_cfg_key::kId, kIdTraditional | kIdDma);
    rebuild_directory();
}

FwCfg::~FwCfg() { do_unrealize(); }

void FwCfg::add_bytes(uint16_t key, std::vector<uint8_t> data) { items_[key & kKeyMask] = std::move(data); }

void FwCfg::add_i16(uint16_t key, uint16_t value) {
    add_bytes(key, {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8)});
}

void FwCfg::add_i32(uint16_t key, uint32_t value) {
    std::vector<uint8_t> data(4);
    for (int i = 0; i < 4; ++i) data[static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
    add_bytes(key, std::move(data));
}

void FwCfg::add_i64(uint16_t key, uint64_t value) {
    std::vector<uint8_t> data(8);
    for (int i = 0; i < 8; ++i) data[static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
    add_bytes(key, std::move(data));
}

void FwCfg::add_string(uint16_t key, const std::string& value) {
    std::vector<uint8_t> data(value.begin(), value.end());
    data.push_back(0);
    add_bytes(key, std::move(data));
}

std::vector<std::pair<std::string, size_t>> FwCfg::files() const {
    std::vector<std::pair<std::string, size_t>> list;
    for (const auto& [name, key] : files_) {
        auto item = items_.find(key);
        list.emplace_back(name, item == items_.end() ? 0 : item->second.size());
    }
    return list;
}

void FwCfg::add_file(const std::string& name, std::vector<uint8_t> data) {
    auto found = files_.find(name);
    if (found != files_.end()) {
        items_[found->second] = std::move(data);
        rebuild_directory();
        return;
    }
    // Keys are handed out in name order, as the directory lists them, so a
    // file's key is stable for a given set of files.
    files_[name] = 0;
    std::vector<std::vector<uint8_t>> contents;
    std::vector<std::string> names;
    for (auto& [file, key] : files_) {
        names.push_back(file);
        contents.push_back(file == name ? std::move(data) : std::move(items_[key]));
    }
    for (auto& [file, key] : files_) {
        if (file != name) items_.erase(key);
    }
    uint16_t key = fw_cfg_key::kFileFirst;
    for (size_t i = 0; i < names.size(); ++i, ++key) {
        files_[names[i]] = key;
        items_[key] = std::move(contents[i]);
    }
    rebuild_directory();
}

void FwCfg::rebuild_directory() {
    std::vector<uint8_t> dir;
    put_be32(dir, static_cast<uint32_t>(files_.size()));
    for (auto& [name, key] : files_) {
        put_be32(dir, static_cast<uint32_t>(items_[key].size()));
        put_be16(dir, key);
        put_be16(dir, 0);
        char field[kFileNameSize] = {};
        std::strncpy(field, name.c_str(), kFileNameSize - 1);
        dir.insert(dir.end(), field, field + kFileNameSize);
    }
    items_[fw_cfg_key::kFileDir] = std::move(dir);
}

const std::vector<uint8_t>* FwCfg::current() const {
    auto found = items_.find(selector_ & kKeyMask);
    return found == items_.end() ? nullptr : &found->second;
}

void FwCfg::first_access() {
    if (accessed_) return;
    accessed_ = true;
    for (auto& hook : first_access_hooks_) hook();
}

void FwCfg::select(uint16_t key) {
    first_access();
    selector_ = key;
    offset_ = 0;
    for (const auto& [name, file_key] : files_) {
        if (file_key != (key & kKeyMask)) continue;
        auto [begin, end] = select_hooks_.equal_range(name);
        for (auto hook = begin; hook != end; ++hook) hook->second();
        break;
    }
}

uint8_t FwCfg::read_byte() {
    first_access();
    const std::vector<uint8_t>* item = current();
    // Past the end, or no such item: zeros, as QEMU returns.
    if (!item || offset_ >= item->size()) return 0;
    return (*item)[offset_++];
}

void FwCfg::dma_transfer(uint64_t descriptor) {
    Machine* machine = Machine::of(*this);
    if (!machine) return;
    memory::AddressSpace& memory = machine->memory_space();
    auto report = [&](uint32_t control) {
        uint8_t word[4] = {static_cast<uint8_t>(control >> 24), static_cast<uint8_t>(control >> 16),
                           static_cast<uint8_t>(control >> 8), static_cast<uint8_t>(control)};
        memory.write(descriptor, word, sizeof word);
    };
    uint8_t raw[16];
    if (memory.read(descriptor, raw, sizeof raw) != memory::AccessResult::kOk) {
        // As QEMU: a descriptor nobody decodes is not a request (it would
        // read as all ones, a READ of 4 GiB); the error bit goes back if
        // the control word is writable at all.
        MIMIC_LOG(log::kGuestErrors, "fw_cfg: DMA descriptor at {:#x} is not in memory\n", descriptor);
        report(kDmaError);
        return;
    }
    uint32_t control = be32(raw);
    uint32_t length = be32(raw + 4);
    uint64_t address = uint64_t{be32(raw + 8)} << 32 | be32(raw + 12);

    first_access();
    if (control & kDmaSelect) select(static_cast<uint16_t>(control >> 16));
    // QEMU's precedence when several are set: read, then write, then skip.
    bool read = control & kDmaRead;
    bool write = !read && (control & kDmaWrite);
    if (!read && !write && !(control & kDmaSkip)) length = 0;

    // The guest's length is walked, never allocated: item bytes go straight
    // from the item, zeros from a small fixed buffer.
    bool error = false;
    while (length > 0 && !error) {
        const std::vector<uint8_t>* item = current();
        size_t available = item && offset_ < item->size() ? item->size() - offset_ : 0;
        uint32_t chunk = static_cast<uint32_t>(std::min<size_t>(length, available ? available : length));
        if (write) {
            error = true;  // no item here is guest-writable
        } else if (read) {
            error = available ? memory.write(address, item->data() + offset_, chunk) != memory::AccessResult::kOk
                              : !write_zeros(memory, address, chunk);
        }
        // Past the end of an item the position stays at its end, as QEMU's.
        if (available) offset_ += chunk;
        address += chunk;
        length -= chunk;
    }
    report(error ? kDmaError : 0);
}

bool FwCfg::write_zeros(memory::AddressSpace& memory, uint64_t address, uint32_t length) {
    static constexpr uint8_t kZeros[4096] = {};
    while (length > 0) {
        uint32_t chunk = std::min<uint32_t>(length, sizeof kZeros);
        if (memory.write(address, kZeros, chunk) != memory::AccessResult::kOk) return false;
        address += chunk;
        length -= chunk;
    }
    return true;
}

void FwCfg::do_realize() {
    Machine* machine = Machine::of(*this);
    memory::MmioOps ops;
    ops.read = [this](uint64_t offset, unsigned) -> uint64_t { return offset == 1 ? read_byte() : 0; };
    ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
        if (offset == 0 && size == 2) select(static_cast<uint16_t>(value));
        else if (offset == 0 && size == 1) select(static_cast<uint16_t>(value));
        else MIMIC_LOG(log::kGuestErrors, "fw_cfg: write to the data port ignored\n");
    };
    ops.valid = {1, 2, false};
    ops.impl = {1, 2, false};
    // Only the selector takes words; the data port is a byte register.
    ops.accepts = [](uint64_t offset, unsigned size, bool) { return offset == 0 || size == 1; };
    io_.init_io("fwcfg", 2, std::move(ops));

    memory::MmioOps dma;
    dma.read = [](uint64_t offset, unsigned size) -> uint64_t {
        // Big-endian region: offset 0 is the signature's most significant byte.
        unsigned shift = static_cast<unsigned>((8 - offset - size) * 8);
        uint64_t value = kDmaSignature >> shift;
        return size == 8 ? value : value & ((uint64_t{1} << (8 * size)) - 1);
    };
    dma.write = [this](uint64_t offset, uint64_t value, unsigned size) {
        if (size == 8 && offset == 0) {
            dma_transfer(value);
        } else if (size == 4 && offset == 0) {
            dma_address_ = value << 32;  // high half first; the low half starts it
        } else if (size == 4 && offset == 4) {
            dma_transfer(dma_address_ | value);
            dma_address_ = 0;
        }
    };
    dma.valid = {1, 8, false};
    dma.impl = {1, 8, false};
    dma.endianness = memory::Endianness::kBig;
    dma_io_.init_io("fwcfg.dma", 8, std::move(dma));

    memory::Transaction transaction;
    machine->io().add_subregion(kFwCfgIoBase, io_);
    machine->io().add_subregion(kFwCfgDmaBase, dma_io_);
}

void FwCfg::do_unrealize() {
    for (memory::MemoryRegion* region : {&io_, &dma_io_}) {
        if (region->parent()) region->parent()->del_subregion(*region);
    }
}

void FwCfg::do_reset() {
    select(0);
    dma_address_ = 0;
    for (auto& hook : reset_hooks_) hook();
}

}  // namespace mimic::hw
