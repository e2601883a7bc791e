// VNC authentication's DES challenge-response.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace mimic::ui::vnc_auth {

using Challenge = std::array<uint8_t, 16>;

// A fresh random challenge.
Challenge make_challenge();
// What a client knowing `password` answers: the challenge encrypted with
// DES (ECB, two blocks), keyed by the first 8 password bytes with each
// byte's bits reversed, as VNC has always done.
Challenge expected_response(const std::string& password, const Challenge& challenge);

}  // namespace mimic::ui::vnc_auth
