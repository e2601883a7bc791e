// AML terms (see aml.h). Opcode values are the specification's (ACPI 6.4,
// section 20.3, "AML Byte Stream Byte Values").
#include "aml.h"

#include <stdexcept>

namespace mimic::hw::aml {
namespace {

// Prefixes and opcodes.
constexpr uint8_t kZeroOp = 0x00;
constexpr uint8_t kOneOp = 0x01;
constexpr uint8_t kNameOp = 0x08;
constexpr uint8_t kBytePrefix = 0x0a;
constexpr uint8_t kWordPrefix = 0x0b;
constexpr uint8_t kDwordPrefix = 0x0c;
constexpr uint8_t kStringPrefix = 0x0d;
constexpr uint8_t kQwordPrefix = 0x0e;
constexpr uint8_t kScopeOp = 0x10;
constexpr uint8_t kBufferOp = 0x11;
constexpr uint8_t kPackageOp = 0x12;
constexpr uint8_t kMethodOp = 0x14;
constexpr uint8_t kDualNamePrefix = 0x2e;
constexpr uint8_t kMultiNamePrefix = 0x2f;
constexpr uint8_t kExtOpPrefix = 0x5b;
constexpr uint8_t kLocal0Op = 0x60;
constexpr uint8_t kArg0Op = 0x68;
constexpr uint8_t kNullName = 0x00;

// Extended opcodes (after 0x5B).
constexpr uint8_t kMutexOp = 0x01;
constexpr uint8_t kAcquireOp = 0x23;
constexpr uint8_t kReleaseOp = 0x27;
constexpr uint8_t kOpRegionOp = 0x80;
constexpr uint8_t kFieldOp = 0x81;
constexpr uint8_t kDeviceOp = 0x82;
constexpr uint8_t kProcessorOp = 0x83;

void append(std::vector<uint8_t>& out, const std::vector<uint8_t>& more) {
    out.insert(out.end(), more.begin(), more.end());
}

// A target operand: NullName when the caller gave none.
std::vector<uint8_t> target_bytes(const Aml& target) {
    std::vector<uint8_t> bytes = target.encode();
    if (bytes.empty()) bytes.push_back(kNullName);
    return bytes;
}

Aml op1(uint8_t opcode, const Aml& a) {
    std::vector<uint8_t> out{opcode};
    append(out, a.encode());
    return Aml::bytes(std::move(out));
}

Aml op2(uint8_t opcode, const Aml& a, const Aml& b) {
    std::vector<uint8_t> out{opcode};
    append(out, a.encode());
    append(out, b.encode());
    return Aml::bytes(std::move(out));
}

// Operand, Operand, Target: the arithmetic and bitwise operators.
Aml op2_target(uint8_t opcode, const Aml& a, const Aml& b, const Aml& target) {
    std::vector<uint8_t> out{opcode};
    append(out, a.encode());
    append(out, b.encode());
    append(out, target_bytes(target));
    return Aml::bytes(std::move(out));
}

std::vector<uint8_t> name_bytes(std::string_view name) {
    std::vector<uint8_t> out;
    append_name_string(out, name);
    return out;
}

void append_name_seg(std::vector<uint8_t>& out, std::string_view segment) {
    if (segment.empty() || segment.size() > 4) throw std::invalid_argument("aml: bad name segment");
    for (size_t i = 0; i < 4; ++i) out.push_back(i < segment.size() ? static_cast<uint8_t>(segment[i]) : '_');
}

}  // namespace

Aml Aml::make(Kind kind, std::vector<uint8_t> head, std::vector<uint8_t> args) {
    Aml aml;
    aml.kind_ = kind;
    aml.head_ = std::move(head);
    aml.args_ = std::move(args);
    return aml;
}

Aml& Aml::append(const Aml& child) {
    aml::append(body_, child.encode());
    return *this;
}

std::vector<uint8_t> Aml::encode() const {
    std::vector<uint8_t> out = head_;
    switch (kind_) {
    case Kind::kPlain:
        aml::append(out, body_);
        break;
    case Kind::kPkgLength:
        append_pkg_length(out, args_.size() + body_.size());
        aml::append(out, args_);
        aml::append(out, body_);
        break;
    case Kind::kBuffer:
    case Kind::kResourceTemplate: {
        std::vector<uint8_t> data = body_;
        // End tag; a zero checksum means "the descriptors sum to zero" need
        // not be checked (ACPI 6.4, 6.4.2.9), as every generator writes it.
        if (kind_ == Kind::kResourceTemplate) aml::append(data, {0x79, 0x00});
        std::vector<uint8_t> size = integer(data.size()).encode();
        append_pkg_length(out, size.size() + data.size());
        aml::append(out, size);
        aml::append(out, data);
        break;
    }
    }
    return out;
}

void append_pkg_length(std::vector<uint8_t>& out, size_t length, bool include_self) {
    // One byte holds 6 bits; n > 1 bytes hold 4 + 8 * (n - 1) bits. A
    // package's length counts the encoding's own bytes, a field's bit
    // width does not.
    size_t bytes = 1;
    auto total = [&] { return length + (include_self ? bytes : 0); };
    while (total() >= (bytes == 1 ? size_t{1} << 6 : size_t{1} << (4 + 8 * (bytes - 1)))) {
        if (++bytes > 4) throw std::length_error("aml: package too long");
    }
    size_t value = total();
    if (bytes == 1) {
        out.push_back(static_cast<uint8_t>(value));
        return;
    }
    out.push_back(static_cast<uint8_t>((bytes - 1) << 6 | (value & 0x0f)));
    for (size_t i = 1; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (4 + 8 * (i - 1))));
}

