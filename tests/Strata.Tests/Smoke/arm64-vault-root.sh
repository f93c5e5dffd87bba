#!/usr/bin/env bash
# tests/Strata.Tests/Smoke/arm64-vault-root.sh - an arm64 root filesystem that carries the vault and
# what it needs (bash, sudo, cryptsetup, dmsetup, kmod, e2fsprogs, util-linux), in well under a minute
# and without emulation: the arm64 vault test boots it in an emulated virtual machine.
#
# Usage: arm64-vault-root.sh --vault FILE --cache DIR --out FILE.tar
#
# Debian trixie's arm64 packages are resolved and fetched by apt with a private state under DIR (the
# host's apt configuration is never changed) and unpacked with dpkg-deb -x: no arm64 program runs.
# What their maintainer scripts would have done is done here: the users (root, and dev with uid
# 1000, sudo without a password, as the base image has it), PAM's common files, the vault at
# ~dev/.local/bin/vault. Not an image to use: a fixture for the vault's arm64 path. The .debs are
# kept in DIR (a second run within a day downloads nothing); the root filesystem is written as a
# tar to FILE.
set -euo pipefail

VAULT=
CACHE=
OUT=
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 64; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --vault) VAULT=${2:?}; shift 2 ;;
    --cache) CACHE=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[[ -f $VAULT && -n $CACHE && -n $OUT ]] || usage
die() { printf 'arm64-vault-root: %s\n' "$*" >&2; exit 1; }
command -v apt-get >/dev/null || die "apt-get not found: the packages come from Debian's archive (run on a Debian or Ubuntu host)"

# The essential set the scenario's shell steps use, and what the vault needs.
PACKAGES=(base-files base-passwd bash dash coreutils diffutils findutils grep sed mawk gzip tar hostname
  libc-bin util-linux mount bsdutils procps sudo cryptsetup-bin dmsetup kmod e2fsprogs)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/arm64-vault-root.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ROOT=$TMP/root

state=$CACHE/apt-trixie-arm64
mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
: >>"$state/status"
echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' >"$state/sources.list"
APT=(-o APT::Sandbox::User=root -o APT::Architecture=arm64 -o "APT::Architectures::=arm64"
     -o "Dir::State::Lists=$state/lists" -o "Dir::State::status=$state/status" -o "Dir::Cache=$state/cache"
     -o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=/nonexistent -o Debug::NoLocking=1)
if [[ -z $(find "$state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 -print -quit) ]]; then
  apt-get "${APT[@]}" -qq update >"$TMP/apt.log" 2>&1 || die "apt-get update (trixie, arm64) failed: $(tail -n 3 "$TMP/apt.log")"
fi
apt-get "${APT[@]}" -qq -y --no-install-recommends --download-only install "${PACKAGES[@]}" >"$TMP/apt.log" 2>&1 \
  || die "apt-get could not fetch the arm64 packages: $(tail -n 3 "$TMP/apt.log")"
# Only what this resolution installs (apt's simulation: "Inst NAME (VERSION ..."): an older version
# of a package fetched on a previous day stays out.
mapfile -t debs < <(apt-get "${APT[@]}" -qq -s --no-install-recommends install "${PACKAGES[@]}" \
  | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1_\2_/p' | sed 's/:/%3a/g')
((${#debs[@]} > 0)) || die "apt-get resolved no packages"

# Debian's merged /usr, then every package unpacked.
mkdir -p "$ROOT/usr/bin" "$ROOT/usr/sbin" "$ROOT/usr/lib"
for dir in bin sbin lib; do ln -s "usr/$dir" "$ROOT/$dir"; done
for deb in "${debs[@]}"; do
  files=("$state/cache/archives/$deb"*.deb)
  [[ -f ${files[0]} ]] || die "apt-get did not fetch ${deb}*.deb"
  dpkg-deb -x "${files[0]}" "$ROOT"
done
[[ -x $ROOT/usr/sbin/cryptsetup && -x $ROOT/usr/bin/sudo && -x $ROOT/usr/bin/bash && -e $ROOT/bin/sh ]] \
  || die "the unpacked root has no cryptsetup, sudo, bash or /bin/sh"

# What the maintainer scripts of base-passwd, mawk (the awk alternative), sudo and libpam-runtime,
# and useradd would have done.
ln -s mawk "$ROOT/usr/bin/awk"
cp "$ROOT/usr/share/base-passwd/passwd.master" "$ROOT/etc/passwd"
cp "$ROOT/usr/share/base-passwd/group.master" "$ROOT/etc/group"
echo 'dev:x:1000:1000::/home/dev:/bin/bash' >>"$ROOT/etc/passwd"
echo 'dev:x:1000:' >>"$ROOT/etc/group"
cut -d: -f1 "$ROOT/etc/passwd" | sed 's/$/:*:20000:0:99999:7:::/' >"$ROOT/etc/shadow"
chmod 0640 "$ROOT/etc/shadow"
echo 'dev ALL=(ALL) NOPASSWD:ALL' >"$ROOT/etc/sudoers.d/dev"
chmod 0440 "$ROOT/etc/sudoers.d/dev"
for kind in auth account password session session-noninteractive; do
  module=${kind%-noninteractive}
  echo "$module required pam_unix.so" >"$ROOT/etc/pam.d/common-$kind"
done
install -d -o 1000 -g 1000 -m 0755 "$ROOT/home/dev" "$ROOT/home/dev/.local" "$ROOT/home/dev/.local/bin"
install -o 1000 -g 1000 -m 0755 "$VAULT" "$ROOT/home/dev/.local/bin/vault"

tar -C "$ROOT" --numeric-owner -cf "$TMP/root.tar" .
mv "$TMP/root.tar" "$OUT"
