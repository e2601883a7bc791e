// Decrypting a secret given encrypted (-object secret,keyid=k0,iv=...):
// AES-256-CBC with another secret's value as the key, as QEMU does.
#pragma once

#include <string>
#include <string_view>

namespace mimic::qom {

// `key`: 32 bytes; `iv`: 16 bytes; `ciphertext`: whole blocks ending in
// PKCS#7-style padding. Returns the plaintext without the padding. Throws
// mimic::Error with QEMU's texts ("Length 3 must be a multiple of block
// size 16", "Incorrect number of padding bytes (80) found on decrypted data").
std::string aes256_cbc_decrypt(std::string_view key, std::string_view iv, std::string_view ciphertext);

}  // namespace mimic::qom
