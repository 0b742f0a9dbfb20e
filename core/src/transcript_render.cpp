// Rendering transcripts (format in transcript.h): the configuration, inputs,
// outputs and the report as lines of text.
#include <algorithm>
#include <utility>

#include "ec2seed/core/sigv4.h"
#include "transcript_text.h"

namespace ec2seed::transcript {

namespace detail {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

// One byte, escaped; `last` says it ends a chunk (a final space is escaped so
// that no line ends in white space).
std::string escape_byte(unsigned char c, bool last) {
    switch (c) {
        case '\\':
            return "\\\\";
        case '\n':
            return "\\n";
        case '\r':
            return "\\r";
        case '\t':
            return "\\t";
        default:
            break;
    }
    if (c > 0x20 && c < 0x7f) {
        return std::string(1, static_cast<char>(c));
    }
    if (c == ' ' && !last) {
        return " ";
    }
    return std::string("\\x") + hex_digits[c >> 4U] + hex_digits[c & 0xfU];
}

std::string level_name(EventLevel level) {
    switch (level) {
        case EventLevel::debug:
            return "debug";
        case EventLevel::info:
            return "info";
        case EventLevel::warning:
            return "warning";
        case EventLevel::error:
            return "error";
    }
    return "info";
}

std::string yes_no(bool value) {
    return value ? "yes" : "no";
}

// " text", or nothing for empty text: no line ends in a space.
std::string with_space(const std::string& text) {
    return text.empty() ? text : " " + text;
}

std::string times(const Now& now) {
    return "mono=" + render_mono(now.mono) + " wall=" + render_wall(now.wall);
}

void append_headers(std::string& text, std::string_view prefix,
                    const std::vector<HttpHeader>& headers) {
    for (const HttpHeader& header : headers) {
        // A ':' in a name is escaped, so the first ':' ends the name.
        std::string name = escape(header.name);
        for (std::size_t at = name.find(':'); at != std::string::npos; at = name.find(':')) {
            name.replace(at, 1, "\\x3a");
        }
        text += std::string(prefix) + (header.sensitive ? "secret-header " : "header ") + name +
                ":" + with_space(escape(header.value)) + "\n";
    }
}

void append_body(std::string& text, std::string_view prefix, std::string_view body) {
    for (const std::string& chunk : body_chunks(body)) {
        text += std::string(prefix) + "body " + chunk + "\n";
    }
}

std::string render_request(const HttpRequest& request) {
    std::string text = "out request " + std::to_string(request.id) + " " + request.label + " " +
                       request.method + " " + to_string(request.endpoint) + request.target + "\n";
    text += "out   deadline=" + render_mono(request.deadline) +
            " max-response-bytes=" + std::to_string(request.max_response_bytes) + "\n";
    append_headers(text, "out   ", request.headers);
    append_body(text, "out   ", request.body);
    return text;
}

std::string render_addition(const EntropyAddition& addition) {
    std::string text = "out addition " + std::to_string(addition.id) + " " + addition.source +
                       " credit=" + std::to_string(addition.credit_bits) +
                       " bytes=" + std::to_string(addition.bytes.size()) + "\n";
    for (std::size_t at = 0; at < addition.bytes.size(); at += hex_bytes_per_line) {
        text += "out   hex ";
        for (std::size_t i = at; i < addition.bytes.size() && i < at + hex_bytes_per_line; ++i) {
            text += hex_digits[addition.bytes[i] >> 4U];
            text += hex_digits[addition.bytes[i] & 0xfU];
        }
        text += "\n";
    }
    return text;
}

std::string render_endpoint_or(const std::optional<Endpoint>& endpoint, std::string_view none) {
    return endpoint ? to_string(*endpoint) : std::string(none);
}

}  // namespace

std::string escape(std::string_view bytes) {
    std::string text;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        text += escape_byte(static_cast<unsigned char>(bytes[i]), i + 1 == bytes.size());
    }
    return text;
}