void append_name_string(std::vector<uint8_t>& out, std::string_view name) {
    while (!name.empty() && (name.front() == '\\' || name.front() == '^')) {
        out.push_back(static_cast<uint8_t>(name.front()));
        name.remove_prefix(1);
    }
    std::vector<std::string_view> segments;
    while (!name.empty()) {
        size_t dot = name.find('.');
        segments.push_back(name.substr(0, dot));
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }
    if (segments.empty()) {
        out.push_back(kNullName);
    } else if (segments.size() == 2) {
        out.push_back(kDualNamePrefix);
    } else if (segments.size() > 2) {
        out.push_back(kMultiNamePrefix);
        out.push_back(static_cast<uint8_t>(segments.size()));
    }
    for (std::string_view segment : segments) append_name_seg(out, segment);
}

Aml integer(uint64_t value) {
    if (value == 0) return Aml::bytes({kZeroOp});
    if (value == 1) return Aml::bytes({kOneOp});
    std::vector<uint8_t> out;
    int size = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffff ? 4 : 8;
    out.push_back(size == 1 ? kBytePrefix : size == 2 ? kWordPrefix : size == 4 ? kDwordPrefix : kQwordPrefix);
    for (int i = 0; i < size; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
    return Aml::bytes(std::move(out));
}

Aml string(std::string_view text) {
    std::vector<uint8_t> out{kStringPrefix};
    out.insert(out.end(), text.begin(), text.end());
    out.push_back(0);
    return Aml::bytes(std::move(out));
}

Aml eisa_id(std::string_view id) {
    // Three letters in five bits each, then four hex digits: the compressed
    // EISA ID, stored most significant byte first.
    if (id.size() != 7) throw std::invalid_argument("aml: EISA ID needs 7 characters");
    auto letter = [&](size_t i) { return static_cast<uint32_t>(id[i] - 0x40) & 0x1f; };
    uint32_t product = static_cast<uint32_t>(std::stoul(std::string(id.substr(3)), nullptr, 16));
    uint32_t value = letter(0) << 26 | letter(1) << 21 | letter(2) << 16 | product;
    return Aml::bytes({kDwordPrefix, static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
                       static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)});
}

Aml buffer(const std::vector<uint8_t>& data) {
    Aml aml = Aml::make(Aml::Kind::kBuffer, {kBufferOp});
    aml.append(Aml::bytes(data));
    return aml;
}

