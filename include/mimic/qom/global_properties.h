// -global driver.prop=value: property defaults per device type.
//
// Globals apply, in the order given, to every device whose type is_a
// `driver`, right after the device's declared defaults and before the
// user's own -device values (so: declared default < -global < -device).
// A global naming an unknown property or a bad value makes the creation of
// the first matching device fail with
//   "can't apply global e1000.bogus=1: Property 'e1000.bogus' not found"
// Globals that never matched are reported by unused_warnings(), as QEMU
// warns once the machine is built.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mimic::qom {

class Object;

struct GlobalProperty {
    std::string driver;
    std::string property;
    std::string value;
    bool used = false;
};

class GlobalProperties {
public:
    // The process-wide list that devices consult.
    static GlobalProperties& instance();

    // "driver.prop=value", or "driver=d,property=p,value=v". Throws mimic::Error:
    //   "Invalid parameter 'x'", "options 'driver', 'property', and 'value' are required"
    void add_option(std::string_view text);
    void add(std::string driver, std::string property, std::string value);

    // Applies the matching globals to `object`. Throws mimic::Error as above.
    void apply(Object& object);

    // "global e1000.x has invalid class name", "global e1000.x=1 not used".
    std::vector<std::string> unused_warnings() const;

    const std::vector<GlobalProperty>& list() const { return globals_; }
    void clear() { globals_.clear(); }

private:
    std::vector<GlobalProperty> globals_;
};

}  // namespace mimic::qom
