// Whitening: each metadata item is hashed before it reaches the pool, so that the
// pool sees a fixed-size digest, never the raw item.
#pragma once

#include <span>
#include <string_view>

#include "ec2seed/core/result.h"
#include "ec2seed/core/secret.h"

namespace ec2seed {

// Botan's name of the default hash.
inline constexpr std::string_view default_whitening_hash = "SHA-1";

// The digest of item under the Botan hash named hash_name.
// Errors: unsupported_hash (Botan does not provide that hash).
Result<SecureBytes> whiten(std::string_view hash_name, std::span<const std::uint8_t> item);

// Whether hash_name names a hash Botan provides (checked at configuration time).
bool hash_available(std::string_view hash_name);

}  // namespace ec2seed