Aml to_uuid(std::string_view uuid) {
    if (uuid.size() != 36) throw std::invalid_argument("aml: UUID needs 36 characters");
    auto byte_at = [&](size_t i) { return static_cast<uint8_t>(std::stoul(std::string(uuid.substr(i, 2)), nullptr, 16)); };
    // Text positions of the bytes in buffer order.
    static constexpr size_t kOrder[16] = {6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34};
    std::vector<uint8_t> bytes;
    for (size_t at : kOrder) bytes.push_back(byte_at(at));
    return buffer(bytes);
}

Aml package(uint8_t elements) { return Aml::make(Aml::Kind::kPkgLength, {kPackageOp}, {elements}); }

Aml name(std::string_view path) { return Aml::bytes(name_bytes(path)); }

Aml local(int index) {
    if (index < 0 || index > 7) throw std::invalid_argument("aml: no such local");
    return Aml::bytes({static_cast<uint8_t>(kLocal0Op + index)});
}

Aml arg(int index) {
    if (index < 0 || index > 6) throw std::invalid_argument("aml: no such argument");
    return Aml::bytes({static_cast<uint8_t>(kArg0Op + index)});
}

Aml name_decl(std::string_view name, const Aml& value) {
    std::vector<uint8_t> out{kNameOp};
    append_name_string(out, name);
    append(out, value.encode());
    return Aml::bytes(std::move(out));
}

Aml scope(std::string_view name) { return Aml::make(Aml::Kind::kPkgLength, {kScopeOp}, name_bytes(name)); }

Aml device(std::string_view name) {
    return Aml::make(Aml::Kind::kPkgLength, {kExtOpPrefix, kDeviceOp}, name_bytes(name));
}

Aml method(std::string_view name, int arg_count, Serialize serialize) {
    if (arg_count < 0 || arg_count > 7) throw std::invalid_argument("aml: bad method argument count");
    std::vector<uint8_t> args = name_bytes(name);
    args.push_back(static_cast<uint8_t>(arg_count | (serialize == Serialize::kSerialized ? 1 << 3 : 0)));
    return Aml::make(Aml::Kind::kPkgLength, {kMethodOp}, std::move(args));
}

Aml processor(std::string_view name, uint8_t id, uint32_t pblk_address, uint8_t pblk_length) {
    std::vector<uint8_t> args = name_bytes(name);
    args.push_back(id);
    for (int i = 0; i < 4; ++i) args.push_back(static_cast<uint8_t>(pblk_address >> (8 * i)));
    args.push_back(pblk_length);
    return Aml::make(Aml::Kind::kPkgLength, {kExtOpPrefix, kProcessorOp}, std::move(args));
}

Aml mutex(std::string_view name, uint8_t sync_level) {
    std::vector<uint8_t> out{kExtOpPrefix, kMutexOp};
    append_name_string(out, name);
    out.push_back(sync_level & 0x0f);
    return Aml::bytes(std::move(out));
}

Aml operation_region(std::string_view name, RegionSpace space, const Aml& offset, uint32_t length) {
    std::vector<uint8_t> out{kExtOpPrefix, kOpRegionOp};
    append_name_string(out, name);
    out.push_back(static_cast<uint8_t>(space));
    append(out, offset.encode());
    append(out, integer(length).encode());
    return Aml::bytes(std::move(out));
}

Aml field(std::string_view region, FieldAccess access, FieldLock lock, FieldUpdate update) {
    std::vector<uint8_t> args = name_bytes(region);
    args.push_back(static_cast<uint8_t>(static_cast<uint8_t>(access) | static_cast<uint8_t>(lock) << 4 |
                                        static_cast<uint8_t>(update) << 5));
    return Aml::make(Aml::Kind::kPkgLength, {kExtOpPrefix, kFieldOp}, std::move(args));
}

Aml named_field(std::string_view name, unsigned bits) {
    std::vector<uint8_t> out;
    append_name_seg(out, name);
    append_pkg_length(out, bits, false);
    return Aml::bytes(std::move(out));
}

