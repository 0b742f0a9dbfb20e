// SigV4 signer harness. The input is split into lines, one field each, in this
// order: method, target, access key id, secret access key, session token,
// region, service, time (decimal seconds), flags (any of 'n' normalize path,
// 's' sign the session token, 'c' sign X-Amz-Content-SHA256), then header lines
// "Name:value" up to an empty line, then the body (the rest, any bytes).
// Checks: no crash, signing twice gives the same output, a success is well
// formed, and an error (code and message) is the same whatever the secret
// key's and the token's values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ec2seed/core/sigv4.h"

namespace {

using ec2seed::Credentials;
using ec2seed::Result;
using ec2seed::Secret;
using ec2seed::SigV4Params;
using ec2seed::SigV4Request;
using ec2seed::SigV4Result;

struct FuzzInput {
    SigV4Request request;
    Credentials credentials;
    SigV4Params params;
};

// Takes the next line of text (without its '\n'); the whole rest when no '\n' is left.
std::string_view next_line(std::string_view& text) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    return line;
}

std::int64_t parse_seconds(std::string_view text) {
    std::int64_t value = 0;
    bool negative = false;
    for (const char c : text.substr(0, 18)) {
        if (c == '-') {
            negative = true;
        } else if (c >= '0' && c <= '9') {
            value = value * 10 + (c - '0');
        }
    }
    return negative ? -value : value;
}

FuzzInput split_fields(std::string_view text) {
    FuzzInput input;
    input.request.method = std::string(next_line(text));
    input.request.target = std::string(next_line(text));
    input.credentials.access_key_id = std::string(next_line(text));
    input.credentials.secret_access_key = Secret(next_line(text));
    input.credentials.session_token = Secret(next_line(text));
    input.params.region = std::string(next_line(text));
    input.params.service = std::string(next_line(text));
    input.params.time = ec2seed::WallTime{parse_seconds(next_line(text))};

    const std::string_view flags = next_line(text);
    input.params.normalize_path = flags.find('n') != std::string_view::npos;
    input.params.sign_session_token = flags.find('s') != std::string_view::npos;
    input.params.sign_content_sha256 = flags.find('c') != std::string_view::npos;

    while (!text.empty()) {
        const std::string_view line = next_line(text);
        if (line.empty()) {
            break;
        }
        const std::size_t colon = line.find(':');
        input.request.headers.emplace_back(
            std::string(line.substr(0, colon)),
            colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
    }
    input.request.body = std::string(text);
    return input;
}

void require(bool condition) {
    if (!condition) {
        std::abort();
    }
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_lower_hex(std::string_view text, std::size_t size) {
    return text.size() == size &&
           text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The same secret with every character but control characters replaced: the
// signer's checks cannot tell the two apart, so its errors must be identical.
Secret masked(const Secret& secret) {
    std::string text(secret.reveal());
    for (char& c : text) {
        const auto byte = static_cast<unsigned char>(c);
        c = (byte < 0x20 || byte == 0x7f) ? c : 'x';
    }
    return Secret(text);
}

Credentials with_masked_secrets(const Credentials& credentials) {
    return Credentials{credentials.access_key_id, masked(credentials.secret_access_key),
                       masked(credentials.session_token)};
}

void require_same_error(const ec2seed::Error& a, const ec2seed::Error& b) {
    require(a.code == b.code && a.message == b.message);
}

void check_same(const Result<SigV4Result>& a, const Result<SigV4Result>& b) {
    require(a.has_value() == b.has_value());
    if (!a.has_value()) {
        require_same_error(a.error(), b.error());
        return;
    }
    require(a->canonical_request == b->canonical_request);
    require(a->string_to_sign == b->string_to_sign);
    require(a->signature == b->signature);
    require(a->authorization == b->authorization);
}

void check_success(const FuzzInput& input, const SigV4Result& result) {
    require(is_lower_hex(result.signature, 64));
    require(is_lower_hex(result.payload_hash, 64));
    require(result.amz_date.size() == 16);
    require(result.authorization.rfind(
                "AWS4-HMAC-SHA256 Credential=" + input.credentials.access_key_id + "/" +
                    result.amz_date.substr(0, 8) + "/",
                0) == 0);
    require(ends_with(result.authorization, ", Signature=" + result.signature));
    require(ends_with(result.canonical_request, "\n" + result.payload_hash));
}

ec2seed::HttpRequest http_request_of(const FuzzInput& input) {
    ec2seed::HttpRequest request;
    request.endpoint = ec2seed::Endpoint{ec2seed::Scheme::https, "kms.example", 443};
    request.method = input.request.method;
    request.target = input.request.target;
    request.body = input.request.body;
    for (const auto& [name, value] : input.request.headers) {
        request.headers.push_back(ec2seed::HttpHeader{name, value, false});
    }
    return request;
}

void check_sign_request(const FuzzInput& input) {
    ec2seed::HttpRequest request = http_request_of(input);
    const ec2seed::Status status = ec2seed::sign_request(request, input.credentials, input.params);
    if (!status.has_value()) {
        // An error message never depends on the secret key's or the token's value.
        ec2seed::HttpRequest other = http_request_of(input);
        const ec2seed::Status masked_status =
            ec2seed::sign_request(other, with_masked_secrets(input.credentials), input.params);
        require(!masked_status.has_value());
        require_same_error(status.error(), masked_status.error());
        return;
    }
    std::size_t authorizations = 0;
    for (const ec2seed::HttpHeader& header : request.headers) {
        if (header.name == "Authorization") {
            require(header.sensitive);
            ++authorizations;
        }
    }
    require(authorizations == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const FuzzInput input = split_fields(text);

    const Result<SigV4Result> first =
        ec2seed::sigv4_sign(input.request, input.credentials, input.params);
    const Result<SigV4Result> second =
        ec2seed::sigv4_sign(input.request, input.credentials, input.params);
    check_same(first, second);

    if (first.has_value()) {
        check_success(input, first.value());
    } else {
        // An error message never depends on the secret key's or the token's value.
        const Result<SigV4Result> masked_result = ec2seed::sigv4_sign(
            input.request, with_masked_secrets(input.credentials), input.params);
        require(!masked_result.has_value());
        require_same_error(first.error(), masked_result.error());
    }

    check_sign_request(input);
    return 0;
}
