#!/usr/bin/env bash
# Benchmark of the edit loop, side by side with the seed-style timestamp cache-bust of the same
# Dockerfiles, in the same run and on the same engine; every figure is printed with its ratio to
# that baseline, and a row is appended to bench/results.md.
#
#   bench/run.sh [build.sh arguments...]     e.g. bench/run.sh --skip-tools (no GitHub access)
#
# Figures (wall time, Cake included, medians):
#   cold chain    ./build.sh --target=images --no-cache, with each builder (BuildKit, classic)
#   no-op         ./build.sh --target=images when nothing changed (RUNS runs)
#   dotfile edit  the same after a one-line dotfile edit: the four thin layers (EDITS edits)
#   plan 10k      ./build.sh --target=plan with 10,000 files / 100 MB added under dotfiles/
# Baseline: each image built with plain `docker build` FROM its parent's final image, its dotfiles
# applied by the seed's Stow layer with a timestamp as the cache-bust (so that layer, and every
# image after it, always rebuilds); for plan 10k: `find | xargs sha256sum` over the same files.
#
# It builds under its own repository (strata-bench/workstation, strata-bench/baseline) from a
# copy of strata.yaml, so it never removes images it did not make. Dotfile edits and the extra
# files are reverted at the end. The no-op path is also checked for child processes (strace).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${RUNS:-5}
edits=${EDITS:-3}
baseline_runs=${BASELINE_RUNS:-3}
repository=strata-bench/workstation
baseline=strata-bench/baseline
config=strata.bench.yaml
dotfile=dotfiles/bash/.bashrc
bulk=dotfiles/.bench-bulk
work=$(mktemp -d)

cleanup() {
  [[ -f $work/dotfile ]] && cp "$work/dotfile" "$dotfile"
  rm -rf "$bulk" "$config" "$work"
}
trap cleanup EXIT
cp "$dotfile" "$work/dotfile"
sed "s|^repository: .*|repository: $repository|" strata.yaml > "$config"

strata() { ./build.sh --config="$config" "$@"; }
# Wall time of a command in milliseconds; the command must succeed (its output goes to $work/last.log).
millis() {
  local start
  start=$(date +%s%N)
  "$@" >"$work/last.log" 2>&1 || { tail -20 "$work/last.log" >&2; return 1; }
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}
secs() { printf '%d.%02d' $(( $1 / 1000 )) $(( $1 % 1000 / 10 )); }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
edit_dotfile() { echo "# bench edit $(date +%s%N)" >> "$dotfile"; }
remove_repository() { docker image ls "$1" --format '{{.Repository}}:{{.Tag}}' | xargs -r docker image rm --force >/dev/null; }

# The docker client each builder uses (as Strata picks it): BuildKit needs buildx or a pre-23 client.
client() {
  if [[ $1 == classic ]]; then echo "env DOCKER_BUILDKIT=0 docker"; return; fi
  if docker buildx version >/dev/null 2>&1; then echo "env DOCKER_BUILDKIT=1 docker"; else echo "env DOCKER_BUILDKIT=1 /usr/bin/docker"; fi
}

