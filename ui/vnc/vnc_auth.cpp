// VNC authentication through nettle's DES.
#include "vnc_auth.h"

#include <nettle/des.h>
#include <sys/random.h>

#include <stdexcept>

namespace mimic::ui::vnc_auth {

Challenge make_challenge() {
    Challenge challenge{};
    size_t got = 0;
    while (got < challenge.size()) {
        ssize_t n = getrandom(challenge.data() + got, challenge.size() - got, 0);
        if (n < 0) throw std::runtime_error("getrandom failed");
        got += static_cast<size_t>(n);
    }
    return challenge;
}

Challenge expected_response(const std::string& password, const Challenge& challenge) {
    uint8_t key[8] = {};
    for (size_t i = 0; i < 8 && i < password.size(); ++i) {
        auto b = static_cast<uint8_t>(password[i]);
        uint8_t reversed = 0;
        for (int bit = 0; bit < 8; ++bit) reversed = static_cast<uint8_t>(reversed | ((b >> bit) & 1) << (7 - bit));
        key[i] = reversed;
    }
    des_ctx ctx;
    des_set_key(&ctx, key);  // weak keys still encrypt; VNC does not care
    Challenge response{};
    des_encrypt(&ctx, response.size(), response.data(), challenge.data());
    return response;
}

}  // namespace mimic::ui::vnc_auth
