// Internal to the core: what the IMDS and KMS parsers share to handle bytes a
// peer chose: bounds, JSON reading, and quoting in messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "ec2seed/core/result.h"

namespace ec2seed::detail {

// The input_too_large error for a body of size bytes, bound bytes allowed.
Error too_large(std::string_view what, std::size_t size, std::size_t bound);

// text made safe for a log line: at most bound characters, bytes outside printable
// ASCII replaced by '?', "..." appended when cut. Never use it on a secret.
std::string log_safe(std::string_view text, std::size_t bound);

// Parses text as one JSON object. Everything the parser and the result allocate
// lives in memory that is wiped when freed, since the text may hold a secret key,
// a session token or KMS plaintext. No exception leaves.
// Errors: bad_json (not JSON, trailing data, or not an object).
Result<boost::json::object> parse_json_object(std::string_view text, std::string_view what);

// The string field key of object. Points into object: it lives as long as object.
// Errors: missing_field (absent or empty), bad_json (not a string).
Result<std::string_view> string_field(const boost::json::object& object, std::string_view key,
                                      std::string_view what);

}  // namespace ec2seed::detail