# --- the baseline: the seed's way, on a copy of the repository ------------------------------
context=$work/context
mkdir -p "$context/.strata/tools" "$context/.strata/host-ca"
git ls-files -z | tar --null -T - -cf - | tar -C "$context" -xf -
cp /usr/local/share/ca-certificates/*.crt "$context/.strata/host-ca/" 2>/dev/null || true # as --host-ca=auto
# The seed's Stow layer; children build FROM it here, so it hands them back root, as the seed's chain did.
{ cat tests/Strata.Tests/Images/Fixtures/Dockerfile.dotfiles-stow; printf 'USER root\nWORKDIR /\n'; } > "$context/Dockerfiles/Dockerfile.dotfiles-stow"
version_args=()
for tool in $(jq -r '.tools | keys[]' tools.lock.json); do
  version_args+=(--build-arg "$(echo "$tool" | tr a-z- A-Z_)_VERSION=$(jq -r --arg t "$tool" '.tools[$t].version' tools.lock.json)")
done
mapfile -t chain < <(awk '/^images:/ { on = 1 } on && /- name:/ { print $3 }' strata.yaml)
mapfile -t dockerfiles < <(awk '/^images:/ { on = 1 } on && /dockerfile:/ { print $2 }' strata.yaml)

baseline_chain() { # builder [--no-cache]
  local docker parent=$base_os i
  docker=$(client "$1")
  cp "$dotfile" "$context/$dotfile"
  for i in "${!chain[@]}"; do
    # (set -e does not reach into a function run as millis' command: each step says so itself)
    $docker build -q ${2:+"$2"} -f "$context/${dockerfiles[$i]}" --build-arg PARENT_IMAGE="$parent" --build-arg USER_UID=1000 \
      "${version_args[@]}" -t "$baseline:${chain[$i]}-core" "$context" >/dev/null || return
    $docker build -q ${2:+"$2"} -f "$context/Dockerfiles/Dockerfile.dotfiles-stow" --build-arg PARENT_IMAGE="$baseline:${chain[$i]}-core" \
      --build-arg DOTFILES_HASH="$(date +%s%N)" -t "$baseline:${chain[$i]}" "$context" >/dev/null || return
    parent=$baseline:${chain[$i]}
  done
}

./build.sh --target=plan "$@" >/dev/null 2>&1 # warm: library built, Cake script compiled

# --- cold chains, both builders -----------------------------------------------------------
declare -A cold base_cold
for builder in classic buildkit; do
  remove_repository "$repository"
  cold[$builder]=$(millis strata --target=images --builder=$builder --no-cache "$@")
  base_os=$(sed -n 's/^==> [^ ]*: building core (key [0-9a-f]*) on \([^ ]*\)$/\1/p' "$work/last.log" | head -1)
  remove_repository "$baseline"
  base_cold[$builder]=$(millis baseline_chain "$builder" --no-cache)
done
echo "cold chain: BuildKit $(secs "${cold[buildkit]}") s (baseline $(secs "${base_cold[buildkit]}") s, ratio $(ratio "${cold[buildkit]}" "${base_cold[buildkit]}")); classic $(secs "${cold[classic]}") s (baseline $(secs "${base_cold[classic]}") s, ratio $(ratio "${cold[classic]}" "${base_cold[classic]}"))"

# --- the edit loop (auto builder: BuildKit here) --------------------------------------------
strata --target=images "$@" >/dev/null 2>&1
noop=()
for _ in $(seq "$runs"); do noop+=("$(millis strata --target=images "$@")"); done
base_noop=()
for _ in $(seq "$baseline_runs"); do base_noop+=("$(millis baseline_chain buildkit)"); done
noop_ms=$(median "${noop[@]}"); base_noop_ms=$(median "${base_noop[@]}")
children="(strace not installed)"
if command -v strace >/dev/null; then
  strace -f -qq -e trace=execve,write,sendto,sendmsg -s 64 -o "$work/noop.strace" ./build.sh --config="$config" --target=images "$@" >/dev/null 2>&1
  # Processes started once the .NET host runs (build.sh's own come before it).
  children=$(awk '/execve\(/ && !/ENOENT/ { if (seen) { sub(/.*execve\("/, ""); sub(/".*/, ""); n = split($0, p, "/"); print p[n] } if (/execve\("[^"]*\/dotnet"/) seen = 1 }' "$work/noop.strace" | { grep -vx dotnet || true; } | sort -u | tr '\n' ' ')
  queries=$(grep -cE '(write|sendto|sendmsg)\([0-9]+, .*"(GET|POST|HEAD|DELETE) /' "$work/noop.strace" || true)
  children="child processes after dotnet: ${children:-none}; engine queries: $queries"
fi
echo "no-op: $(secs "$noop_ms") s (baseline $(secs "$base_noop_ms") s, ratio $(ratio "$noop_ms" "$base_noop_ms")); $children"

edit=()
for _ in $(seq "$edits"); do edit_dotfile; edit+=("$(millis strata --target=images "$@")"); done
base_edit=()
for _ in $(seq "$baseline_runs"); do edit_dotfile; base_edit+=("$(millis baseline_chain buildkit)"); done
edit_ms=$(median "${edit[@]}"); base_edit_ms=$(median "${base_edit[@]}")
echo "dotfile edit: $(secs "$edit_ms") s (baseline $(secs "$base_edit_ms") s, ratio $(ratio "$edit_ms" "$base_edit_ms"))"
cp "$work/dotfile" "$dotfile"

# --- hashing: 10,000 files / 100 MB under dotfiles/ ----------------------------------------
mkdir -p "$bulk"
for d in $(seq 0 99); do
  mkdir -p "$bulk/p$d"
  for f in $(seq 0 99); do head -c 10240 /dev/urandom > "$bulk/p$d/f$f"; done
done
plan=()
for _ in 1 2 3; do plan+=("$(millis strata --target=plan "$@")"); done
sums=()
for _ in 1 2 3; do sums+=("$(millis sh -c 'find dotfiles -type f | xargs sha256sum')"); done
plan_ms=$(median "${plan[@]}"); sums_ms=$(median "${sums[@]}")
echo "plan with 10,000 files / 100 MB: $(secs "$plan_ms") s (find | xargs sha256sum $(secs "$sums_ms") s, ratio $(ratio "$plan_ms" "$sums_ms"))"

row="| $(date -u +%Y-%m-%d) | $(nproc) cores | $(secs "${cold[buildkit]}") s ($(ratio "${cold[buildkit]}" "${base_cold[buildkit]}")) | $(secs "${cold[classic]}") s ($(ratio "${cold[classic]}" "${base_cold[classic]}")) | $(secs "$noop_ms") s ($(ratio "$noop_ms" "$base_noop_ms")) | $(secs "$edit_ms") s ($(ratio "$edit_ms" "$base_edit_ms")) | $(secs "$plan_ms") s ($(ratio "$plan_ms" "$sums_ms")) | $(secs "${base_cold[buildkit]}") / $(secs "${base_cold[classic]}") / $(secs "$base_noop_ms") / $(secs "$base_edit_ms") / $(secs "$sums_ms") s | ${*:-} |"
echo "$row"
# The row goes at the end of the table of this benchmark's section (other sections follow it).
awk -v row="$row" '{ line[NR] = $0 } END {
  for (i = 1; i <= NR; i++) {
    print line[i]
    if (line[i] ~ /^## The engine and the edit loop/) on = 1; else if (line[i] ~ /^## /) on = 0
    if (on && line[i] ~ /^\|/ && line[i + 1] !~ /^\|/) { print row; on = 0 }
  }
}' bench/results.md > "$work/results.md" && cp "$work/results.md" bench/results.md
remove_repository "$baseline"
