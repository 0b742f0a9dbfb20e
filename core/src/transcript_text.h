// Internal to the core: the pieces of the transcript format (transcript.h) that
// rendering, parsing, replay and recording share.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ec2seed/core/seeder.h"
#include "ec2seed/core/transcript.h"

namespace ec2seed::transcript::detail {

// Body chunks: at most this many characters of escaped text a line.
inline constexpr std::size_t chunk_width = 72;
// Entropy bytes: this many a "hex" line.
inline constexpr std::size_t hex_bytes_per_line = 32;

// Bytes as one line of text: printable ASCII as is, '\' and the rest escaped.
std::string escape(std::string_view bytes);

// Bytes as body chunks (transcript.h): cut after each "\n" and at chunk_width.
std::vector<std::string> body_chunks(std::string_view bytes);

// The inverse of escape(). nullopt for a bad escape.
std::optional<std::string> unescape(std::string_view text);

// "20261203T160000Z", the wall clock as SigV4 writes it.
std::string render_wall(WallTime wall);
std::string render_mono(MonoTime mono);  // "1500ms"

std::string render_input(const Input& input);
std::string render_command(const Command& command);
std::string render_event(const Event& event);

// Runs a Seeder and writes down its run as it goes: what replay and the recorder
// have in common.
class Writer final {
  public:
    explicit Writer(const SeederConfig& config);

    // Renders the input, hands it to the Seeder, renders what comes out.
    void apply(const Input& input);

    // Appends the report and the end line. Call once, last.
    void close();

    const std::string& text() const { return m_text; }
    const Seeder& seeder() const { return m_seeder; }

    // The requests emitted and not yet answered.
    const std::map<RequestId, HttpRequest>& outstanding() const { return m_outstanding; }

    // Appends a comment line ("# " + text).
    void comment(std::string_view text);

  private:
    void drain();

    Seeder m_seeder;
    std::string m_text;
    std::map<RequestId, HttpRequest> m_outstanding;
};

}  // namespace ec2seed::transcript::detail
