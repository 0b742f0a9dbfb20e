// Instance identity document. Checks: what it returns passes the item parsers
// for region and instance-id on its own.
#include "ec2seed/core/imds.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ec2seed;
    const std::string_view body = fuzz::as_text(data, size);

    const Result<imds::IdentityDocument> document = imds::parse_identity_document(body);
    fuzz::require_documented_error(
        document, {ErrorCode::input_too_large, ErrorCode::bad_json, ErrorCode::missing_field,
                   ErrorCode::bad_region, ErrorCode::bad_instance_id});
    if (!document) {
        return 0;
    }

    fuzz::require(size <= imds::max_document_bytes, "accepted over the bound");
    const Result<std::string> region = imds::parse_region(document->region);
    fuzz::require(region && *region == document->region, "region passes parse_region");
    const Result<std::string> id = imds::parse_instance_id(document->instance_id);
    fuzz::require(id && *id == document->instance_id, "instanceId passes parse_instance_id");
    return 0;
}
