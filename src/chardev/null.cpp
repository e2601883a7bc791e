// "null" swallows output and never produces input; "vc" (a graphical text
// console) behaves the same until a display provides real consoles.
#include <memory>

#include "backends.h"

namespace mimic::chardev {

namespace {

class NullChardev : public Chardev {
public:
    NullChardev(std::string id, const char* name) : Chardev(std::move(id)), name_(name) { set_open(true); }
    const char* backend_name() const override { return name_; }

protected:
    size_t do_write(std::span<const uint8_t> data) override { return data.size(); }

private:
    const char* name_;
};

}  // namespace

std::unique_ptr<Chardev> create_null(const std::string& id, const ChardevOptions&) {
    return std::make_unique<NullChardev>(id, "null");
}

std::unique_ptr<Chardev> create_vc(const std::string& id, const ChardevOptions&) {
    return std::make_unique<NullChardev>(id, "vc");
}

}  // namespace mimic::chardev
