#include "response_parser.h"

#include <cstdint>

#include "ec2seed/transport/http_wire.h"

namespace ec2seed::transport {

ResponseParser::ResponseParser(std::size_t max_body_bytes) : m_max_body_bytes(max_body_bytes) {
    llhttp_settings_init(&m_settings);
    m_settings.on_header_field = &ResponseParser::on_header_field;
    m_settings.on_header_value = &ResponseParser::on_header_value;
    m_settings.on_header_value_complete = &ResponseParser::on_header_value_complete;
    m_settings.on_headers_complete = &ResponseParser::on_headers_complete;
    m_settings.on_body = &ResponseParser::on_body;
    m_settings.on_message_complete = &ResponseParser::on_message_complete;
    llhttp_init(&m_parser, HTTP_RESPONSE, &m_settings);
    m_parser.data = this;
}

ResponseParser::State ResponseParser::feed(std::string_view bytes) {
    if (m_state != State::incomplete || bytes.empty()) {
        return m_state;
    }

    m_bytes_seen += bytes.size();
    const llhttp_errno_t result = llhttp_execute(&m_parser, bytes.data(), bytes.size());
    if (m_state != State::incomplete) {
        if (m_state == State::complete && result == HPE_PAUSED) {
            // Bytes after the response on a connection that carries one request at a
            // time mean the peer is out of step: do not put another request on it.
            const char* const stop = llhttp_get_error_pos(&m_parser);
            if (stop != nullptr && stop != bytes.data() + bytes.size()) {
                m_reusable = false;
            }
        }
        return m_state;
    }

    if (result != HPE_OK) {
        fail(TransportError::malformed_response);
    }
    return m_state;
}

ResponseParser::State ResponseParser::finish() {
    if (m_state != State::incomplete) {
        return m_state;
    }

    if (nothing_received()) {
        fail(TransportError::connection_reset);
        return m_state;
    }

    // RFC 9112 6.3: a response without Content-Length or chunked coding ends at close.
    const llhttp_errno_t result = llhttp_finish(&m_parser);
    if (m_state == State::incomplete) {
        fail(TransportError::malformed_response);
    }
    static_cast<void>(result);
    m_reusable = false;
    return m_state;
}

ResponseParser& ResponseParser::self(llhttp_t* parser) {
    return *static_cast<ResponseParser*>(parser->data);
}

int ResponseParser::fail(TransportError error) {
    m_state = State::failed;
    m_error = error;
    return -1;
}

// RFC 9110 15.2: a 1xx response is interim; the final response follows it.
bool ResponseParser::interim() const {
    const int status = m_parser.status_code;
    return status >= 100 && status < 200 && status != 101;
}

int ResponseParser::on_header_field(llhttp_t* parser, const char* at, std::size_t length) {
    ResponseParser& p = self(parser);

    p.m_header_bytes += length;
    if (p.m_header_bytes > max_header_section_bytes) {
        return p.fail(TransportError::malformed_response);
    }

    p.m_field.append(at, length);
    return 0;
}

int ResponseParser::on_header_value(llhttp_t* parser, const char* at, std::size_t length) {
    ResponseParser& p = self(parser);

    p.m_header_bytes += length;
    if (p.m_header_bytes > max_header_section_bytes) {
        return p.fail(TransportError::malformed_response);
    }

    p.m_value.append(at, length);
    return 0;
}

int ResponseParser::on_header_value_complete(llhttp_t* parser) {
    ResponseParser& p = self(parser);

    p.m_response.headers.push_back(
        HttpHeader{std::move(p.m_field), std::string(trim_field_value(p.m_value)), false});
    p.m_field.clear();
    p.m_value.clear();
    return 0;
}

int ResponseParser::on_headers_complete(llhttp_t* parser) {
    ResponseParser& p = self(parser);

    p.m_response.status = llhttp_get_status_code(parser);
    const bool has_length = (parser->flags & F_CONTENT_LENGTH) != 0;
    if (!p.interim() && has_length && parser->content_length > p.m_max_body_bytes) {
        // Refused before the first body byte, as the declared length says too much.
        return p.fail(TransportError::response_too_large);
    }
    return 0;
}

int ResponseParser::on_body(llhttp_t* parser, const char* at, std::size_t length) {
    ResponseParser& p = self(parser);
    SecureBytes& body = p.m_response.body;

    if (length > p.m_max_body_bytes - body.size()) {
        return p.fail(TransportError::response_too_large);
    }

    const auto* bytes = reinterpret_cast<const std::uint8_t*>(at);
    body.insert(body.end(), bytes, bytes + length);
    return 0;
}

int ResponseParser::on_message_complete(llhttp_t* parser) {
    ResponseParser& p = self(parser);

    if (p.interim()) {
        p.m_response = HttpResponse{};
        p.m_header_bytes = 0;
        return 0;
    }

    p.m_state = State::complete;
    p.m_reusable = llhttp_should_keep_alive(parser) != 0;
    return HPE_PAUSED;
}

}  // namespace ec2seed::transport
