// Secret values: the IMDS token, the secret access key, the session token and
// KMS plaintext. They live in memory that is wiped when freed, and they have no
// operator<< or implicit conversion to a string, so that they cannot drift into a
// log, a report or a recording. Code that must use the value calls reveal().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <botan/secmem.h>

namespace ec2seed {

using Bytes = std::vector<std::uint8_t>;
using SecureBytes = Botan::secure_vector<std::uint8_t>;

class Secret final {
  public:
    Secret() = default;
    explicit Secret(std::string_view value) : m_value(value.begin(), value.end()) {}
    explicit Secret(SecureBytes value) : m_value(std::move(value)) {}

    bool empty() const noexcept { return m_value.empty(); }
    std::size_t size() const noexcept { return m_value.size(); }

    // The value itself, for signing or for a request header. Never log it.
    std::string_view reveal() const noexcept {
        return {reinterpret_cast<const char*>(m_value.data()), m_value.size()};
    }

    friend bool operator==(const Secret& a, const Secret& b) { return a.m_value == b.m_value; }

  private:
    SecureBytes m_value;
};

}  // namespace ec2seed
