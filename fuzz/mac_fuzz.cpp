// IMDS mac. Checks: the octets are what the text says, octet by octet.
#include <cstdio>

#include "ec2seed/core/imds.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ec2seed;
    const Result<imds::MacAddress> mac = imds::parse_mac(fuzz::as_text(data, size));
    fuzz::require_documented_error(mac, {ErrorCode::input_too_large, ErrorCode::bad_mac});
    if (!mac) {
        return 0;
    }

    fuzz::require(mac->text.size() == 17, "text is 17 characters");
    for (std::size_t i = 0; i < mac->octets.size(); ++i) {
        unsigned value = 0;
        const std::string octet = mac->text.substr(i * 3, 2);
        fuzz::require(std::sscanf(octet.c_str(), "%2x", &value) == 1 && value == mac->octets[i],
                      "octet matches its text");
    }
    return 0;
}
