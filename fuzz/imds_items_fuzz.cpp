// The small IMDS items: token, instance-id, local-ipv4, placement/region and ISO
// 8601 times. The first byte chooses the parser; the rest is the body. Checks: a
// success is idempotent (parsing the result again gives it back) and every
// failure carries a documented code.
#include "ec2seed/core/imds.h"
#include "fuzz_check.h"

namespace {

using namespace ec2seed;

template <typename Parser>
void check_item(Parser parser, std::string_view body, ErrorCode bad) {
    const Result<std::string> item = parser(body);
    fuzz::require_documented_error(item, {ErrorCode::input_too_large, bad});
    if (item) {
        fuzz::require(!item->empty(), "empty item accepted");
        const Result<std::string> again = parser(*item);
        fuzz::require(again && *again == *item, "item parses to itself");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const std::string_view body = fuzz::as_text(data + 1, size - 1);

    switch (data[0] % 5) {
        case 0: {
            const Result<Secret> token = imds::parse_token(body);
            fuzz::require_documented_error(token,
                                           {ErrorCode::input_too_large, ErrorCode::bad_token});
            if (token) {
                const Result<Secret> again = imds::parse_token(token->reveal());
                fuzz::require(again && *again == *token, "token parses to itself");
            }
            break;
        }
        case 1:
            check_item(imds::parse_instance_id, body, ErrorCode::bad_instance_id);
            break;
        case 2:
            check_item(imds::parse_local_ipv4, body, ErrorCode::bad_ipv4);
            break;
        case 3:
            check_item(imds::parse_region, body, ErrorCode::bad_region);
            break;
        default: {
            const std::optional<WallTime> time = imds::parse_iso8601_utc(body);
            if (time) {
                fuzz::require(time->count() >= -62167219200 && time->count() < 253402300800 + 1,
                              "time within years 0000..9999");
            }
            break;
        }
    }
    return 0;
}
