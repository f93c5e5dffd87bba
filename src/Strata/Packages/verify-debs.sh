#!/bin/sh
# apt's DPkg::Pre-Install-Pkgs hook in an image build (see apt.conf beside it): before dpkg unpacks anything,
# every .deb apt fetched must be in this image's lock (locked.list: name version architecture sha256, from
# packages.lock.json) with the same sha256. Anything else stops the build, naming the package and the fix.
set -eu
lock="$(dirname "$0")/locked.list"
status=0
while IFS= read -r deb; do
  case $deb in *.deb) ;; *) continue ;; esac
  name=$(dpkg-deb -f "$deb" Package)
  version=$(dpkg-deb -f "$deb" Version)
  arch=$(dpkg-deb -f "$deb" Architecture)
  actual=$(sha256sum "$deb" | cut -d ' ' -f 1)
  expected=$(awk -v n="$name" -v v="$version" '$1 == n && $2 == v { print $4 }' "$lock")
  if [ -z "$expected" ]; then
    echo "strata: $name $version ($arch) is not in packages.lock.json for this image and platform: the Dockerfile or the archive changed since the lock was made. Run ./build.sh --target=pin and commit packages.lock.json." >&2
    status=1
  elif [ "$expected" != "$actual" ]; then
    echo "strata: $name $version ($arch): sha256 $actual, but packages.lock.json has $expected: the archive serves other bytes under the locked version. Check the archive (or mirror) in strata.yaml's apt sources; if the change is legitimate, run ./build.sh --target=pin." >&2
    status=1
  fi
done
exit "$status"
