#include "mimic/tcg/backend.h"

#include "mimic/util/error.h"

namespace mimic::tcg {

std::unique_ptr<Backend> make_backend(std::string_view name, const BackendConfig& config) {
    if (name == "jit") return make_jit_backend(config);
    if (name == "interp") return make_interpreter_backend(config);
    throw Error("Invalid parameter 'backend': '{}' (expected 'jit' or 'interp')", name);
}

}  // namespace mimic::tcg
