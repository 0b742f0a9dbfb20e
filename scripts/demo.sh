#!/usr/bin/env bash
# The demo: one command on a fresh Debian 12 machine, as root, from the repository.
# Installs what is missing, builds ec2seed, starts the local IMDS + KMS emulator on
# 127.0.0.1, runs ec2seed against it (curl transport, dry-run sink: this machine's
# random pool is not touched), prints the report and stops the emulator.
#
#   EC2SEED_DEMO_BUILD=DIR   build directory (default: build/gcc if configured, else
#                            build/demo)
set -euo pipefail
cd "$(dirname "$0")/.."

python=/usr/bin/python3  # Debian's python3, the one that sees python3-botocore

./scripts/setup.sh

build=${EC2SEED_DEMO_BUILD:-}
if [[ -z $build ]]; then
  if [[ -f build/gcc/CMakeCache.txt ]]; then build=build/gcc; else build=build/demo; fi
fi
mkdir -p "$build"
build_log=$build/demo-build.log
build_step() {
  if ! "$@" >>"$build_log" 2>&1; then
    echo "demo: build step failed: $*; the end of $build_log:" >&2
    tail -n 30 "$build_log" >&2
    exit 1
  fi
}
if [[ ! -f $build/CMakeCache.txt ]]; then
  echo "== configuring $build"
  build_step cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEC2SEED_BUILD_TESTS=OFF
fi
echo "== building ec2seed in $build (a few minutes the first time; log: $build_log)"
build_step cmake --build "$build" --target ec2seed -j "$(nproc)"
binary=$build/app/ec2seed

state=$(mktemp -d /tmp/ec2seed-demo.XXXXXX)
emulator_pid=
stop_emulator() {
  if [[ -n $emulator_pid ]] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid"
    wait "$emulator_pid" || true
  fi
}
trap stop_emulator EXIT

echo "== starting the IMDS + KMS emulator on 127.0.0.1"
"$python" tests/emulator/ec2seed_emulator.py --state-dir "$state" >"$state/ready" \
  2>"$state/emulator.stderr" &
emulator_pid=$!
for _ in $(seq 100); do
  [[ -s $state/ready ]] && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    echo "demo: the emulator did not start:" >&2
    cat "$state/emulator.stderr" >&2
    exit 1
  fi
  sleep 0.1
done
field() { "$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
  "$state/ready" "$1"; }
imds_url=$(field imds_url)
kms_url=$(field kms_url)
ca=$(field ca)
echo "   IMDS $imds_url, KMS $kms_url (a throwaway CA: $ca)"

echo "== running: ec2seed --transport curl --sink dry-run --report text"
echo
status=0
# A clean environment: no AWS_* variables or CA settings from this machine.
env -i PATH="$PATH" "$binary" \
  --imds-endpoint "$imds_url" --kms-endpoint "$kms_url" --ca-bundle "$ca" \
  --transport curl --sink dry-run --report text || status=$?
echo

requests=$("$python" -c '
import collections, json, sys
seen = collections.Counter()
for line in open(sys.argv[1]):
    entry = json.loads(line)
    if entry["event"] == "request":
        seen[entry["service"]] += 1
print("%d IMDS and %d KMS requests" % (seen["imds"], seen["kms"]))' "$state/requests.jsonl")
echo "== the emulator saw $requests (log: $state/requests.jsonl)"
echo "== ec2seed exited with $status (0 complete, 3 partial, 1 failed)"
exit "$status"
