#include "tls_channel.h"

#include <arpa/inet.h>

#include <exception>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include <botan/auto_rng.h>
#include <botan/certstor.h>
#include <botan/certstor_system.h>
#include <botan/credentials_manager.h>
#include <botan/data_src.h>
#include <botan/pkix_types.h>
#include <botan/tls_alert.h>
#include <botan/tls_callbacks.h>
#include <botan/tls_client.h>
#include <botan/tls_exceptn.h>
#include <botan/tls_policy.h>
#include <botan/tls_session_manager.h>
#include <botan/x509cert.h>

namespace ec2seed::transport {

namespace {

// TLS 1.2 with forward-secret AEAD suites only. Revocation data is not required:
// nothing in a boot-time agent could fetch a CRL or OCSP response (Botan's default
// policy refuses every chain without it).
class Tls12AeadPolicy final : public Botan::TLS::Policy {
  public:
    std::vector<std::string> allowed_ciphers() const override {
        return {"ChaCha20Poly1305", "AES-256/GCM", "AES-128/GCM"};
    }
    std::vector<std::string> allowed_macs() const override { return {"AEAD"}; }
    std::vector<std::string> allowed_key_exchange_methods() const override { return {"ECDH"}; }
    bool allow_tls10() const override { return false; }
    bool allow_tls11() const override { return false; }
    bool allow_tls12() const override { return true; }
    bool allow_dtls10() const override { return false; }
    bool allow_dtls12() const override { return false; }
    bool require_cert_revocation_info() const override { return false; }
};

class TrustedRoots final : public Botan::Credentials_Manager {
  public:
    explicit TrustedRoots(std::unique_ptr<Botan::Certificate_Store> store)
        : m_store(std::move(store)) {}

    std::vector<Botan::Certificate_Store*> trusted_certificate_authorities(
        const std::string& /*type*/, const std::string& /*context*/) override {
        return {m_store.get()};
    }

  private:
    std::unique_ptr<Botan::Certificate_Store> m_store;
};

// Every CERTIFICATE block of a PEM file. Throws when the file cannot be read or holds
// no certificate.
std::unique_ptr<Botan::Certificate_Store> load_pem_bundle(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw std::runtime_error("cannot read the CA bundle");
    }
    const std::string pem{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};

    constexpr std::string_view begin = "-----BEGIN CERTIFICATE-----";
    constexpr std::string_view end = "-----END CERTIFICATE-----";
    auto store = std::make_unique<Botan::Certificate_Store_In_Memory>();
    std::size_t count = 0;
    for (std::size_t at = pem.find(begin); at != std::string::npos; at = pem.find(begin, at)) {
        const std::size_t stop = pem.find(end, at);
        if (stop == std::string::npos) {
            break;
        }

        const std::size_t block_end = stop + end.size();
        Botan::DataSource_Memory block(pem.substr(at, block_end - at));
        store->add_certificate(Botan::X509_Certificate(block));
        ++count;
        at = block_end;
    }

    if (count == 0) {
        throw std::runtime_error("the CA bundle holds no certificate");
    }
    return store;
}

bool is_ipv4_literal(const std::string& host) {
    in_addr address{};
    return inet_pton(AF_INET, host.c_str(), &address) == 1;
}

bool is_ipv6_literal(const std::string& host) {
    in6_addr address{};
    return inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

// RFC 9110 4.3.4 and RFC 6125 6.4: a DNS name is matched against the certificate's
// DNS names (wildcards allowed), an IP literal against its IP addresses only.
bool certificate_names_host(const Botan::X509_Certificate& certificate, const std::string& host) {
    if (is_ipv4_literal(host)) {
        in_addr address{};
        inet_pton(AF_INET, host.c_str(), &address);
        char canonical[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &address, canonical, sizeof canonical);
        for (const std::string& ip : certificate.subject_alt_name().get_attribute("IP")) {
            if (ip == canonical) {
                return true;
            }
        }
        return false;
    }

    if (is_ipv6_literal(host)) {
        // TODO(Botan 3, which decodes IPv6 subject alternative names): Botan 2 drops
        // them, so no certificate can name an IPv6 host here.
        return false;
    }
    return certificate.matches_dns_name(host);
}

}  // namespace

class TlsContext {
  public:
    explicit TlsContext(const TlsOptions& options) {
        try {
            std::unique_ptr<Botan::Certificate_Store> store;
            if (options.ca_bundle.has_value()) {
                store = load_pem_bundle(*options.ca_bundle);
            } else {
                store = std::make_unique<Botan::System_Certificate_Store>();
            }
            m_roots = std::make_unique<TrustedRoots>(std::move(store));
            // The first draw on the kernel's random pool by any TLS code in the process.
            m_rng = std::make_unique<Botan::AutoSeeded_RNG>();
        } catch (const std::exception&) {
            m_roots.reset();
            m_rng.reset();
        }
    }

    bool usable() const noexcept { return m_roots != nullptr && m_rng != nullptr; }

    Botan::RandomNumberGenerator& rng() { return *m_rng; }
    Botan::Credentials_Manager& roots() { return *m_roots; }
    const Botan::TLS::Policy& policy() const { return m_policy; }
    Botan::TLS::Session_Manager& sessions() { return m_sessions; }

