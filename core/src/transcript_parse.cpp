// Reading transcripts (format in transcript.h) and replaying them.
#include <charconv>
#include <utility>

#include "seeder_run.h"
#include "transcript_text.h"

namespace ec2seed::transcript {

namespace detail {

std::optional<std::string> unescape(std::string_view text) {
    std::string bytes;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            bytes += text[i];
            continue;
        }
        if (i + 1 >= text.size()) {
            return std::nullopt;
        }

        const char kind = text[++i];
        if (kind == '\\' || kind == 'n' || kind == 'r' || kind == 't') {
            bytes += kind == 'n' ? '\n' : kind == 'r' ? '\r' : kind == 't' ? '\t' : '\\';
            continue;
        }
        unsigned value = 0;
        if (kind != 'x' || i + 2 >= text.size() ||
            std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr !=
                text.data() + i + 3) {
            return std::nullopt;
        }
        bytes += static_cast<char>(value);
        i += 2;
    }
    return bytes;
}

}  // namespace detail

namespace {

using detail::unescape;

struct LineError {
    std::string what;
};

// Splits "a b c" at single spaces.
std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> parts;
    std::size_t at = 0;
    while (at <= text.size()) {
        const std::size_t space = text.find(' ', at);
        const std::size_t end = space == std::string_view::npos ? text.size() : space;
        parts.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    return parts;
}

template <typename Number>
std::optional<Number> number(std::string_view text) {
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

// "key=value": the value, when the key matches.
std::optional<std::string_view> field(std::string_view word, std::string_view key) {
    if (word.size() <= key.size() || word.substr(0, key.size()) != key || word[key.size()] != '=') {
        return std::nullopt;
    }
    return word.substr(key.size() + 1);
}

std::optional<MonoTime> milliseconds(std::string_view text) {
    if (text.size() < 3 || text.substr(text.size() - 2) != "ms") {
        return std::nullopt;
    }
    const auto value = number<MonoTime::rep>(text.substr(0, text.size() - 2));
    return value ? std::optional<MonoTime>(MonoTime{*value}) : std::nullopt;
}

std::optional<bool> yes_no(std::string_view text) {
    if (text == "yes" || text == "no") {
        return text == "yes";
    }
    return std::nullopt;
}

// "http://host:port", "https://[::1]:8443".
std::optional<Endpoint> endpoint(std::string_view text) {
    Endpoint parsed;
    if (text.substr(0, 7) == "http://") {
        parsed.scheme = Scheme::http;
        text.remove_prefix(7);
    } else if (text.substr(0, 8) == "https://") {
        parsed.scheme = Scheme::https;
        text.remove_prefix(8);
    } else {
        return std::nullopt;
    }

    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const auto port = number<std::uint16_t>(text.substr(colon + 1));
    if (host.empty() || !port) {
        return std::nullopt;
    }
    parsed.host = std::string(host);
    parsed.port = *port;
    return parsed;
}

std::optional<std::string> optional_text(std::string_view text, bool& ok) {
    if (text == "none") {
        return std::nullopt;
    }
    auto value = unescape(text);
    ok = ok && value.has_value();
    return value;
}

// "placeholder(40)": that many 'x' characters.
std::optional<Secret> placeholder(std::string_view text) {
    constexpr std::string_view open = "placeholder(";
    if (text.size() < open.size() + 2 || text.substr(0, open.size()) != open ||
        text.back() != ')') {
        return std::nullopt;
    }
    const auto length =
        number<std::size_t>(text.substr(open.size(), text.size() - open.size() - 1));
    if (!length || *length > 4096) {
        return std::nullopt;
    }
    return Secret(std::string(*length, 'x'));
}

std::optional<LineError> parse_config(std::string_view key, std::string_view value,
                                      SeederConfig& config) {
    const LineError bad{"bad value for config " + std::string(key)};
    bool ok = true;
    const std::vector<std::string_view> parts = words(value);

    if (key == "imds") {
        const auto parsed = endpoint(value);
        ok = parsed.has_value();
        config.imds = parsed.value_or(Endpoint{});
    } else if (key == "imds-v1") {
        ok = value == "allow" || value == "never";
        config.imds_v1 = value == "allow" ? ImdsV1Policy::allow : ImdsV1Policy::never;
    } else if (key == "imds-token-ttl") {
        const auto ttl = number<std::uint32_t>(value);
        ok = ttl.has_value();
        config.imds_token_ttl_seconds = ttl.value_or(0);
    } else if (key == "kms") {
        config.kms = value == "default" ? std::nullopt : endpoint(value);
        ok = value == "default" || config.kms.has_value();
    } else if (key == "region") {
        config.region = optional_text(value, ok);
    } else if (key == "credentials") {
        if (value == "none") {
            config.credentials.reset();
        } else {
            const auto id = parts.size() == 3 ? field(parts[0], "access-key-id") : std::nullopt;
            const auto secret =
                parts.size() == 3 ? field(parts[1], "secret-access-key") : std::nullopt;
            const auto token = parts.size() == 3 ? field(parts[2], "session-token") : std::nullopt;
            const auto secret_value = secret ? placeholder(*secret) : std::nullopt;
            const auto token_value = token ? placeholder(*token) : std::nullopt;
            const auto id_value = id ? unescape(*id) : std::nullopt;
            ok = id_value && secret_value && token_value;
            if (ok) {
                config.credentials = Credentials{*id_value, *secret_value, *token_value};
            }
        }
    } else if (key == "custom-key-store-id") {
        config.custom_key_store_id = optional_text(value, ok);
    } else if (key == "kms-bytes") {
        const auto bytes = number<std::size_t>(value);
        ok = bytes.has_value();
        config.kms_bytes = bytes.value_or(0);
    } else if (key == "credits") {
        config.credits.bits.clear();
        for (const std::string_view part :
             value == "none" ? std::vector<std::string_view>{} : parts) {
            const std::size_t equals = part.rfind('=');
            const auto bits = equals == std::string_view::npos
                                  ? std::nullopt
                                  : number<std::uint32_t>(part.substr(equals + 1));
            const auto name =
                equals == std::string_view::npos ? std::nullopt : unescape(part.substr(0, equals));
            ok = ok && bits && name;
            if (bits && name) {
                config.credits.bits[*name] = *bits;
            }
        }
    } else if (key == "hash") {
        const auto hash = unescape(value);
        ok = hash.has_value();
        config.hash = hash.value_or("");
    } else if (key == "skip-metadata" || key == "skip-kms") {
        const auto flag = yes_no(value);
        ok = flag.has_value();
        (key == "skip-kms" ? config.skip_kms : config.skip_metadata) = flag.value_or(false);
    } else if (key == "overall-deadline" || key == "imds-request-timeout" ||
               key == "kms-request-timeout") {
        const auto time = milliseconds(value);
        ok = time.has_value();
        MonoTime& target = key == "overall-deadline"       ? config.overall_deadline
                           : key == "imds-request-timeout" ? config.imds_request_timeout
                                                           : config.kms_request_timeout;
        target = time.value_or(MonoTime{0});
    } else if (key == "retry") {
        const auto attempts = parts.size() == 3 ? field(parts[0], "max-attempts") : std::nullopt;
        const auto base = parts.size() == 3 ? field(parts[1], "base-delay") : std::nullopt;
        const auto cap = parts.size() == 3 ? field(parts[2], "max-backoff") : std::nullopt;
        const auto attempts_value = attempts ? number<int>(*attempts) : std::nullopt;
        const auto base_value = base ? milliseconds(*base) : std::nullopt;
        const auto cap_value = cap ? milliseconds(*cap) : std::nullopt;
        ok = attempts_value && base_value && cap_value;
        if (ok) {
            config.retry = RetryPolicy{*attempts_value, *base_value, *cap_value};
        }
    } else if (key == "jitter-seed") {
        const auto seed = number<std::uint64_t>(value);
        ok = seed.has_value();
        config.jitter_seed = seed.value_or(0);
    } else {
        return LineError{"unknown config key " + std::string(key)};
    }
    return ok ? std::nullopt : std::optional<LineError>(bad);
}

// "mono=..ms wall=2026...Z" from the last two words of an input line.
std::optional<Now> times(const std::vector<std::string_view>& parts, std::size_t at) {
    if (parts.size() < at + 2) {
        return std::nullopt;
    }
    const auto mono_text = field(parts[at], "mono");
    const auto wall_text = field(parts[at + 1], "wall");
    const auto mono = mono_text ? milliseconds(*mono_text) : std::nullopt;
    const auto wall = wall_text ? ec2seed::detail::parse_amz_date(*wall_text) : std::nullopt;
    if (!mono || !wall) {
        return std::nullopt;
    }
    return Now{*mono, *wall};
}

std::optional<TransportError> transport_error(std::string_view name) {
    for (int i = 0; i <= static_cast<int>(TransportError::other); ++i) {
        const auto error = static_cast<TransportError>(i);
        if (to_string(error) == name) {
            return error;
        }
    }
    return std::nullopt;
}

std::variant<Input, LineError> parse_input(std::string_view text) {
    const std::vector<std::string_view> parts = words(text);
    const std::string_view kind = parts[0];
    const LineError bad{"malformed '" + std::string(kind) + "' input"};

    if (kind == "start" || kind == "timeout") {
        const auto now = parts.size() == 3 ? times(parts, 1) : std::nullopt;
        if (!now) {
            return bad;
        }
        return kind == "start" ? Input{*now, StartInput{}} : Input{*now, TimeoutInput{}};
    }

    const auto id = parts.size() > 1 ? number<std::uint64_t>(parts[1]) : std::nullopt;
    if (!id) {
        return bad;
    }
    if (kind == "response") {
        const auto status_text = parts.size() == 5 ? field(parts[2], "status") : std::nullopt;
        const auto status = status_text ? number<int>(*status_text) : std::nullopt;
        const auto now = times(parts, 3);
        if (!status || !now) {
            return bad;
        }
        ResponseInput response;
        response.id = *id;
        response.response.status = *status;
        return Input{*now, std::move(response)};
    }
    if (kind == "transport-error") {
        const auto error = parts.size() == 5 ? transport_error(parts[2]) : std::nullopt;
        const auto now = times(parts, 3);
        if (!error || !now) {
            return bad;
        }
        return Input{*now, TransportErrorInput{*id, *error}};
    }
    if (kind == "entropy-result") {
        const auto now = times(parts, 3);
        if (!now || parts.size() < 5) {
            return bad;
        }
        if (parts[2] == "applied" && parts.size() == 5) {
            return Input{*now, EntropyResultInput{*id, EntropyResult{true, ""}}};
        }
        const std::size_t reason_at = text.find(" reason=");
        const auto reason = reason_at == std::string_view::npos
                                ? std::nullopt
                                : unescape(text.substr(reason_at + 8));
        if (parts[2] != "failed" || !reason) {
            return bad;
        }
        return Input{*now, EntropyResultInput{*id, EntropyResult{false, *reason}}};
    }
    return LineError{"unknown input '" + std::string(kind) + "'"};
}

// "header Name: value", "secret-header Name: value" or "body chunk", under a response.
std::optional<LineError> parse_response_line(std::string_view text, HttpResponse& response) {
    const bool secret = text.substr(0, 14) == "secret-header ";
    if (secret || text.substr(0, 7) == "header ") {
        // "Name: value", or "Name:" for an empty value.
        const std::string_view rest = text.substr(secret ? 14 : 7);
        const std::size_t colon = rest.find(':');
        const std::string_view after =
            colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        const bool well_formed = colon != std::string_view::npos &&
                                 (after.empty() || (after.size() > 1 && after[0] == ' '));
        const auto name = well_formed ? unescape(rest.substr(0, colon)) : std::nullopt;
        const auto value = !well_formed    ? std::nullopt
                           : after.empty() ? std::optional<std::string>("")
                                           : unescape(after.substr(1));
        if (!name || !value) {
            return LineError{"malformed header line"};
        }
        response.headers.push_back(HttpHeader{*name, *value, secret});
        return std::nullopt;
    }
    if (text.substr(0, 5) == "body ") {
        const auto chunk = unescape(text.substr(5));
        if (!chunk) {
            return LineError{"bad escape in body line"};
        }
        response.body.insert(response.body.end(), chunk->begin(), chunk->end());
        return std::nullopt;
    }
    return LineError{"unknown response line"};
}

std::vector<std::pair<std::size_t, std::string_view>> lines_without_comments(
    std::string_view text) {
    std::vector<std::pair<std::size_t, std::string_view>> lines;
    std::size_t number_of_line = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        const std::size_t stop = end == std::string_view::npos ? text.size() : end;
        const std::string_view line = text.substr(at, stop - at);
        number_of_line += 1;
        if (line.empty() || line.front() != '#') {
            lines.emplace_back(number_of_line, line);
        }
        at = stop + 1;
    }
    return lines;
}

}  // namespace