Aml reserved_field(unsigned bits) {
    std::vector<uint8_t> out{0x00};
    append_pkg_length(out, bits, false);
    return Aml::bytes(std::move(out));
}

Aml if_(const Aml& predicate) { return Aml::make(Aml::Kind::kPkgLength, {0xa0}, predicate.encode()); }
Aml else_() { return Aml::make(Aml::Kind::kPkgLength, {0xa1}); }
Aml while_(const Aml& predicate) { return Aml::make(Aml::Kind::kPkgLength, {0xa2}, predicate.encode()); }
Aml return_(const Aml& value) { return op1(0xa4, value); }
Aml break_() { return Aml::bytes({0xa5}); }
Aml notify(const Aml& object, const Aml& value) { return op2(0x86, object, value); }

Aml acquire(const Aml& mutex, uint16_t timeout) {
    std::vector<uint8_t> out{kExtOpPrefix, kAcquireOp};
    append(out, mutex.encode());
    out.push_back(static_cast<uint8_t>(timeout));
    out.push_back(static_cast<uint8_t>(timeout >> 8));
    return Aml::bytes(std::move(out));
}

Aml release(const Aml& mutex) {
    std::vector<uint8_t> out{kExtOpPrefix, kReleaseOp};
    append(out, mutex.encode());
    return Aml::bytes(std::move(out));
}

Aml call(std::string_view method, const std::vector<Aml>& args) {
    std::vector<uint8_t> out = name_bytes(method);
    for (const Aml& arg : args) append(out, arg.encode());
    return Aml::bytes(std::move(out));
}

Aml store(const Aml& value, const Aml& target) { return op2(0x70, value, target); }
Aml add(const Aml& a, const Aml& b, const Aml& target) { return op2_target(0x72, a, b, target); }
Aml subtract(const Aml& a, const Aml& b, const Aml& target) { return op2_target(0x74, a, b, target); }
Aml and_(const Aml& a, const Aml& b, const Aml& target) { return op2_target(0x7b, a, b, target); }
Aml or_(const Aml& a, const Aml& b, const Aml& target) { return op2_target(0x7d, a, b, target); }
Aml shift_left(const Aml& a, const Aml& count, const Aml& target) { return op2_target(0x79, a, count, target); }
Aml shift_right(const Aml& a, const Aml& count, const Aml& target) { return op2_target(0x7a, a, count, target); }
Aml increment(const Aml& target) { return op1(0x75, target); }
Aml decrement(const Aml& target) { return op1(0x76, target); }
Aml index(const Aml& object, const Aml& position, const Aml& target) {
    return op2_target(0x88, object, position, target);
}
Aml deref_of(const Aml& reference) { return op1(0x83, reference); }
Aml size_of(const Aml& object) { return op1(0x87, object); }
Aml land(const Aml& a, const Aml& b) { return op2(0x90, a, b); }
Aml lor(const Aml& a, const Aml& b) { return op2(0x91, a, b); }
Aml lnot(const Aml& a) { return op1(0x92, a); }
Aml lequal(const Aml& a, const Aml& b) { return op2(0x93, a, b); }
Aml lgreater(const Aml& a, const Aml& b) { return op2(0x94, a, b); }
Aml lless(const Aml& a, const Aml& b) { return op2(0x95, a, b); }

Aml create_dword_field(const Aml& buffer, const Aml& byte_index, std::string_view name) {
    std::vector<uint8_t> out{0x8a};
    append(out, buffer.encode());
    append(out, byte_index.encode());
    append_name_string(out, name);
    return Aml::bytes(std::move(out));
}

Aml to_hex_string(const Aml& value, const Aml& target) {
    std::vector<uint8_t> out{0x98};
    append(out, value.encode());
    append(out, target_bytes(target));
    return Aml::bytes(std::move(out));
}

Aml to_buffer(const Aml& value, const Aml& target) {
    std::vector<uint8_t> out{0x96};
    append(out, value.encode());
    append(out, target_bytes(target));
    return Aml::bytes(std::move(out));
}

Aml definition_body() { return Aml{}; }

}  // namespace mimic::hw::aml
