#include "mimic/accel/accel_registry.h"

#include <array>

#include "kvm/kvm_accel.h"
#include "qtest/qtest_accel.h"
#include "tcg/tcg_accel.h"

namespace mimic::accel {

std::span<const AccelType> accel_types() {
    // -accel help's order, as QEMU's list.
    static const std::array<AccelType, 3> kTypes = {{
        {"tcg", true, create_tcg_accel},
        {"kvm", true, create_kvm_accel},
        {"qtest", false, create_qtest_accel},
    }};
    return kTypes;
}

const AccelType* find_accel_type(std::string_view name) {
    for (const AccelType& type : accel_types()) {
        if (type.name == name) return &type;
    }
    return nullptr;
}

}  // namespace mimic::accel
