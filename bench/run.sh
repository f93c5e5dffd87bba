#!/usr/bin/env bash
# Benchmark of the main job: a cold build of the chain, a run in which nothing changed, and a
# run after a one-line dotfile edit. Prints the figures and appends them to bench/results.md.
#
#   bench/run.sh [build.sh arguments...]     e.g. bench/run.sh --skip-tools (no GitHub access)
#
# Builds are timed with --target=images (building only). The no-op is also timed for the full
# default target (build + smoke tests + tags) once the chain is proven, since a proof is kept
# by image key. Smoke tests of changed images are not timed here: their vault scenario takes
# seconds in a privileged container and minutes under User-Mode Linux.
#
# The cold run removes this repository's images (strata.yaml's `repository`) first; the base OS
# image is kept, as on any machine that built once. The dotfile edit is reverted at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

repository=$(sed -n 's/^repository: *//p' strata.yaml)
dotfile=dotfiles/bash/.bashrc
runs=5

# Wall time of a command in milliseconds; the command must succeed.
millis() { local start=$(date +%s%N); "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N) - start) / 1000000 )); }
secs() { printf '%d.%02d' $(( $1 / 1000 )) $(( $1 % 1000 / 10 )); }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

./build.sh --target=plan "$@" >/dev/null 2>&1 # warm: library built, Cake script compiled

docker image ls "$repository" --format '{{.Repository}}:{{.Tag}}' | xargs -r docker image rm --force >/dev/null
cold=$(millis ./build.sh --target=images "$@")

noop=()
for _ in $(seq $runs); do noop+=("$(millis ./build.sh --target=images "$@")"); done

# The full default target on a proven chain. The first call proves the chain if it is not yet
# (not timed: with the vault under User-Mode Linux that takes minutes per image).
full="n/a (the chain did not pass its smoke tests)"
if ./build.sh "$@" >/dev/null 2>&1; then
  proven=()
  for _ in $(seq $runs); do proven+=("$(millis ./build.sh "$@")"); done
  full="$(secs "$(median "${proven[@]}")") s"
fi

cp "$dotfile" "$dotfile.bench-backup"
trap 'mv "$dotfile.bench-backup" "$dotfile"' EXIT
echo "# bench edit $(date +%s%N)" >> "$dotfile"
edit=$(millis ./build.sh --target=images "$@")

report=$(cat <<REPORT
| $(date -u +%Y-%m-%d) | $(nproc) cores | $(secs "$cold") s | $(secs "$(median "${noop[@]}")") s (min $(secs "$(printf '%s\n' "${noop[@]}" | sort -n | head -1)") s) | $full | $(secs "$edit") s | ${*:-} |
REPORT
)
echo "$report"
echo "$report" >> bench/results.md
