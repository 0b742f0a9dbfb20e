// The --sink value: which sink, and for file: where.
#include <string_view>

#include "ec2seed/transport/entropy_sink.h"

namespace ec2seed::transport {

Result<SinkSpec> parse_sink_spec(std::string_view text) {
    constexpr std::string_view file_prefix = "file:";

    if (text == "kernel") {
        return SinkSpec{SinkKind::kernel, {}};
    }
    if (text == "urandom") {
        return SinkSpec{SinkKind::urandom, {}};
    }
    if (text == "dry-run") {
        return SinkSpec{SinkKind::dry_run, {}};
    }
    if (text.starts_with(file_prefix) && text.size() > file_prefix.size()) {
        return SinkSpec{SinkKind::file, std::string(text.substr(file_prefix.size()))};
    }

    return Error{ErrorCode::bad_config, "'" + std::string(text) +
                                            "' is not a sink; accepted: kernel, urandom, "
                                            "dry-run, file:PATH"};
}

std::string_view to_string(SinkKind kind) noexcept {
    switch (kind) {
        case SinkKind::kernel:
            return "kernel";
        case SinkKind::urandom:
            return "urandom";
        case SinkKind::dry_run:
            return "dry-run";
        case SinkKind::file:
            return "file";
    }
    return "kernel";
}

}  // namespace ec2seed::transport
