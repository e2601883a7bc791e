// SMBIOS structures (see smbios.h). Layouts from the DMTF SMBIOS 2.8
// specification; handles, defaults and the choice of structures are
// QEMU 7.2's (handle = type << 8 | instance).
#include "smbios.h"

#include <algorithm>
#include <cstdio>

#include "mimic/util/error.h"
#include "mimic/util/uuid.h"

namespace mimic::hw {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kMaxDimmSize = 16 * kGiB;  // QEMU splits RAM into DIMMs of at most this
constexpr uint16_t kNoHandle = 0xfffe;
constexpr uint16_t kUnknownHandle = 0xffff;
constexpr unsigned kCpuSpeedMhz = 2000;  // QEMU's type 4 default max/current speed

void put_le(std::vector<uint8_t>& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// One structure: the formatted area, then its strings (numbered from 1;
// an absent string is index 0) and the double-NUL terminator.
class Structure {
public:
    Structure(uint8_t type, uint16_t handle) {
        data_.push_back(type);
        data_.push_back(0);  // length of the formatted area, set by finish()
        put_le(data_, handle, 2);
    }
    void byte(uint64_t value) { put_le(data_, value, 1); }
    void word(uint64_t value) { put_le(data_, value, 2); }
    void dword(uint64_t value) { put_le(data_, value, 4); }
    void qword(uint64_t value) { put_le(data_, value, 8); }
    void raw(const std::vector<uint8_t>& bytes) { data_.insert(data_.end(), bytes.begin(), bytes.end()); }
    void string(const std::string& text) {
        if (text.empty()) {
            data_.push_back(0);
            return;
        }
        strings_.push_back(text);
        data_.push_back(static_cast<uint8_t>(strings_.size()));
    }
    std::vector<uint8_t> finish() {
        data_[1] = static_cast<uint8_t>(data_.size());
        for (const std::string& text : strings_) {
            data_.insert(data_.end(), text.begin(), text.end());
            data_.push_back(0);
        }
        if (strings_.empty()) data_.push_back(0);
        data_.push_back(0);
        return std::move(data_);
    }

private:
    std::vector<uint8_t> data_;
    std::vector<std::string> strings_;
};

std::string field(const std::map<std::string, std::string>& fields, const std::string& key,
                  const std::string& fallback = "") {
    auto found = fields.find(key);
    return found == fields.end() ? fallback : found->second;
}

// SMBIOS 2.6+ stores the first three UUID fields little-endian.
std::vector<uint8_t> encode_uuid(const std::string& text) {
    const std::array<uint8_t, 16> text_order = uuid_bytes(text);
    std::vector<uint8_t> bytes(text_order.begin(), text_order.end());
    std::reverse(bytes.begin(), bytes.begin() + 4);
    std::reverse(bytes.begin() + 4, bytes.begin() + 6);
    std::reverse(bytes.begin() + 6, bytes.begin() + 8);
    return bytes;
}

std::vector<uint8_t> bios_information(const SmbiosConfig& config) {
    Structure s(0, 0x0000);
    s.string(field(config.type0, "vendor"));
    s.string(field(config.type0, "version"));
    s.word(0xe800);  // BIOS starting segment, as SeaBIOS
    s.string(field(config.type0, "date"));
    s.byte(0);        // ROM size: 64 KiB
    s.qword(0x08);    // characteristics not supported
    s.byte(0);        // extension byte 1
    bool uefi = field(config.type0, "uefi") == "on";
    s.byte(0x14 | (uefi ? 0x08 : 0));  // targeted content distribution, virtual machine
    unsigned major = 0xff, minor = 0xff;
    std::string release = field(config.type0, "release");
    if (!release.empty()) std::sscanf(release.c_str(), "%u.%u", &major, &minor);
    s.byte(major);
    s.byte(minor);
    s.byte(0xff);  // embedded controller firmware: none
    s.byte(0xff);
    return s.finish();
}

std::vector<uint8_t> system_information(const SmbiosConfig& config) {
    Structure s(1, 0x0100);
    s.string(field(config.type1, "manufacturer", config.manufacturer));
    s.string(field(config.type1, "product", config.product));
    s.string(field(config.type1, "version", config.version));
    s.string(field(config.type1, "serial"));
    std::string uuid = field(config.type1, "uuid", config.uuid);
    s.raw(uuid.empty() ? std::vector<uint8_t>(16, 0) : encode_uuid(uuid));
    s.byte(0x06);  // wake-up type: power switch
    s.string(field(config.type1, "sku"));
    s.string(field(config.type1, "family"));
    return s.finish();
}

std::vector<uint8_t> chassis(const SmbiosConfig& config) {
    Structure s(3, 0x0300);
    s.string(config.manufacturer);
    s.byte(0x01);  // type: other
    s.string(config.version);
    s.string("");  // serial number
    s.string("");  // asset tag
    s.byte(0x03);  // boot-up state: safe
    s.byte(0x03);  // power supply state: safe
    s.byte(0x03);  // thermal state: safe
    s.byte(0x02);  // security status: unknown
    s.dword(0);    // OEM defined
    s.byte(0);     // height
    s.byte(0);     // power cords
    s.byte(0);     // contained elements
    s.byte(0);     // element record length
    s.string("");  // SKU number
    return s.finish();
}

std::vector<uint8_t> processor(const SmbiosConfig& config, unsigned socket) {
    Structure s(4, static_cast<uint16_t>(0x0400 + socket));
    char designation[16];
    std::snprintf(designation, sizeof designation, "CPU %u", socket);
    s.string(designation);
    s.byte(0x03);  // central processor
    s.byte(0x01);  // family: other
    s.string(config.manufacturer);
    s.qword(config.processor_id);
    s.string(config.version);
    s.byte(0);  // voltage
    s.word(0);  // external clock
    s.word(kCpuSpeedMhz);
    s.word(kCpuSpeedMhz);
    s.byte(0x41);  // socket populated, CPU enabled
    s.byte(0x01);  // upgrade: other
    s.word(kUnknownHandle);  // L1, L2, L3 caches
    s.word(kUnknownHandle);
    s.word(kUnknownHandle);
    s.string("");  // serial number
    s.string("");  // asset tag
    s.string("");  // part number
    // QEMU 7.2 reports threads per core here (later versions per socket).
    s.byte(std::min(config.cores, 0xffu));
    s.byte(std::min(config.cores, 0xffu));
    s.byte(std::min(config.threads, 0xffu));
    s.word(0x02);  // characteristics: unknown
    s.word(0x01);  // family 2: other
    return s.finish();
}

std::vector<uint8_t> memory_array(uint64_t ram_size, unsigned dimms) {
    Structure s(16, 0x1000);
    s.byte(0x01);  // location: other
    s.byte(0x03);  // use: system memory
    s.byte(0x06);  // error correction: multi-bit ECC
    uint64_t kib = ram_size / kKiB;
    bool extended = kib >= 0x80000000;
    s.dword(extended ? 0x80000000 : kib);
    s.word(kNoHandle);
    s.word(dimms);
    s.qword(extended ? ram_size : 0);
    return s.finish();
}

std::vector<uint8_t> memory_device(unsigned index, uint64_t size) {
    Structure s(17, static_cast<uint16_t>(0x1100 + index));
    s.word(0x1000);  // the memory array
    s.word(kNoHandle);
    s.word(0xffff);  // total width: unknown
    s.word(0xffff);  // data width: unknown
    uint64_t mib = (size + kMiB - 1) / kMiB;
    s.word(mib < 0x7fff ? mib : 0x7fff);
    s.byte(0x09);  // form factor: DIMM
    s.byte(0);     // device set
    char locator[16];
    std::snprintf(locator, sizeof locator, "DIMM %u", index);
    s.string(locator);
    s.string("");   // bank locator
    s.byte(0x07);   // type: RAM
    s.word(0x02);   // type detail: other
    s.word(0);      // speed: unknown
    s.string("QEMU");
    s.string("");  // serial number
    s.string("");  // asset tag
    s.string("");  // part number
    s.byte(0);     // attributes
    s.dword(mib < 0x7fff ? 0 : mib);
    s.word(0);  // configured speed
    s.word(0);  // minimum voltage
    s.word(0);  // maximum voltage
    s.word(0);  // configured voltage
    return s.finish();
}

std::vector<uint8_t> memory_array_mapped_address(unsigned index, uint64_t start, uint64_t size) {
    Structure s(19, static_cast<uint16_t>(0x1300 + index));
    uint64_t start_kib = start / kKiB;
    uint64_t end_kib = (start + size) / kKiB - 1;
    bool extended = end_kib >= 0xffffffff;
    s.dword(extended ? 0xffffffff : start_kib);
    s.dword(extended ? 0xffffffff : end_kib);
    s.word(0x1000);
    s.byte(1);  // partition width
    s.qword(extended ? start : 0);
    s.qword(extended ? start + size - 1 : 0);
    return s.finish();
}

std::vector<uint8_t> boot_information() {
    Structure s(32, 0x2000);
    s.raw(std::vector<uint8_t>(6, 0));
    s.byte(0);  // no errors detected
    return s.finish();
}

std::vector<uint8_t> end_of_table() {
    Structure s(127, 0x7f00);
    return s.finish();
}

uint8_t checksum(const std::vector<uint8_t>& data, size_t start, size_t length) {
    uint8_t sum = 0;
    for (size_t i = start; i < start + length; ++i) sum = static_cast<uint8_t>(sum + data[i]);
    return static_cast<uint8_t>(-sum);
}

}  // namespace

SmbiosFiles build_smbios(const SmbiosConfig& config) {
    std::vector<std::vector<uint8_t>> structures;
    if (!config.type0.empty()) structures.push_back(bios_information(config));
    structures.push_back(system_information(config));
    structures.push_back(chassis(config));
    for (unsigned socket = 0; socket < config.sockets; ++socket) structures.push_back(processor(config, socket));
    unsigned dimms = static_cast<unsigned>((config.ram_size + kMaxDimmSize - 1) / kMaxDimmSize);
    structures.push_back(memory_array(config.ram_size, dimms));
    for (unsigned i = 0; i < dimms; ++i) {
        uint64_t size = i + 1 < dimms ? kMaxDimmSize : (config.ram_size - 1) % kMaxDimmSize + 1;
        structures.push_back(memory_device(i, size));
    }
    for (size_t i = 0; i < config.ram_ranges.size(); ++i) {
        structures.push_back(memory_array_mapped_address(static_cast<unsigned>(i), config.ram_ranges[i].start,
                                                         config.ram_ranges[i].size));
    }
    structures.push_back(boot_information());
    structures.push_back(end_of_table());

    SmbiosFiles files;
    size_t largest = 0;
    for (const auto& structure : structures) {
        files.tables.insert(files.tables.end(), structure.begin(), structure.end());
        largest = std::max(largest, structure.size());
    }
    // The 2.1 entry point holds the tables' length in 16 bits.
    if (files.tables.size() > UINT16_MAX)
        throw Error("SMBIOS 2.1 table length {} exceeds {}", files.tables.size(), UINT16_MAX);

    // The 2.1-style entry point, version 2.8; the firmware sets the table
    // address and redoes the checksums when it moves the tables.
    std::vector<uint8_t>& ep = files.anchor;
    for (char c : std::string_view("_SM_")) ep.push_back(static_cast<uint8_t>(c));
    ep.push_back(0);     // checksum
    ep.push_back(0x1f);  // entry point length
    ep.push_back(2);
    ep.push_back(8);
    put_le(ep, largest, 2);
    ep.push_back(0);  // entry point revision
    ep.insert(ep.end(), 5, 0);
    for (char c : std::string_view("_DMI_")) ep.push_back(static_cast<uint8_t>(c));
    ep.push_back(0);  // intermediate checksum
    put_le(ep, files.tables.size(), 2);
    put_le(ep, 0, 4);  // table address
    put_le(ep, structures.size(), 2);
    ep.push_back(0x28);  // BCD revision 2.8
    ep[0x15] = checksum(ep, 0x10, 0x0f);
    ep[0x04] = checksum(ep, 0, 0x1f);
    return files;
}

}  // namespace mimic::hw
