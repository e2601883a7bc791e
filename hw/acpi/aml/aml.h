// An AML (ACPI Machine Language) encoder for the tables the board builds
// (DSDT). Each function returns one term; containers (scopes, devices,
// methods, If/Else/While, packages, buffers, fields, resource templates)
// take children through append() and encode their length when the whole
// term is asked for. The encodings follow the ACPI 6.x specification,
// chapter 20, and choose the same forms QEMU's generator chooses (shortest
// integer prefix, no OnesOp), so tables can be compared byte for byte.
//
//   Aml dev = aml::device("LNKA");
//   dev.append(aml::name_decl("_HID", aml::eisa_id("PNP0C0F")));
//   scope.append(dev);
//   std::vector<uint8_t> bytes = definition_block.encode();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::hw::aml {

class Aml {
public:
    Aml() = default;

    // Adds a child term to a container (or raw data to a buffer).
    Aml& append(const Aml& child);
    // The complete encoding of this term.
    std::vector<uint8_t> encode() const;

    // How the term wraps its body (internal to the encoder).
    enum class Kind {
        kPlain,             // head + body
        kPkgLength,         // head + PkgLength + args + body
        kBuffer,            // BufferOp + PkgLength + size + bytes
        kResourceTemplate,  // a buffer of descriptors closed by an end tag
    };
    static Aml make(Kind kind, std::vector<uint8_t> head, std::vector<uint8_t> args = {});
    static Aml bytes(std::vector<uint8_t> data) { return make(Kind::kPlain, std::move(data)); }

private:
    Kind kind_ = Kind::kPlain;
    std::vector<uint8_t> head_;  // opcode(s)
    std::vector<uint8_t> args_;  // fixed arguments after the PkgLength
    std::vector<uint8_t> body_;  // children, already encoded
};

// PkgLength: `length` bytes follow; the encoding counts its own bytes.
void append_pkg_length(std::vector<uint8_t>& out, size_t length, bool include_self = true);
// NameString: "\\_SB.PCI0", "^FOO", "LNKA"; short segments are padded with '_'.
void append_name_string(std::vector<uint8_t>& out, std::string_view name);

// Data.
Aml integer(uint64_t value);  // ZeroOp, OneOp or the shortest prefix
Aml string(std::string_view text);
Aml eisa_id(std::string_view id);  // "PNP0A03" as a DWord
Aml buffer(const std::vector<uint8_t>& data);
// ToUUID("33db4d5b-1ff7-401c-9657-7441c03dd766"): a 16-byte buffer, the
// first three fields little-endian as the ACPI macro lays them out.
Aml to_uuid(std::string_view uuid);
// Package(n): the count is declared up front; fewer elements may follow
// (the rest are uninitialized, as `Package (0x80) {}`).
Aml package(uint8_t elements);
Aml name(std::string_view path);  // a reference to a named object
Aml local(int index);
Aml arg(int index);

// Named objects and containers.
Aml name_decl(std::string_view name, const Aml& value);
Aml scope(std::string_view name);
Aml device(std::string_view name);
enum class Serialize { kNotSerialized, kSerialized };
Aml method(std::string_view name, int arg_count, Serialize serialize = Serialize::kNotSerialized);
Aml processor(std::string_view name, uint8_t id, uint32_t pblk_address = 0, uint8_t pblk_length = 0);
Aml mutex(std::string_view name, uint8_t sync_level);

enum class RegionSpace : uint8_t { kSystemMemory = 0, kSystemIo = 1, kPciConfig = 2 };
Aml operation_region(std::string_view name, RegionSpace space, const Aml& offset, uint32_t length);
enum class FieldAccess : uint8_t { kAny = 0, kByte = 1, kWord = 2, kDword = 3, kQword = 4 };
enum class FieldLock : uint8_t { kNoLock = 0, kLock = 1 };
enum class FieldUpdate : uint8_t { kPreserve = 0, kWriteAsOnes = 1, kWriteAsZeros = 2 };
Aml field(std::string_view region, FieldAccess access, FieldLock lock, FieldUpdate update);
Aml named_field(std::string_view name, unsigned bits);  // for field()
Aml reserved_field(unsigned bits);                       // Offset() gaps

// Statements.
Aml if_(const Aml& predicate);
Aml else_();
Aml while_(const Aml& predicate);
Aml return_(const Aml& value);
Aml break_();
Aml notify(const Aml& object, const Aml& value);
Aml acquire(const Aml& mutex, uint16_t timeout);
Aml release(const Aml& mutex);
Aml call(std::string_view method, const std::vector<Aml>& args = {});

// Expressions. `target` defaults to NullName (result only returned).
Aml store(const Aml& value, const Aml& target);
Aml add(const Aml& a, const Aml& b, const Aml& target = {});
Aml subtract(const Aml& a, const Aml& b, const Aml& target = {});
Aml and_(const Aml& a, const Aml& b, const Aml& target = {});
Aml or_(const Aml& a, const Aml& b, const Aml& target = {});
Aml shift_left(const Aml& a, const Aml& count, const Aml& target = {});
Aml shift_right(const Aml& a, const Aml& count, const Aml& target = {});
Aml increment(const Aml& target);
Aml decrement(const Aml& target);
Aml index(const Aml& object, const Aml& position, const Aml& target = {});
Aml deref_of(const Aml& reference);
Aml size_of(const Aml& object);
Aml land(const Aml& a, const Aml& b);
Aml lor(const Aml& a, const Aml& b);
Aml lnot(const Aml& a);
Aml lequal(const Aml& a, const Aml& b);
Aml lgreater(const Aml& a, const Aml& b);
Aml lless(const Aml& a, const Aml& b);
Aml create_dword_field(const Aml& buffer, const Aml& byte_index, std::string_view name);
Aml to_hex_string(const Aml& value, const Aml& target);
Aml to_buffer(const Aml& value, const Aml& target);

// DefinitionBlock body: the table header is the caller's (acpi_table.h).
Aml definition_body();

}  // namespace mimic::hw::aml
