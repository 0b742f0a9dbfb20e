// KMS error replies. The first two bytes choose the status (100..599), the
// third whether the rest is sent as the body or as an x-amzn-ErrorType header.
// Checks: never fails, echoes the status, type and message bounded and
// printable, 5xx and 429 never fatal, and a type-less response keeps the
// status's class.
#include "ec2seed/core/kms.h"
#include "fuzz_check.h"

namespace {

bool printable(std::string_view text) {
    for (const char c : text) {
        if (c < 0x20 || c >= 0x7f) {
            return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ec2seed;
    if (size < 3) {
        return 0;
    }
    const int status = 100 + static_cast<int>((std::size_t{data[0]} << 8 | data[1]) % 500);
    const bool as_header = (data[2] & 1) != 0;
    const std::string_view rest = fuzz::as_text(data + 3, size - 3);

    HttpResponse response;
    response.status = status;
    if (as_header) {
        response.headers.push_back({"x-amzn-ErrorType", std::string(rest), false});
    } else {
        response.body.assign(rest.begin(), rest.end());
    }

    const kms::KmsError error = kms::parse_error(response);
    fuzz::require(error.status == status, "status echoed");
    fuzz::require(printable(error.type) && printable(error.message), "printable type and message");
    fuzz::require(error.type.size() <= 131 && error.message.size() <= 515, "bounded text");
    if (status >= 500 || status == 429) {
        fuzz::require(error.kind != kms::ErrorKind::fatal, "5xx and 429 are retryable");
    }
    if (error.type.empty() && status < 500 && status != 429) {
        fuzz::require(error.kind == kms::ErrorKind::fatal, "unknown 4xx is fatal");
    }
    if (!as_header) {
        const kms::KmsError direct = kms::parse_error(status, rest);
        fuzz::require(direct.type == error.type && direct.kind == error.kind,
                      "both entry points agree on a body");
    }
    return 0;
}
