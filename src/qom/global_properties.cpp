#include "mimic/qom/global_properties.h"

#include "mimic/qom/device.h"
#include "mimic/qom/object.h"
#include "mimic/util/error.h"

namespace mimic::qom {

GlobalProperties& GlobalProperties::instance() {
    static GlobalProperties globals;
    return globals;
}

void GlobalProperties::add(std::string driver, std::string property, std::string value) {
    globals_.push_back({std::move(driver), std::move(property), std::move(value), false});
}

void GlobalProperties::add_option(std::string_view text) {
    // The short form: DRIVER.PROP=VALUE (the driver has no '.' or '=';
    // the property may contain '.').
    size_t dot = text.find_first_of(".=");
    if (dot != std::string_view::npos && dot > 0 && text[dot] == '.') {
        size_t eq = text.find('=', dot + 1);
        if (eq != std::string_view::npos && eq > dot + 1) {
            add(std::string(text.substr(0, dot)), std::string(text.substr(dot + 1, eq - dot - 1)),
                std::string(text.substr(eq + 1)));
            return;
        }
    }
    // The long form: driver=D,property=P,value=V.
    std::string driver, property, value;
    bool has_driver = false, has_property = false, has_value = false;
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        size_t eq = item.find('=');
        std::string_view key = item.substr(0, eq);
        std::string_view val = eq == std::string_view::npos ? "on" : item.substr(eq + 1);
        if (key == "driver") {
            driver = val, has_driver = true;
        } else if (key == "property") {
            property = val, has_property = true;
        } else if (key == "value") {
            value = val, has_value = true;
        } else {
            throw Error("Invalid parameter '{}'", key);
        }
    }
    if (!has_driver || !has_property || !has_value) {
        throw Error("options 'driver', 'property', and 'value' are required");
    }
    add(std::move(driver), std::move(property), std::move(value));
}

void GlobalProperties::apply(Object& object) {
    for (GlobalProperty& global : globals_) {
        if (!object.is_a(global.driver)) continue;
        global.used = true;
        try {
            object.parse_property(global.property, global.value);
        } catch (const Error& e) {
            throw Error("can't apply global {}.{}={}: {}", global.driver, global.property,
                        global.value, e.what());
        }
    }
}

std::vector<std::string> GlobalProperties::unused_warnings() const {
    std::vector<std::string> warnings;
    for (const GlobalProperty& global : globals_) {
        if (global.used) continue;
        const Type* type = TypeRegistry::instance().find(global.driver);
        if (!type || !type->is_a(kTypeDevice)) {
            warnings.push_back(
                fmt::format("global {}.{} has invalid class name", global.driver, global.property));
        } else if (!type->hotpluggable()) {
            // Hotpluggable types may still be created later, so silence.
            warnings.push_back(fmt::format("global {}.{}={} not used", global.driver,
                                           global.property, global.value));
        }
    }
    return warnings;
}

}  // namespace mimic::qom
