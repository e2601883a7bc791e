// Back ends that device properties link to by id: -drive id=, -netdev id=,
// -chardev id=.
//
// The block, net and chardev subsystems register each back end they create
// (kind + id -> a handle) and remove it when it goes away. A device's link
// property (prop::drive/netdev/chardev) resolves the id when it is set and
// claims the back end, so two devices cannot share one; the claim is dropped
// when the property changes or the device is destroyed.
//
// The handle is a std::any holding a pointer of the subsystem's own type,
// e.g. std::any(static_cast<block::BlockBackend*>(blk)); device code reads
// it back with link.get<block::BlockBackend>(). This keeps the object model
// free of any dependency on those subsystems.
#pragma once

#include <any>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace mimic::qom {

class Object;

enum class BackendKind { kDrive, kNetdev, kChardev };

// "drive", "netdev", "chardev".
std::string_view backend_kind_name(BackendKind kind);

class BackendRegistry {
public:
    // The process-wide registry the link properties consult.
    static BackendRegistry& instance();

    // Throws mimic::Error "Duplicate ID 'x' for netdev" if the id is taken.
    void add(BackendKind kind, std::string id, std::any handle);
    // Forgets the back end; devices still linked to it keep a stale handle,
    // so subsystems must only remove back ends no device uses (see user()).
    void remove(BackendKind kind, std::string_view id);
    const std::any* find(BackendKind kind, std::string_view id) const;
    // The object whose link property holds the back end, or nullptr.
    const Object* user(BackendKind kind, std::string_view id) const;

    // Used by BackendLink. claim() returns false if another object holds it.
    bool claim(BackendKind kind, std::string_view id, const Object& user);
    void release(BackendKind kind, std::string_view id, const Object& user);

    // Drops everything (tests).
    void clear();

private:
    struct Entry {
        std::any handle;
        const Object* user = nullptr;
    };
    std::map<std::pair<BackendKind, std::string>, Entry, std::less<>> entries_;
};

// The value of a link property: the id the user gave and the back end it
// resolved to. Owns the claim on the back end (released on destruction).
class BackendLink {
public:
    BackendLink() = default;
    ~BackendLink();
    BackendLink(const BackendLink&) = delete;
    BackendLink& operator=(const BackendLink&) = delete;

    bool is_set() const { return !id_.empty(); }
    const std::string& id() const { return id_; }
    const std::any& handle() const { return handle_; }

    // The back end as the pointer type its subsystem registered, or nullptr
    // when unset or registered as another type.
    template <class T>
    T* get() const {
        T* const* p = std::any_cast<T*>(&handle_);
        return p ? *p : nullptr;
    }

    // Resolves and claims `id` for `owner` (empty id: unset). Throws
    // mimic::Error with QEMU's text; on error the old value is kept.
    // `property` is "type.prop" for the messages.
    void assign(BackendKind kind, std::string_view id, const Object& owner,
                std::string_view type_name, std::string_view property);
    void reset();

private:
    BackendKind kind_ = BackendKind::kDrive;
    std::string id_;
    std::any handle_;
    const Object* owner_ = nullptr;
};

}  // namespace mimic::qom
