#!/usr/bin/env bash
# Benchmark of the main job: a cold build of the chain, a run in which nothing changed, and a
# run after a one-line dotfile edit. Prints the figures and appends them to bench/results.md.
#
#   bench/run.sh [build.sh arguments...]     e.g. bench/run.sh --skip-tools (no GitHub access)
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

./build.sh --target=plan "$@" >/dev/null 2>&1 # warm: library built, Cake script compiled

docker image ls "$repository" --format '{{.Repository}}:{{.Tag}}' | xargs -r docker image rm --force >/dev/null
cold=$(millis ./build.sh "$@")

noop=()
for _ in $(seq $runs); do noop+=("$(millis ./build.sh "$@")"); done

cp "$dotfile" "$dotfile.bench-backup"
trap 'mv "$dotfile.bench-backup" "$dotfile"' EXIT
echo "# bench edit $(date +%s%N)" >> "$dotfile"
edit=$(millis ./build.sh "$@")

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
report=$(cat <<REPORT
| $(date -u +%Y-%m-%d) | $(nproc) cores | $(secs "$cold") s | $(secs "$(median "${noop[@]}")") s (min $(secs "$(printf '%s\n' "${noop[@]}" | sort -n | head -1)") s) | $(secs "$edit") s | ${*:-} |
REPORT
)
echo "$report"
echo "$report" >> bench/results.md