  private:
    std::unique_ptr<Botan::RandomNumberGenerator> m_rng;
    std::unique_ptr<TrustedRoots> m_roots;
    Tls12AeadPolicy m_policy;
    // Keep-alive connections stand in for session resumption.
    Botan::TLS::Session_Manager_Noop m_sessions;
};

std::shared_ptr<TlsContext> make_tls_context(const TlsOptions& options) {
    return std::make_shared<TlsContext>(options);
}

class TlsChannel::Session final : public Botan::TLS::Callbacks {
  public:
    Session(std::shared_ptr<TlsContext> context, const Endpoint& endpoint)
        : m_context(std::move(context)), m_host(endpoint.host) {
        if (!m_context->usable()) {
            m_failed = true;
            return;
        }

        // RFC 6066 3: server_name carries DNS names only, never an IP literal.
        const bool literal = is_ipv4_literal(m_host) || is_ipv6_literal(m_host);
        const Botan::TLS::Server_Information server(literal ? std::string() : m_host,
                                                    endpoint.port);
        try {
            m_client = std::make_unique<Botan::TLS::Client>(
                *this, m_context->sessions(), m_context->roots(), m_context->policy(),
                m_context->rng(), server, Botan::TLS::Protocol_Version::TLS_V12);
        } catch (const std::exception&) {
            m_failed = true;
        }
    }

    bool received(std::string_view ciphertext) {
        if (m_failed) {
            return false;
        }

        try {
            m_client->received_data(reinterpret_cast<const std::uint8_t*>(ciphertext.data()),
                                    ciphertext.size());
        } catch (const std::exception&) {
            // A certificate we refused, an alert, a corrupt record: Botan has queued
            // the alert it sends, and the connection is done.
            m_failed = true;
        }
        return !m_failed;
    }

    bool send(std::string_view plaintext) {
        if (m_failed || !handshake_done()) {
            return false;
        }

        try {
            m_client->send(reinterpret_cast<const std::uint8_t*>(plaintext.data()),
                           plaintext.size());
        } catch (const std::exception&) {
            m_failed = true;
        }
        return !m_failed;
    }

    void close() {
        if (m_client != nullptr && !m_failed && !m_client->is_closed()) {
            try {
                m_client->close();
            } catch (const std::exception&) {
                m_failed = true;
            }
        }
    }

    bool handshake_done() const { return m_client != nullptr && m_client->is_active(); }
    bool failed() const { return m_failed; }
    bool peer_closed() const {
        return m_peer_closed || (m_client != nullptr && m_client->is_closed());
    }

    Botan::secure_vector<char>& ciphertext_out() { return m_ciphertext_out; }
    Botan::secure_vector<char>& plaintext_in() { return m_plaintext_in; }

    void tls_emit_data(const std::uint8_t data[], std::size_t size) override {
        const auto* bytes = reinterpret_cast<const char*>(data);
        m_ciphertext_out.insert(m_ciphertext_out.end(), bytes, bytes + size);
    }

    void tls_record_received(std::uint64_t /*sequence*/, const std::uint8_t data[],
                             std::size_t size) override {
        const auto* bytes = reinterpret_cast<const char*>(data);
        m_plaintext_in.insert(m_plaintext_in.end(), bytes, bytes + size);
    }

    void tls_alert(Botan::TLS::Alert alert) override {
        if (alert.type() == Botan::TLS::Alert::CLOSE_NOTIFY || alert.is_fatal()) {
            m_peer_closed = true;
        }
    }

    bool tls_session_established(const Botan::TLS::Session& /*session*/) override { return false; }

    // Botan 2's own host check knows DNS names only, so the chain is validated without
    // a host name and the host is then matched here, IP literals included.
    void tls_verify_cert_chain(
        const std::vector<Botan::X509_Certificate>& chain,
        const std::vector<std::shared_ptr<const Botan::OCSP::Response>>& ocsp_responses,
        const std::vector<Botan::Certificate_Store*>& trusted_roots, Botan::Usage_Type usage,
        const std::string& /*hostname*/, const Botan::TLS::Policy& policy) override {
        Botan::TLS::Callbacks::tls_verify_cert_chain(chain, ocsp_responses, trusted_roots, usage,
                                                     std::string(), policy);

        if (chain.empty() || !certificate_names_host(chain.front(), m_host)) {
            throw Botan::TLS::TLS_Exception(Botan::TLS::Alert::BAD_CERTIFICATE,
                                            "the certificate does not name the host");
        }
    }

  private:
    std::shared_ptr<TlsContext> m_context;
    std::string m_host;
    Botan::secure_vector<char> m_ciphertext_out;
    Botan::secure_vector<char> m_plaintext_in;
    bool m_failed = false;
    bool m_peer_closed = false;
    // Made in the constructor's body: Botan's constructor calls back into this object.
    std::unique_ptr<Botan::TLS::Client> m_client;
};

TlsChannel::TlsChannel(std::shared_ptr<TlsContext> context, const Endpoint& endpoint)
    : m_session(std::make_unique<Session>(std::move(context), endpoint)) {}

TlsChannel::~TlsChannel() = default;

bool TlsChannel::received(std::string_view ciphertext) {
    return m_session->received(ciphertext);
}
bool TlsChannel::send(std::string_view plaintext) {
    return m_session->send(plaintext);
}
void TlsChannel::close() {
    m_session->close();
}
bool TlsChannel::handshake_done() const noexcept {
    return m_session->handshake_done();
}
bool TlsChannel::failed() const noexcept {
    return m_session->failed();
}
bool TlsChannel::peer_closed() const noexcept {
    return m_session->peer_closed();
}
Botan::secure_vector<char>& TlsChannel::ciphertext_out() noexcept {
    return m_session->ciphertext_out();
}
Botan::secure_vector<char>& TlsChannel::plaintext_in() noexcept {
    return m_session->plaintext_in();
}

}  // namespace ec2seed::transport
