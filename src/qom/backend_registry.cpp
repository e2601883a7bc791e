// The back-end registry, BackendLink and the link property types
// (drive=, netdev=, chardev=).
#include "mimic/qom/backend_registry.h"

#include <nlohmann/json.hpp>

#include "property_errors.h"

namespace mimic::qom {

std::string_view backend_kind_name(BackendKind kind) {
    switch (kind) {
        case BackendKind::kDrive: return "drive";
        case BackendKind::kNetdev: return "netdev";
        case BackendKind::kChardev: return "chardev";
    }
    return "?";
}

BackendRegistry& BackendRegistry::instance() {
    static BackendRegistry registry;
    return registry;
}

void BackendRegistry::add(BackendKind kind, std::string id, std::any handle) {
    auto key = std::make_pair(kind, id);
    if (entries_.count(key)) throw Error("Duplicate ID '{}' for {}", id, backend_kind_name(kind));
    entries_.emplace(std::move(key), Entry{std::move(handle), nullptr});
}

void BackendRegistry::remove(BackendKind kind, std::string_view id) {
    entries_.erase(std::make_pair(kind, std::string(id)));
}

const std::any* BackendRegistry::find(BackendKind kind, std::string_view id) const {
    auto it = entries_.find(std::make_pair(kind, std::string(id)));
    return it == entries_.end() ? nullptr : &it->second.handle;
}

const Object* BackendRegistry::user(BackendKind kind, std::string_view id) const {
    auto it = entries_.find(std::make_pair(kind, std::string(id)));
    return it == entries_.end() ? nullptr : it->second.user;
}

bool BackendRegistry::claim(BackendKind kind, std::string_view id, const Object& user) {
    auto it = entries_.find(std::make_pair(kind, std::string(id)));
    if (it == entries_.end()) return false;
    if (it->second.user && it->second.user != &user) return false;
    it->second.user = &user;
    return true;
}

void BackendRegistry::release(BackendKind kind, std::string_view id, const Object& user) {
    auto it = entries_.find(std::make_pair(kind, std::string(id)));
    if (it != entries_.end() && it->second.user == &user) it->second.user = nullptr;
}

void BackendRegistry::clear() { entries_.clear(); }

// ---------------------------------------------------------------- BackendLink

BackendLink::~BackendLink() { reset(); }

void BackendLink::reset() {
    if (owner_ && !id_.empty()) BackendRegistry::instance().release(kind_, id_, *owner_);
    id_.clear();
    handle_.reset();
    owner_ = nullptr;
}

void BackendLink::assign(BackendKind kind, std::string_view id, const Object& owner,
                         std::string_view type_name, std::string_view property) {
    if (id.empty()) {
        reset();
        return;
    }
    if (owner_ == &owner && kind_ == kind && id_ == id) return;

    BackendRegistry& registry = BackendRegistry::instance();
    const std::any* handle = registry.find(kind, id);
    if (!handle) {
        throw Error("Property '{}.{}' can't find value '{}'", type_name, property, id);
    }
    const Object* user = registry.user(kind, id);
    if (user && user != &owner) {
        switch (kind) {
            case BackendKind::kDrive:
                throw Error("Drive '{}' is already in use by another device", id);
            case BackendKind::kNetdev:
                throw Error("Property '{}.{}' can't take value '{}', it's in use", type_name,
                            property, id);
            case BackendKind::kChardev:
                throw Error("Property '{}.{}' can't take value '{}': Device '{}' is in use",
                            type_name, property, id, id);
        }
    }
    std::any new_handle = *handle;
    reset();
    registry.claim(kind, id, owner);
    kind_ = kind;
    id_ = std::string(id);
    handle_ = std::move(new_handle);
    owner_ = &owner;
}

// ---------------------------------------------------------------- link type

namespace {

class LinkType final : public PropertyType {
public:
    explicit LinkType(BackendKind kind) : kind_(kind) {}

    std::string_view name() const override { return "str"; }
    std::string description() const override {
        switch (kind_) {
            case BackendKind::kDrive: return "Node name or ID of a block device to use as a backend";
            case BackendKind::kNetdev: return "ID of a netdev to use as a backend";
            case BackendKind::kChardev: return "ID of a chardev to use as a backend";
        }
        return {};
    }

    void parse(const PropertySlot& slot, std::string_view text) const override {
        field(slot).assign(kind_, text, slot.object, slot.object.type_name(), slot.property.name);
    }
    void set(const PropertySlot& slot, const nlohmann::json& value) const override {
        if (!value.is_string()) throw wrong_type(slot, "string");
        parse(slot, value.get<std::string>());
    }
    nlohmann::json get(const PropertySlot& slot) const override { return field(slot).id(); }
    std::string print(const PropertySlot& slot) const override {
        return "\"" + field(slot).id() + "\"";
    }
    void set_default(const PropertySlot& slot, const DefaultValue&) const override {
        field(slot).reset();
    }

private:
    static BackendLink& field(const PropertySlot& slot) {
        return *static_cast<BackendLink*>(slot.field);
    }
    BackendKind kind_;
};

}  // namespace

std::shared_ptr<const PropertyType> link_type(BackendKind kind) {
    static const std::shared_ptr<const PropertyType> types[] = {
        std::make_shared<LinkType>(BackendKind::kDrive),
        std::make_shared<LinkType>(BackendKind::kNetdev),
        std::make_shared<LinkType>(BackendKind::kChardev),
    };
    return types[static_cast<int>(kind)];
}

}  // namespace mimic::qom
