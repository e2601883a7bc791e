// JSON text exactly as qemu-img prints it.
//
// QEMU stores objects in a 512-bucket hash table and prints them in bucket
// order, so its key order looks arbitrary but is a pure function of the
// key names. Scripts and users diff this output, so we reproduce it.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace mimic::img {

std::string qemu_json_pretty(const nlohmann::json& value);

}  // namespace mimic::img
