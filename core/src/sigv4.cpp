// AWS Signature Version 4, header form. The steps follow the AWS General
// Reference, "Create a signed AWS API request": canonical request, string to
// sign, signing key, signature. HMAC-SHA256 and SHA-256 come from Botan; the
// derived keys stay in secure_vector so that they are wiped when freed.
#include "ec2seed/core/sigv4.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>

#include <botan/hash.h>
#include <botan/hex.h>
#include <botan/mac.h>

namespace ec2seed {

namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";

// 9999-12-31T23:59:59Z: X-Amz-Date has a four-digit year.
constexpr std::int64_t last_signable_second = 253402300799;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

Error field_error(std::string message) {
    return Error{ErrorCode::bad_field, std::move(message)};
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lowercase(std::string_view text) {
    std::string lowered(text);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), ascii_lower);
    return lowered;
}

bool is_alnum(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// SigV4 URI encoding: every byte but A-Z a-z 0-9 - . _ ~ is sent as %XX.
bool is_unreserved(char c) {
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// RFC 9110 5.6.2: tchar.
bool is_tchar(char c) {
    constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return is_alnum(c) || extra.find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

// RFC 9110 5.5: a field value holds no control character but HTAB.
bool is_field_value(std::string_view text) {
    return std::none_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && c != '\t') || byte == 0x7f;
    });
}

bool is_scope_part(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return is_alnum(c) || c == '-' || c == '.' || c == '_';
    });
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

bool is_escape_at(std::string_view text, std::size_t i) {
    return i + 2 < text.size() && text[i] == '%' && hex_value(text[i + 1]) >= 0 &&
           hex_value(text[i + 2]) >= 0;
}

void append_escape(std::string& out, char c) {
    constexpr std::string_view digits = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += digits[byte >> 4];
    out += digits[byte & 0x0f];
}

// keep_slash for paths; keep_escapes leaves a well-formed %XX as it is.
std::string uri_encode(std::string_view text, bool keep_slash, bool keep_escapes) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out += c;
        } else if (keep_escapes && is_escape_at(text, i)) {
            out.append(text.substr(i, 3));
            i += 2;
        } else {
            append_escape(out, c);
        }
    }
    return out;
}

// Undoes well-formed %XX escapes; anything else (including '+') stays literal.
std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (is_escape_at(text, i)) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// RFC 3986 5.2.4 (remove dot segments), plus the collapse of repeated "/" that
// AWS services other than S3 apply. "/a/b/.." gives "/a/"; "//a//" gives "/a/".
std::string normalized_path(std::string_view path) {
    std::vector<std::string_view> kept;
    bool ends_in_slash = false;
    std::size_t start = 1;  // path[0] is '/'
    while (start <= path.size()) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        const std::string_view segment = path.substr(start, slash - start);
        start = slash + 1;

        if (segment.empty() || segment == ".") {
            ends_in_slash = true;
        } else if (segment == "..") {
            if (!kept.empty()) {
                kept.pop_back();
            }
            ends_in_slash = true;
        } else {
            kept.push_back(segment);
            ends_in_slash = false;
        }
    }

    std::string out = "/";
    for (std::size_t i = 0; i < kept.size(); ++i) {
        out += (i == 0 ? "" : "/");
        out.append(kept[i]);
    }
    if (ends_in_slash && !kept.empty()) {
        out += '/';
    }
    return out;
}

// SigV4: with normalisation (every service but S3) the path as sent is encoded
// once more, so "%20" becomes "%2520". Without it the path is encoded once:
// escapes already present are kept and only raw bytes are escaped.
std::string canonical_uri(std::string_view path, bool normalize) {
    if (normalize) {
        return uri_encode(normalized_path(path), true, false);
    }
    return uri_encode(path, true, true);
}

// SigV4: parameters sorted by encoded name, then by encoded value; a name with no
// "=" signs as "name=". Each name and value is decoded, then encoded with the
// unreserved set, so "%E1%88%B4" and the raw UTF-8 bytes sign alike.
std::string canonical_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> params;
    std::size_t start = 0;
    while (start <= query.size() && !query.empty()) {
        const std::size_t amp = std::min(query.find('&', start), query.size());
        const std::string_view pair = query.substr(start, amp - start);
        start = amp + 1;
        if (pair.empty()) {
            continue;
        }

        const std::size_t eq = pair.find('=');
        const std::string_view name = pair.substr(0, eq);
        const std::string_view value =
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        params.emplace_back(uri_encode(percent_decode(name), false, false),
                            uri_encode(percent_decode(value), false, false));
    }

    std::sort(params.begin(), params.end());

    std::string out;
    for (const auto& [name, value] : params) {
        out += (out.empty() ? "" : "&");
        out += name + "=" + value;
    }
    return out;
}

// SigV4: trim the value and turn each run of spaces into one space.
std::string trimmed_value(std::string_view value) {
    std::string out;
    bool pending_space = false;
    for (const char c : value) {
        if (c == ' ' || c == '\t') {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) {
            out += ' ';
            pending_space = false;
        }
        out += c;
    }
    return out;
}

