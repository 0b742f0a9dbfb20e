#!/usr/bin/env bash
# The test command: installs what is missing, builds with g++ and runs every test,
# then builds with clang 14 under ASan/UBSan, runs the tests again there and gives
# each fuzz harness a short smoke run. Run as root on Debian 12 from the repository.
#
#   EC2SEED_FUZZ_SECONDS=N   seconds per fuzz harness (default 5)
#   EC2SEED_JOBS=N           parallel build and test jobs (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

jobs=${EC2SEED_JOBS:-$(nproc)}
fuzz_seconds=${EC2SEED_FUZZ_SECONDS:-5}

echo "== g++ build"
cmake -S . -B build/gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEC2SEED_WERROR=ON \
  -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++
cmake --build build/gcc -j "$jobs"

echo "== g++ tests"
ctest --test-dir build/gcc --output-on-failure -j "$jobs"

echo "== clang 14 build (ASan, UBSan, libFuzzer)"
cmake -S . -B build/clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEC2SEED_WERROR=ON \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DEC2SEED_FUZZ=ON -DEC2SEED_FUZZ_SECONDS="$fuzz_seconds" -DEC2SEED_BOOT_TEST=OFF
cmake --build build/clang -j "$jobs"

echo "== clang 14 tests under sanitizers, and fuzz smoke runs"
ctest --test-dir build/clang --output-on-failure -j "$jobs" -LE "e2e|boot|emulator"
