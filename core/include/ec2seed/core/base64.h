// Base64 (RFC 4648 section 4, standard alphabet, '=' padding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ec2seed/core/result.h"
#include "ec2seed/core/secret.h"

namespace ec2seed {

std::string base64_encode(std::span<const std::uint8_t> bytes);

// Decodes exactly the canonical encoding: length a multiple of 4, padding only
// at the end and only as needed, zero trailing bits (RFC 4648 3.5), no white
// space. Used for KMS Plaintext.
// Errors: input_too_large (more than max_input characters); bad_base64 (the
// message names the offset and what was wrong).
Result<SecureBytes> base64_decode_strict(std::string_view text, std::size_t max_input);

// Decodes text wrapped in lines, as IMDS serves the identity document signature:
// CR, LF, space and tab are skipped wherever they stand; everything else is strict.
// Errors: as base64_decode_strict.
Result<SecureBytes> base64_decode_wrapped(std::string_view text, std::size_t max_input);

}  // namespace ec2seed
