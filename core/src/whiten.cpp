// Whitening through Botan's hash functions, looked up by name.
#include "ec2seed/core/whiten.h"

#include <exception>
#include <memory>
#include <string>

#include <botan/hash.h>

namespace ec2seed {

namespace {

// Botan answers an unknown name with nullptr, but a malformed name such as
// "SHA-3(x)" may throw: both mean "not available" here.
std::unique_ptr<Botan::HashFunction> make_hash(std::string_view hash_name) noexcept {
    try {
        return Botan::HashFunction::create(std::string(hash_name));
    } catch (const std::exception&) {
        return nullptr;
    }
}

}  // namespace

Result<SecureBytes> whiten(std::string_view hash_name, std::span<const std::uint8_t> item) {
    std::unique_ptr<Botan::HashFunction> hash = make_hash(hash_name);
    if (!hash) {
        return Error{ErrorCode::unsupported_hash,
                     "hash \"" + std::string(hash_name) + "\" is not provided by Botan"};
    }

    try {
        hash->update(item.data(), item.size());
        return hash->final();
    } catch (const std::exception& e) {
        return Error{ErrorCode::unsupported_hash,
                     "hash \"" + std::string(hash_name) + "\" failed: " + e.what()};
    }
}

bool hash_available(std::string_view hash_name) {
    return make_hash(hash_name) != nullptr;
}

}  // namespace ec2seed