Result<Transcript> parse(std::string_view text) {
    Transcript transcript;
    bool header_seen = false;
    const auto error = [](std::size_t line, const std::string& what) {
        return Error{ErrorCode::bad_field, "line " + std::to_string(line) + ": " + what};
    };

    for (const auto& [number_of_line, line] : lines_without_comments(text)) {
        if (line.empty() || line.substr(0, 4) == "out " || line.substr(0, 7) == "report " ||
            line == "end") {
            continue;
        }
        if (line == "ec2seed-transcript " + std::to_string(format_version)) {
            header_seen = true;
            continue;
        }
        if (!header_seen) {
            return error(number_of_line, "expected 'ec2seed-transcript 1' first");
        }

        if (line.substr(0, 7) == "config ") {
            const std::string_view rest = line.substr(7);
            const std::size_t space = rest.find(' ');
            if (space == std::string_view::npos) {
                return error(number_of_line, "config line without a value");
            }
            if (const auto bad = parse_config(rest.substr(0, space), rest.substr(space + 1),
                                              transcript.config)) {
                return error(number_of_line, bad->what);
            }
        } else if (line.substr(0, 6) == "in    ") {
            auto* response = transcript.inputs.empty()
                                 ? nullptr
                                 : std::get_if<ResponseInput>(&transcript.inputs.back().what);
            if (!response) {
                return error(number_of_line, "a response line outside a response");
            }
            if (const auto bad = parse_response_line(line.substr(6), response->response)) {
                return error(number_of_line, bad->what);
            }
        } else if (line.substr(0, 4) == "in  " && line.size() > 4 && line[4] != ' ') {
            auto input = parse_input(line.substr(4));
            if (const auto* bad = std::get_if<LineError>(&input)) {
                return error(number_of_line, bad->what);
            }
            transcript.inputs.push_back(std::get<Input>(std::move(input)));
        } else {
            return error(number_of_line, "not a transcript line");
        }
    }

    if (!header_seen) {
        return error(0, "no 'ec2seed-transcript 1' line");
    }
    return transcript;
}

