#!/usr/bin/env bash
# Installs every Debian 12 package that ec2seed's build, tests, fuzzers, emulator,
# demo and boot test need. Idempotent; run as root.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git ca-certificates
  libbotan-2-dev node-llhttp libboost-json1.81-dev libboost1.81-dev libcurl4-openssl-dev
  # tests and fuzzers
  libgtest-dev libgmock-dev librapidcheck-dev clang-14 libclang-rt-14-dev clang-format-14
  # the emulator and the botocore comparison (Debian's python3, not another one)
  python3 python3-botocore openssl
  # systemd-analyze verify for the unit
  systemd
  # the boot test
  qemu-system-x86 busybox-static cpio
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