std::vector<std::string> body_chunks(std::string_view bytes) {
    std::vector<std::string> chunks;
    std::string chunk;
    const auto flush = [&chunks, &chunk] {
        // No line ends in white space: a chunk's final space is escaped.
        if (!chunk.empty() && chunk.back() == ' ') {
            chunk.replace(chunk.size() - 1, 1, "\\x20");
        }
        chunks.push_back(std::move(chunk));
        chunk.clear();
    };

    for (const char byte : bytes) {
        const std::string piece = escape_byte(static_cast<unsigned char>(byte), false);
        if (chunk.size() + piece.size() > chunk_width) {
            flush();
        }
        chunk += piece;
        if (byte == '\n') {
            flush();
        }
    }
    if (!chunk.empty()) {
        flush();
    }
    return chunks;
}

std::string render_wall(WallTime wall) {
    return amz_date(wall);
}

std::string render_mono(MonoTime mono) {
    return std::to_string(mono.count()) + "ms";
}

std::string render_input(const Input& input) {
    struct Visitor {
        const Now& now;

        std::string operator()(const StartInput&) const { return "in  start " + times(now) + "\n"; }
        std::string operator()(const ResponseInput& in) const {
            std::string text = "in  response " + std::to_string(in.id) +
                               " status=" + std::to_string(in.response.status) + " " + times(now) +
                               "\n";
            append_headers(text, "in    ", in.response.headers);
            append_body(text, "in    ", body_view(in.response));
            return text;
        }
        std::string operator()(const TransportErrorInput& in) const {
            return "in  transport-error " + std::to_string(in.id) + " " +
                   std::string(to_string(in.error)) + " " + times(now) + "\n";
        }
        std::string operator()(const EntropyResultInput& in) const {
            if (in.result.applied) {
                return "in  entropy-result " + std::to_string(in.id) + " applied " + times(now) +
                       "\n";
            }
            return "in  entropy-result " + std::to_string(in.id) + " failed " + times(now) +
                   " reason=" + escape(in.result.reason) + "\n";
        }
        std::string operator()(const TimeoutInput&) const {
            return "in  timeout " + times(now) + "\n";
        }
    };
    return std::visit(Visitor{input.now}, input.what);
}

std::string render_command(const Command& command) {
    if (const auto* request = std::get_if<HttpRequest>(&command)) {
        return render_request(*request);
    }
    return render_addition(std::get<EntropyAddition>(command));
}

std::string render_event(const Event& event) {
    return "out event " + level_name(event.level) + with_space(escape(event.message)) + "\n";
}

Writer::Writer(const SeederConfig& config) : m_seeder(config), m_text(render_config(config)) {}

void Writer::apply(const Input& input) {
    m_text += "\n" + render_input(input);

    struct Dispatch {
        Seeder& seeder;
        const Now& now;

        void operator()(const StartInput&) const { seeder.start(now); }
        void operator()(const ResponseInput& in) const {
            seeder.handle_response(in.id, in.response, now);
        }
        void operator()(const TransportErrorInput& in) const {
            seeder.handle_transport_error(in.id, in.error, now);
        }
        void operator()(const EntropyResultInput& in) const {
            seeder.handle_entropy_result(in.id, in.result, now);
        }
        void operator()(const TimeoutInput&) const { seeder.handle_timeout(now); }
    };
    if (const auto* response = std::get_if<ResponseInput>(&input.what)) {
        m_outstanding.erase(response->id);
    } else if (const auto* error = std::get_if<TransportErrorInput>(&input.what)) {
        m_outstanding.erase(error->id);
    }
    std::visit(Dispatch{m_seeder, input.now}, input.what);
    drain();
}

void Writer::drain() {
    while (std::optional<Command> command = m_seeder.poll_command()) {
        m_text += render_command(*command);
        if (const auto* request = std::get_if<HttpRequest>(&*command)) {
            m_outstanding[request->id] = *request;
        }
    }
    while (std::optional<Event> event = m_seeder.poll_event()) {
        m_text += render_event(*event);
    }

    const std::optional<MonoTime> next = m_seeder.next_deadline();
    m_text += "out next-deadline " + (next ? render_mono(*next) : std::string("none")) + "\n";
}

void Writer::close() {
    if (!m_seeder.finished()) {
        comment("the inputs ended before the run finished");
    }
    m_text += "\n" + render_report(m_seeder.report()) + "end\n";
}

void Writer::comment(std::string_view text) {
    m_text += "# " + escape(text) + "\n";
}

}  // namespace detail