std::string replay(const Transcript& transcript) {
    detail::Writer writer(transcript.config);
    for (const Input& input : transcript.inputs) {
        writer.apply(input);
    }
    writer.close();
    return writer.text();
}

std::string strip_comments(std::string_view text) {
    std::string stripped;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        const std::size_t stop = end == std::string_view::npos ? text.size() : end + 1;
        const std::string_view line = text.substr(at, stop - at);
        if (line.front() != '#') {
            stripped += line;
        }
        at = stop;
    }
    return stripped;
}

std::optional<std::string> first_difference(std::string_view expected, std::string_view actual) {
    const auto want = lines_without_comments(expected);
    const auto got = lines_without_comments(actual);
    for (std::size_t i = 0; i < want.size() || i < got.size(); ++i) {
        const std::string_view want_line = i < want.size() ? want[i].second : "<end of file>";
        const std::string_view got_line = i < got.size() ? got[i].second : "<end of output>";
        if (want_line != got_line) {
            const std::size_t at = i < want.size() ? want[i].first : want.size() + 1;
            return "line " + std::to_string(at) + ": expected '" + std::string(want_line) +
                   "', got '" + std::string(got_line) + "'";
        }
    }
    if (strip_comments(expected) != strip_comments(actual)) {
        return std::string("the texts differ in line endings or a final newline");
    }
    return std::nullopt;
}

}  // namespace ec2seed::transcript
