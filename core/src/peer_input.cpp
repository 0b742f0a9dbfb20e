// JSON reading for the core's parsers, through Boost.JSON with a wiping allocator.
#include "peer_input.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <string>

#include <botan/mem_ops.h>
#include <boost/json/memory_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/storage_ptr.hpp>

namespace ec2seed::detail {

namespace {

// Boost.JSON copies every string it parses (the secret key and session token of
// the credentials, the base64 of KMS plaintext) into memory from its resource.
// This resource wipes each block before freeing it, so those copies do not
// outlive the parse result. Each block records its own size in a header: Boost
// does not promise to pass back the size and alignment it asked for.
class WipingResource final : public boost::json::memory_resource {
  private:
    static constexpr std::size_t header = alignof(std::max_align_t);

    void* do_allocate(std::size_t bytes, std::size_t alignment) override {
        if (alignment > header || bytes > std::numeric_limits<std::size_t>::max() - header) {
            throw std::bad_alloc();
        }

        auto* block = static_cast<unsigned char*>(::operator new(header + bytes));
        std::memcpy(block, &bytes, sizeof bytes);
        return block + header;
    }

    void do_deallocate(void* data, std::size_t, std::size_t) override {
        unsigned char* block = static_cast<unsigned char*>(data) - header;
        std::size_t bytes = 0;
        std::memcpy(&bytes, block, sizeof bytes);
        Botan::secure_scrub_memory(block, header + bytes);
        ::operator delete(block);
    }

    bool do_is_equal(const boost::json::memory_resource& other) const noexcept override {
        return this == &other;
    }
};

}  // namespace

Error too_large(std::string_view what, std::size_t size, std::size_t bound) {
    return Error{ErrorCode::input_too_large, std::string(what) + " of " + std::to_string(size) +
                                                 " bytes exceeds the bound of " +
                                                 std::to_string(bound)};
}

std::string log_safe(std::string_view text, std::size_t bound) {
    std::string out;
    out.reserve(std::min(text.size(), bound) + 3);
    for (const char c : text.substr(0, bound)) {
        out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (text.size() > bound) {
        out += "...";
    }
    return out;
}

Result<boost::json::object> parse_json_object(std::string_view text, std::string_view what) {
    try {
        // Both the parser's working stack and the resulting value use the wiping
        // resource; the value keeps it alive through its storage_ptr.
        const boost::json::storage_ptr storage =
            boost::json::make_shared_resource<WipingResource>();
        boost::json::parser parser(storage);
        parser.reset(storage);

        boost::json::error_code ec;
        parser.write(text.data(), text.size(), ec);
        if (ec) {
            return Error{ErrorCode::bad_json, std::string(what) + " is not JSON: " + ec.message()};
        }

        boost::json::value value = parser.release();
        if (!value.is_object()) {
            return Error{ErrorCode::bad_json, std::string(what) + " is not a JSON object"};
        }
        return std::move(value.get_object());
    } catch (const std::exception& e) {
        // Out of memory, or a limit inside Boost.JSON.
        return Error{ErrorCode::bad_json, std::string(what) + " could not be parsed: " + e.what()};
    }
}

Result<std::string_view> string_field(const boost::json::object& object, std::string_view key,
                                      std::string_view what) {
    const boost::json::value* field = object.if_contains(boost::json::string_view(key));
    if (field == nullptr) {
        return Error{ErrorCode::missing_field,
                     std::string(what) + " has no \"" + std::string(key) + "\""};
    }

    const boost::json::string* text = field->if_string();
    if (text == nullptr) {
        return Error{ErrorCode::bad_json,
                     std::string(what) + " field \"" + std::string(key) + "\" is not a string"};
    }
    if (text->empty()) {
        return Error{ErrorCode::missing_field,
                     std::string(what) + " field \"" + std::string(key) + "\" is empty"};
    }
    return std::string_view(text->data(), text->size());
}

}  // namespace ec2seed::detail
