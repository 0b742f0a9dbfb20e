#!/usr/bin/env bash
# Installs the build into a temporary DESTDIR and checks what lands there: the
# binary in sbin, the man page in man8, and a unit that systemd-analyze verify
# accepts without a word. verify insists that ExecStart exists, so it reads a copy
# of the unit whose ExecStart points into the DESTDIR; MANPATH lets it find the
# man page the unit's Documentation= names.
#
#   install_test.sh BUILD_DIR UNIT_DIR SBIN_DIR MAN_DIR
set -euo pipefail

build=$1 unit_dir=$2 sbin_dir=$3 man_dir=$4
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

DESTDIR=$dest cmake --install "$build" >/dev/null

binary=$dest$sbin_dir/ec2seed
unit=$dest$unit_dir/ec2seed.service
man=$dest$man_dir/man8/ec2seed.8
for file in "$binary" "$unit" "$man"; do
  [[ -f $file ]] || { echo "not installed: $file"; exit 1; }
done
[[ -x $binary ]] || { echo "not executable: $binary"; exit 1; }

# The unit as installed runs the installed binary.
grep -qx "ExecStart=$sbin_dir/ec2seed \$EC2SEED_OPTS" "$unit" ||
  { echo "ExecStart does not name $sbin_dir/ec2seed:"; grep ExecStart "$unit"; exit 1; }
for line in Type=oneshot RemainAfterExit=yes Wants=network-online.target \
            After=network-online.target 'Before=sshd-keygen.target ssh.service sshd.service' \
            CapabilityBoundingSet=CAP_SYS_ADMIN NoNewPrivileges=yes ProtectHome=yes \
            PrivateTmp=yes WantedBy=multi-user.target; do
  grep -qxF "$line" "$unit" || { echo "unit lacks: $line"; exit 1; }
done

mkdir "$dest/verify"
sed "s|^ExecStart=$sbin_dir/|ExecStart=$dest$sbin_dir/|" "$unit" > "$dest/verify/ec2seed.service"
output=$(cd "$dest/verify" && MANPATH=$dest$man_dir systemd-analyze verify ec2seed.service 2>&1) ||
  { echo "systemd-analyze verify failed:"; echo "$output"; exit 1; }
if [[ -n $output ]]; then
  echo "systemd-analyze verify complained:"; echo "$output"; exit 1
fi

# The man page renders without warnings.
warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null || true)
if [[ -n $warnings ]]; then
  echo "man page warnings:"; echo "$warnings"; exit 1
fi
echo "installed and verified: $binary $unit $man"
