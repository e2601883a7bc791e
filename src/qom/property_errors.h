// QEMU's error texts for property values, shared by the property types.
#pragma once

#include <string_view>

#include "mimic/qom/object.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"

namespace mimic::qom {

// Keyval (command line) and range errors: "Parameter 'speed' expects integer".
inline Error expects(const PropertySlot& slot, std::string_view what) {
    return Error("Parameter '{}' expects {}", slot.property.name, what);
}

// Typed (JSON) value of the wrong kind:
// "Invalid parameter type for 'speed', expected: integer".
inline Error wrong_type(const PropertySlot& slot, std::string_view expected) {
    return Error("Invalid parameter type for '{}', expected: {}", slot.property.name, expected);
}

// "Property 'e1000.mac' doesn't take value 'xyz'".
inline Error bad_value(const PropertySlot& slot, std::string_view value) {
    return Error("Property '{}.{}' doesn't take value '{}'", slot.object.type_name(),
                 slot.property.name, value);
}

}  // namespace mimic::qom
