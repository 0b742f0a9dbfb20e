#!/usr/bin/env bash
# Fails when a tracked C or C++ file differs from what the repository's .clang-format
# makes of it. Usage: format_check.sh SOURCE_DIR CLANG_FORMAT
set -euo pipefail
cd "$1"
if ! files=$(git ls-files '*.cpp' '*.h' '*.c' 2>/dev/null) || [[ -z $files ]]; then
  echo "format check skipped: $1 is not a git checkout"
  exit 77
fi
# shellcheck disable=SC2086  # file names in this repository hold no spaces
"$2" --dry-run -Werror $files
echo "format check: $(wc -w <<<"$files") files follow .clang-format"
