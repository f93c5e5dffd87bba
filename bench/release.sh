#!/usr/bin/env bash
# Benchmark of the registry as the shared cache, on the real chain and a real registry (Debian's
# docker-registry on 127.0.0.1, temporary storage):
#   1. the first release into the empty registry (reuses what this engine built and proved);
#   2. a release on a "new machine": every image of the registry's name removed from the engine,
#      an empty cache folder (no proofs), the registry warm: seconds, bytes pulled, docker build
#      calls (expected: 0 and 0);
#   3. a one-line dotfile edit on that new machine, released: seconds, bytes pushed, stages
#      built (expected: the four thin layers only), smoke tests of the four new images included.
# Images this engine built without a registry (same key, plain repository name) count as local:
# on a machine that built the chain, step 3 pulls no core.
# Appends a row to bench/results.md.
#
#   bench/release.sh [build.sh arguments...]      e.g. bench/release.sh --skip-tools
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

repository=$(sed -n 's/^repository: *//p' strata.yaml)
dotfile=dotfiles/bash/.bashrc
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
registry=127.0.0.1:$port/bench

cat >"$work/config.yml" <<YAML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/data } }
http: { addr: 127.0.0.1:$port }
YAML
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
cleanup() {
  kill "$registry_pid" 2>/dev/null || true
  wait "$registry_pid" 2>/dev/null || true
  git checkout -q -- "$dotfile" 2>/dev/null || true
  docker image ls "$registry/$repository" --format '{{.Repository}}:{{.Tag}}' | xargs -r docker image rm --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

# Counts docker CLI calls by their first argument (build, pull, push), then runs the real one.
mkdir -p "$work/shim"
real_docker=$(command -v docker)
# shellcheck disable=SC2016  # $1 and $@ are the shim's own, expanded when it runs
printf '#!/bin/sh\necho "$1" >> %s/calls\nexec %s "$@"\n' "$work" "$real_docker" >"$work/shim/docker"
chmod +x "$work/shim/docker"

release() { # CACHE_DIR: prints "seconds stages_built pulls pushes bytes_pulled bytes_pushed"
  : >"$work/calls"
  local start ms
  start=$(date +%s%N)
  PATH="$work/shim:$PATH" ./build.sh --target=release --registry="$registry" --cache-dir="$1" "${@:2}" >"$work/last.log" 2>&1 \
    || { tail -n 40 "$work/last.log" >&2; exit 1; }
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  python3 - "$ms" "$work/calls" <<'PY'
import json, sys
ms, calls = int(sys.argv[1]), open(sys.argv[2]).read().split()
images = json.load(open("artifacts/build-report.json"))["images"]
# Builds run through the CLI (counted by the shim only when it is the client used); the report
# says exactly which stages were built, and what was pulled and pushed.
built = sum(1 for i in images for s in i["stages"] if s["source"] == "built")
print(f"{ms/1000:.2f}", built, sum(1 for i in images if i["bytes_pulled"] > 0), sum(1 for i in images if i["bytes_pushed"] > 0),
      sum(i["bytes_pulled"] for i in images), sum(i["bytes_pushed"] for i in images))
PY
}
mib() { python3 -c "print(f'{$1/1048576:.1f} MiB')"; }

# A failed release stops the benchmark (its log's tail is shown): no row is written then.
out=$(release "${XDG_CACHE_HOME:-$HOME/.cache}/strata" "$@") || exit 1
read -r first_s first_b _ _ _ first_push <<<"$out"
echo "first release: ${first_s} s, ${first_b} stages built, $(mib "$first_push") pushed"

docker image ls "$registry/$repository" --format '{{.Repository}}:{{.Tag}}' | xargs -r docker image rm --force >/dev/null
out=$(release "$work/cache-new-machine" "$@") || exit 1
read -r warm_s warm_b warm_pull _ warm_bytes _ <<<"$out"
echo "new machine, warm registry: ${warm_s} s, ${warm_b} stages built, ${warm_pull} images pulled, $(mib "$warm_bytes") pulled"

echo "# bench $(date +%s)" >>"$dotfile"
docker image ls "$registry/$repository" --format '{{.Repository}}:{{.Tag}}' | xargs -r docker image rm --force >/dev/null
out=$(release "$work/cache-new-machine-2" "$@") || exit 1
read -r edit_s edit_b edit_pull _ _ edit_push <<<"$out"
echo "dotfile edit on a new machine: ${edit_s} s, ${edit_b} stages built, ${edit_pull} images pulled, $(mib "$edit_push") pushed"

row=$(printf '| %s | %s cores | %s s | %s s, %s stages built, %s images pulled, %s | %s s, %s stages built, %s images pulled, %s pushed | %s |' \
  "$(date +%F)" "$(nproc)" "$first_s" "$warm_s" "$warm_b" "$warm_pull" "$(mib "$warm_bytes")" \
  "$edit_s" "$edit_b" "$edit_pull" "$(mib "$edit_push")" "$*")
# The row goes at the end of the registry table of bench/results.md.
python3 - "$row" <<'PY'
import sys
path, row = "bench/results.md", sys.argv[1]
lines = open(path).read().split("\n")
start = next(i for i, l in enumerate(lines) if l.startswith("| date | machine | first release"))
end = start
while end + 1 < len(lines) and lines[end + 1].startswith("|"): end += 1
lines.insert(end + 1, row)
open(path, "w").write("\n".join(lines))
PY
echo "$row"
