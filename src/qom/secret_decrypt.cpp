#include "secret_decrypt.h"

#include <nettle/aes.h>
#include <nettle/cbc.h>

#include <stdexcept>
#include <vector>

#include "mimic/util/error.h"

namespace mimic::qom {

std::string aes256_cbc_decrypt(std::string_view key, std::string_view iv, std::string_view ciphertext) {
    if (key.size() != AES256_KEY_SIZE || iv.size() != AES_BLOCK_SIZE)
        throw std::logic_error("aes256_cbc_decrypt: bad key or IV length");
    if (ciphertext.size() % AES_BLOCK_SIZE != 0) {
        throw Error("Length {} must be a multiple of block size {}", ciphertext.size(), AES_BLOCK_SIZE);
    }
    if (ciphertext.empty()) return {};
    aes256_ctx ctx;
    aes256_set_decrypt_key(&ctx, reinterpret_cast<const uint8_t*>(key.data()));
    uint8_t chain[AES_BLOCK_SIZE];
    std::copy(iv.begin(), iv.end(), chain);
    std::string plain(ciphertext.size(), '\0');
    cbc_decrypt(&ctx, reinterpret_cast<nettle_cipher_func*>(aes256_decrypt), AES_BLOCK_SIZE, chain,
                ciphertext.size(), reinterpret_cast<uint8_t*>(plain.data()),
                reinterpret_cast<const uint8_t*>(ciphertext.data()));
    // QEMU checks only the count byte, not the padding bytes themselves.
    unsigned pad = static_cast<uint8_t>(plain.back());
    if (pad > AES_BLOCK_SIZE || pad > plain.size()) {
        throw Error("Incorrect number of padding bytes ({}) found on decrypted data", pad);
    }
    plain.resize(plain.size() - pad);
    return plain;
}

}  // namespace mimic::qom
