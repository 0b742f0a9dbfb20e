// IAM role listing. Checks: the name returned is one whole line of the input and
// only holds characters IAM allows (it becomes a path segment).
#include "ec2seed/core/imds.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ec2seed;
    const std::string_view body = fuzz::as_text(data, size);

    const Result<std::string> role = imds::parse_role_listing(body);
    fuzz::require_documented_error(
        role, {ErrorCode::input_too_large, ErrorCode::missing_field, ErrorCode::bad_field});
    if (!role) {
        return 0;
    }

    fuzz::require(!role->empty() && role->size() <= 64, "name length 1..64");
    fuzz::require(*role != "." && *role != "..", "no dot segment");
    for (const char c : *role) {
        const bool word =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        fuzz::require(word || std::string_view("+=,.@_-").find(c) != std::string_view::npos,
                      "IAM name character");
    }
    fuzz::require(body.find(*role) != std::string_view::npos, "name taken from the input");
    return 0;
}