struct CanonicalHeaders {
    std::string lines;         // "name:value\n" for each distinct name, sorted
    std::string signed_names;  // "host;x-amz-date"
};

// SigV4: lowercase names, sorted; the values of a repeated name joined with ","
// in the order sent.
CanonicalHeaders canonical_headers(const HeaderList& headers) {
    HeaderList lowered;
    lowered.reserve(headers.size());
    for (const auto& [name, value] : headers) {
        lowered.emplace_back(ascii_lowercase(name), trimmed_value(value));
    }
    std::stable_sort(lowered.begin(), lowered.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });

    CanonicalHeaders out;
    for (std::size_t i = 0; i < lowered.size(); ++i) {
        const bool same_as_previous = i > 0 && lowered[i].first == lowered[i - 1].first;
        if (same_as_previous) {
            out.lines.back() = ',';
            out.lines += lowered[i].second + "\n";
            continue;
        }
        out.lines += lowered[i].first + ":" + lowered[i].second + "\n";
        out.signed_names += (out.signed_names.empty() ? "" : ";") + lowered[i].first;
    }
    return out;
}

bool is_added_by_signer(std::string_view lowered_name) {
    return lowered_name == "authorization" || lowered_name == "x-amz-date" ||
           lowered_name == "x-amz-security-token" || lowered_name == "x-amz-content-sha256";
}

std::optional<Error> check_request(const SigV4Request& request) {
    if (!is_token(request.method)) {
        return field_error("SigV4: the method is not an HTTP token");
    }
    if (request.target.empty() || request.target.front() != '/') {
        return field_error("SigV4: the request target does not start with \"/\"");
    }

    bool has_host = false;
    for (const auto& [name, value] : request.headers) {
        if (!is_token(name)) {
            return field_error("SigV4: a header name is not an HTTP token");
        }
        const std::string lowered = ascii_lowercase(name);
        if (!is_field_value(value)) {
            return field_error("SigV4: header " + lowered + " holds a control character");
        }
        if (is_added_by_signer(lowered)) {
            return field_error("SigV4: header " + lowered + " is added by the signer");
        }
        has_host = has_host || lowered == "host";
    }
    if (!has_host) {
        return field_error("SigV4: the request has no Host header");
    }
    return std::nullopt;
}

std::optional<Error> check_credentials(const Credentials& credentials) {
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
        return Error{ErrorCode::missing_field, "SigV4: empty access key id or secret access key"};
    }

    // IAM API Reference, AccessKeyId: pattern [\w]+.
    const std::string_view id = credentials.access_key_id;
    const bool id_ok =
        std::all_of(id.begin(), id.end(), [](char c) { return is_alnum(c) || c == '_'; });
    if (!id_ok) {
        return field_error("SigV4: the access key id is not [A-Za-z0-9_]+");
    }
    if (!is_field_value(credentials.session_token.reveal())) {
        return field_error("SigV4: the session token holds a control character");
    }
    return std::nullopt;
}

std::optional<Error> check_params(const SigV4Params& params) {
    if (!is_scope_part(params.region)) {
        return Error{ErrorCode::bad_config, "SigV4: region empty or not [A-Za-z0-9._-]+"};
    }
    if (!is_scope_part(params.service)) {
        return Error{ErrorCode::bad_config, "SigV4: service empty or not [A-Za-z0-9._-]+"};
    }
    if (params.time.count() < 0 || params.time.count() > last_signable_second) {
        return Error{ErrorCode::bad_config, "SigV4: time outside years 1970..9999"};
    }
    return std::nullopt;
}

std::string hex(const SecureBytes& bytes) {
    return Botan::hex_encode(bytes.data(), bytes.size(), false);
}

