#!/usr/bin/env bash
# smoke/vault/vm-kernel.sh - the guest kernel of the virtual-machine runtime: Debian's cloud
# kernel for the guest's architecture, fetched once into a cache folder and printed.
#
# Usage: smoke/vault/vm-kernel.sh --arch amd64|arm64 --cache DIR
#
# Prints one line: the folder holding boot/vmlinuz-KVER and lib/modules/KVER (the package's
# files, unpacked with dpkg-deb -x: nothing is installed on the host). Why the cloud flavour
# (linux-image-cloud-amd64, linux-image-cloud-arm64): it has ext4, PCI and NVMe built in, so
# it boots from an NVMe root disk with no initrd (the generic kernels have virtio-blk, NVMe
# and, on arm64, ext4 only as modules, and Debian ships no initrd: initramfs-tools makes one
# on install, which cannot be done for another architecture). loop, dm-mod and dm-crypt are
# modules, loaded by the guest from the package's own tree.
#
# The package comes from the host's Debian archive through apt (`apt-get download`); for an
# architecture the host's dpkg does not list, a private apt state under DIR is used, so the
# host's configuration is never changed. Without the archive, the newest kernel already in
# DIR is used. Exits non-zero with the reason and the fix on stderr.
set -euo pipefail

ARCH=
CACHE=
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 64; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --arch) ARCH=${2:?}; shift 2 ;;
    --cache) CACHE=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[[ $ARCH =~ ^(amd64|arm64)$ && -n $CACHE ]] || usage
die() { printf 'vm-kernel: %s\n' "$*" >&2; exit 1; }

META=linux-image-cloud-$ARCH
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
TMP=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

command -v apt-get >/dev/null || die "apt-get not found: the guest kernel comes from Debian's archive (run on a Debian or Ubuntu host, or put an unpacked $META into $CACHE)"
APT=(-o APT::Sandbox::User=root)   # downloads into a folder _apt may not write
foreign=$'\n'$(dpkg --print-foreign-architectures)$'\n'
if [[ $(dpkg --print-architecture) != "$ARCH" && $foreign != *$'\n'$ARCH$'\n'* ]]; then
  state=$CACHE/apt-$ARCH
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  : >>"$state/status"
  APT+=(-o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH" -o "Dir::State::Lists=$state/lists"
        -o "Dir::State::status=$state/status" -o "Dir::Cache=$state/cache" -o Debug::NoLocking=1)
  # The index is refreshed once a day at most (about 10 s, 26 MB).
  if [[ -z $(find "$state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 -print -quit) ]]; then
    apt-get "${APT[@]}" -qq update >"$TMP/update.log" 2>&1 || printf 'vm-kernel: apt-get update for %s failed: %s\n' "$ARCH" "$(tail -n 3 "$TMP/update.log")" >&2
  fi
fi

cached() {   # the newest kernel of this flavour already unpacked in the cache
  local d
  d=$(find "$CACHE" -mindepth 2 -maxdepth 2 -name .complete -path "*/linux-image-*-cloud-${ARCH}_*" -printf '%h\n' | sort -V | tail -n 1)
  [[ -n $d ]] && printf '%s\n' "$d"
}

# Asking apt takes seconds: a kernel checked against the archive within a day is used as is.
recent=$(cached || true)
if [[ -n $recent && -n $(find "$recent/.complete" -mtime -1 -print) ]]; then printf '%s\n' "$recent"; exit 0; fi

pkg=$(apt-cache "${APT[@]}" depends "$META" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1 || true)
version=
[[ -z $pkg ]] || version=$(apt-cache "${APT[@]}" show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1 || true)
if [[ -z $pkg || -z $version ]]; then
  cached || die "$META is not known to apt here, and no kernel is cached in $CACHE (fix: apt-get update, with a Debian archive that has $META)"
  exit 0
fi
dir=$CACHE/${pkg}_${version}
if [[ -f $dir/.complete ]]; then touch "$dir/.complete"; printf '%s\n' "$dir"; exit 0; fi

(cd "$TMP" && apt-get "${APT[@]}" -qq download "$pkg:$ARCH") >"$TMP/download.log" 2>&1 || {
  cached || die "apt-get download $pkg:$ARCH failed: $(tail -n 3 "$TMP/download.log") (fix: apt-get update, check the Debian archive is reachable)"
  exit 0
}
debs=("$TMP"/*.deb)
mkdir "$TMP/x"
dpkg-deb -x "${debs[0]}" "$TMP/x"
kver=${pkg#linux-image-}
[[ -f $TMP/x/boot/vmlinuz-$kver && -d $TMP/x/lib/modules/$kver ]] || die "$pkg has no boot/vmlinuz-$kver or lib/modules/$kver"
# Without the host's depmod the guest makes its own modules.dep at boot (a few seconds).
if command -v depmod >/dev/null; then depmod -b "$TMP/x" "$kver" || true; fi
mkdir "$TMP/k"
mv "$TMP/x/boot" "$TMP/x/lib" "$TMP/k/"
touch "$TMP/k/.complete"
# Two runs may fetch at once: the first rename wins, the other's copy goes with its TMP.
mv -T "$TMP/k" "$dir" 2>/dev/null || [[ -f $dir/.complete ]] || die "cannot move the kernel into $dir"
printf '%s\n' "$dir"