using detail::escape;
using detail::render_mono;
using detail::yes_no;

std::string render_config(const SeederConfig& config) {
    std::string text = "ec2seed-transcript " + std::to_string(format_version) + "\n";
    const auto line = [&text](std::string_view key, const std::string& value) {
        text += "config " + std::string(key) + " " + value + "\n";
    };

    line("imds", to_string(config.imds));
    line("imds-v1", config.imds_v1 == ImdsV1Policy::allow ? "allow" : "never");
    line("imds-token-ttl", std::to_string(config.imds_token_ttl_seconds));
    line("kms", detail::render_endpoint_or(config.kms, "default"));
    line("region", config.region ? escape(*config.region) : "none");
    // Credentials: the key id, and only the length of each secret.
    line("credentials", config.credentials
                            ? "access-key-id=" + escape(config.credentials->access_key_id) +
                                  " secret-access-key=placeholder(" +
                                  std::to_string(config.credentials->secret_access_key.size()) +
                                  ") session-token=placeholder(" +
                                  std::to_string(config.credentials->session_token.size()) + ")"
                            : "none");
    line("custom-key-store-id",
         config.custom_key_store_id ? escape(*config.custom_key_store_id) : "none");
    line("kms-bytes", std::to_string(config.kms_bytes));
    std::string credits;
    for (const auto& [name, bits] : config.credits.bits) {
        credits += (credits.empty() ? "" : " ") + escape(name) + "=" + std::to_string(bits);
    }
    line("credits", credits.empty() ? "none" : credits);
    line("hash", escape(config.hash));
    line("skip-metadata", yes_no(config.skip_metadata));
    line("skip-kms", yes_no(config.skip_kms));
    line("overall-deadline", render_mono(config.overall_deadline));
    line("imds-request-timeout", render_mono(config.imds_request_timeout));
    line("kms-request-timeout", render_mono(config.kms_request_timeout));
    line("retry", "max-attempts=" + std::to_string(config.retry.max_attempts) +
                      " base-delay=" + render_mono(config.retry.base_delay) +
                      " max-backoff=" + render_mono(config.retry.max_backoff));
    line("jitter-seed", std::to_string(config.jitter_seed));
    return text;
}

std::string render_report(const Report& report) {
    std::string text;
    text += "report outcome " + std::string(to_string(report.outcome)) + "\n";
    text += "report region " + (report.region.empty() ? "none" : escape(report.region)) + "\n";
    text += "report imds-v1 " + yes_no(report.imds_v1) + "\n";
    text += "report requests " + std::to_string(report.requests) + " retries " +
            std::to_string(report.retries) + "\n";
    for (const SourceReport& source : report.sources) {
        text += "report source " + escape(source.source) +
                " bytes=" + std::to_string(source.bytes) +
                " credit=" + std::to_string(source.credit_bits) +
                " applied=" + yes_no(source.applied) + "\n";
    }
    text += "report kms calls=" + std::to_string(report.kms.calls) +
            " bytes=" + std::to_string(report.kms.bytes) + "\n";
    for (const std::string& id : report.kms.request_ids) {
        text += "report kms-request-id " + escape(id) + "\n";
    }
    for (const ErrorReport& error : report.errors) {
        text += "report error " + (error.request.empty() ? "-" : escape(error.request)) + " " +
                std::string(to_string(error.error.code)) +
                detail::with_space(escape(error.error.message)) + "\n";
    }
    return text;
}

SeederConfig redact_config(const SeederConfig& config) {
    SeederConfig redacted = config;
    if (redacted.credentials) {
        // The key id is not secret, but it names an account's user: keep "AKIA"/"ASIA".
        const std::string& id = config.credentials->access_key_id;
        const std::size_t kept = std::min<std::size_t>(4, id.size());
        redacted.credentials->access_key_id =
            id.substr(0, kept) + std::string(id.size() - kept, 'X');
        redacted.credentials->secret_access_key =
            Secret(std::string(config.credentials->secret_access_key.size(), 'x'));
        redacted.credentials->session_token =
            Secret(std::string(config.credentials->session_token.size(), 'x'));
    }
    return redacted;
}

}  // namespace ec2seed::transcript