std::string sha256_hex(std::string_view text) {
    const auto hash = Botan::HashFunction::create_or_throw("SHA-256");
    hash->update(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    return hex(hash->final());
}

SecureBytes hmac_sha256(Botan::MessageAuthenticationCode& mac, const SecureBytes& key,
                        std::string_view message) {
    mac.set_key(key);
    mac.update(reinterpret_cast<const std::uint8_t*>(message.data()), message.size());
    return mac.final();
}

// SigV4 signing key: HMAC chain over date, region, service and "aws4_request",
// keyed first with "AWS4" + secret.
SecureBytes signing_key(Botan::MessageAuthenticationCode& mac, const Secret& secret,
                        std::string_view date, const SigV4Params& params) {
    constexpr std::string_view prefix = "AWS4";
    const std::string_view secret_text = secret.reveal();
    SecureBytes key(prefix.begin(), prefix.end());
    key.insert(key.end(), secret_text.begin(), secret_text.end());

    key = hmac_sha256(mac, key, date);
    key = hmac_sha256(mac, key, params.region);
    key = hmac_sha256(mac, key, params.service);
    return hmac_sha256(mac, key, "aws4_request");
}

SigV4Result sign_checked(const SigV4Request& request, const Credentials& credentials,
                         const SigV4Params& params) {
    SigV4Result result;
    result.amz_date = amz_date(params.time);
    result.payload_hash = sha256_hex(request.body);

    // TODO(a wiped string type for header values): the session token is copied
    // into plain strings here and in the canonical request, as HttpHeader holds it.
    HeaderList headers = request.headers;
    headers.emplace_back("X-Amz-Date", result.amz_date);
    if (params.sign_session_token && !credentials.session_token.empty()) {
        headers.emplace_back("X-Amz-Security-Token",
                             std::string(credentials.session_token.reveal()));
    }
    if (params.sign_content_sha256) {
        headers.emplace_back("X-Amz-Content-SHA256", result.payload_hash);
    }
    const CanonicalHeaders canonical = canonical_headers(headers);

    const std::string_view target = request.target;
    const std::size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

    result.canonical_request = request.method + "\n" + canonical_uri(path, params.normalize_path) +
                               "\n" + canonical_query(query) + "\n" + canonical.lines + "\n" +
                               canonical.signed_names + "\n" + result.payload_hash;

    const std::string date = result.amz_date.substr(0, 8);
    const std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
    result.string_to_sign = std::string(algorithm) + "\n" + result.amz_date + "\n" + scope + "\n" +
                            sha256_hex(result.canonical_request);

    const auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    const SecureBytes key = signing_key(*mac, credentials.secret_access_key, date, params);
    result.signature = hex(hmac_sha256(*mac, key, result.string_to_sign));

    result.authorization = std::string(algorithm) + " Credential=" + credentials.access_key_id +
                           "/" + scope + ", SignedHeaders=" + canonical.signed_names +
                           ", Signature=" + result.signature;
    return result;
}

// Zero-padded to width; a negative year keeps its sign (never signed, see
// check_params).
void append_digits(std::string& out, int value, std::size_t width) {
    std::string digits = std::to_string(value < 0 ? -static_cast<long long>(value) : value);
    if (digits.size() < width) {
        digits.insert(0, width - digits.size(), '0');
    }
    out += (value < 0 ? "-" : "") + digits;
}

}  // namespace

std::string amz_date(WallTime time) {
    using namespace std::chrono;

    const sys_seconds instant{time};
    const sys_days day = floor<days>(instant);
    const year_month_day date{day};
    const hh_mm_ss clock{instant - day};

    std::string text;
    append_digits(text, static_cast<int>(date.year()), 4);
    append_digits(text, static_cast<int>(static_cast<unsigned>(date.month())), 2);
    append_digits(text, static_cast<int>(static_cast<unsigned>(date.day())), 2);
    text += 'T';
    append_digits(text, static_cast<int>(clock.hours().count()), 2);
    append_digits(text, static_cast<int>(clock.minutes().count()), 2);
    append_digits(text, static_cast<int>(clock.seconds().count()), 2);
    text += 'Z';
    return text;
}

Result<SigV4Result> sigv4_sign(const SigV4Request& request, const Credentials& credentials,
                               const SigV4Params& params) {
    if (auto error = check_request(request)) {
        return std::move(*error);
    }
    if (auto error = check_credentials(credentials)) {
        return std::move(*error);
    }
    if (auto error = check_params(params)) {
        return std::move(*error);
    }

    try {
        return sign_checked(request, credentials, params);
    } catch (const std::exception&) {
        // Botan throws only when it lacks SHA-256 or HMAC, or memory runs out.
        return Error{ErrorCode::unsupported_hash, "SigV4: Botan could not compute HMAC(SHA-256)"};
    }
}

Status sign_request(HttpRequest& request, const Credentials& credentials,
                    const SigV4Params& params) {
    std::vector<HttpHeader> kept;
    kept.reserve(request.headers.size() + 4);
    for (const HttpHeader& header : request.headers) {
        if (!is_added_by_signer(ascii_lowercase(header.name))) {
            kept.push_back(header);
        }
    }

    SigV4Request to_sign{request.method, request.target, {}, request.body};
    bool has_host = false;
    for (const HttpHeader& header : kept) {
        to_sign.headers.emplace_back(header.name, header.value);
        has_host = has_host || ascii_lowercase(header.name) == "host";
    }
    if (!has_host) {
        to_sign.headers.emplace_back("Host", host_header(request.endpoint));
    }

    auto signed_result = sigv4_sign(to_sign, credentials, params);
    if (!signed_result) {
        return std::move(signed_result).error();
    }

    const SigV4Result& result = signed_result.value();
    kept.push_back(HttpHeader{"X-Amz-Date", result.amz_date, false});
    if (!credentials.session_token.empty()) {
        kept.push_back(HttpHeader{"X-Amz-Security-Token",
                                  std::string(credentials.session_token.reveal()), true});
    }
    if (params.sign_content_sha256) {
        kept.push_back(HttpHeader{"X-Amz-Content-SHA256", result.payload_hash, false});
    }
    kept.push_back(HttpHeader{"Authorization", result.authorization, true});
    request.headers = std::move(kept);
    return ok();
}

}  // namespace ec2seed
