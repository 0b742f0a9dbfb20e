// A small result type: a value or an Error. std::expected is not available on
// every compiler the core builds with (clang 14), so the core carries its own.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "ec2seed/core/error.h"

namespace ec2seed {

template <typename T>
class [[nodiscard]] Result {
  public:
    static_assert(!std::is_same_v<T, Error>, "Result<Error> is ambiguous");

    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const noexcept { return m_state.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    // Precondition: has_value().
    T& value() & {
        assert(has_value());
        return std::get<0>(m_state);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(m_state);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(m_state));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    // Precondition: !has_value().
    const Error& error() const& {
        assert(!has_value());
        return std::get<1>(m_state);
    }
    Error&& error() && {
        assert(!has_value());
        return std::get<1>(std::move(m_state));
    }

  private:
    std::variant<T, Error> m_state;
};

// Result of an operation that yields nothing but may fail.
using Status = Result<std::monostate>;

inline Status ok() {
    return Status(std::monostate{});
}

}  // namespace ec2seed
