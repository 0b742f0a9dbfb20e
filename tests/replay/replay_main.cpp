// ec2seed_replay FILE: replays a transcript and compares the rendering with the
// file (comments aside). Exit 0 when equal, 1 when not (the first difference is
// printed), 2 when the file cannot be read or parsed.
//
// EC2SEED_REGENERATE=1 ec2seed_replay FILE rewrites FILE from its configuration
// and inputs, keeping each comment before the input it preceded. Regenerated
// outputs are claims about the seeder: read every changed line before committing.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "ec2seed/core/transcript.h"

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
        lines.push_back(line);
    }
    return lines;
}

bool is_input_line(const std::string& line) {
    return line.rfind("in  ", 0) == 0 && line.size() > 4 && line[4] != ' ';
}

// The rendering with the original's comments put back: a comment before the
// file's first line stays first; one after the k-th input goes before the
// (k+1)-th input (or before the report).
std::string with_comments(const std::string& original, const std::string& rendered) {
    std::vector<std::pair<int, std::string>> comments;  // (inputs seen before, line)
    int inputs = -1;
    for (const std::string& line : lines_of(original)) {
        if (line.rfind("ec2seed-transcript", 0) == 0) {
            inputs = 0;
        } else if (is_input_line(line)) {
            inputs += 1;
        } else if (line.rfind('#', 0) == 0) {
            comments.emplace_back(inputs, line);
        }
    }

    std::string merged;
    int seen = 0;
    const auto flush = [&](int anchor) {
        for (const auto& [at, comment] : comments) {
            if (at == anchor) {
                merged += comment + "\n";
            }
        }
    };
    flush(-1);
    bool in_report = false;
    for (const std::string& line : lines_of(rendered)) {
        // The original's comments are the ones kept.
        if (line.rfind('#', 0) == 0) {
            continue;
        }
        if (is_input_line(line) || (!in_report && line.rfind("report ", 0) == 0)) {
            flush(seen);
            in_report = in_report || !is_input_line(line);
            seen += is_input_line(line) ? 1 : 0;
        }
        merged += line + "\n";
    }
    return merged;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: ec2seed_replay FILE.transcript\n";
        return 2;
    }

    std::ifstream file(argv[1], std::ios::binary);
    std::stringstream contents;
    contents << file.rdbuf();
    if (!file) {
        std::cerr << argv[1] << ": cannot read\n";
        return 2;
    }
    const std::string expected = contents.str();

    auto transcript = ec2seed::transcript::parse(expected);
    if (!transcript) {
        std::cerr << argv[1] << ": " << transcript.error().message << "\n";
        return 2;
    }
    const std::string actual = ec2seed::transcript::replay(*transcript);

    const char* regenerate = std::getenv("EC2SEED_REGENERATE");
    if (regenerate != nullptr && std::string(regenerate) == "1") {
        std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
        out << with_comments(expected, actual);
        std::cout << argv[1] << ": regenerated; review the diff\n";
        return out ? 0 : 2;
    }

    if (const auto difference = ec2seed::transcript::first_difference(expected, actual)) {
        std::cerr << argv[1] << ": replay differs at " << *difference << "\n";
        return 1;
    }
    std::cout << argv[1] << ": replayed exactly\n";
    return 0;
}
