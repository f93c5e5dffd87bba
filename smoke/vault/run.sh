#!/usr/bin/env bash
# smoke/vault/run.sh - prove the encrypted RAM vault of an image on this host.
#
# Usage: smoke/vault/run.sh --user USER [--timeout SECONDS] [--runtime auto|container|uml]
#                           [--vault-override FILE] [--bench] [--only REGEX] IMAGE
#
# Picks a machine that can run dm-crypt, runs scenario.sh in it as root for the vault user
# USER (the smoke spec's user) and prints "# runtime: ..." followed by the scenario's TAP
# lines on stdout (diagnostics on stderr). The verdict is the scenario's (tap.sh): its
# "# vault scenario: PASS|FAIL" line and exit status are relayed, not re-decided. When the
# scenario cannot run or does not finish, a "not ok - ..." line says why and the exit is 1.
#
# Runtimes, in order (auto):
#   1. docker run --privileged
#   2. near-privileged container (--cap-add ALL --cap-drop SYS_RESOURCE, seccomp/apparmor
#      unconfined, device cgroup rules for loop, misc (loop-control, mapper/control) and dm)
#      - used when the engine refuses --privileged (VMs lacking CAP_SYS_RESOURCE).
#      A container is used only if `vault preflight` passes in it (the kernel must have
#      device-mapper and dm-crypt).
#   3. User-Mode Linux (linux.uml from the user-mode-linux package): the image's filesystem
#      (docker export) becomes a hostfs root, the UML kernel's modules are copied into its
#      /lib/modules, and uml-init runs the scenario. The result is read from the console
#      output, never from linux.uml's exit status.
#
# --timeout: the whole run (Strata passes its own limit minus a margin, so the two agree).
# Every exit path (pass, fail, timeout, SIGTERM/INT/HUP) kills linux.uml's whole process
# group, removes the container and the temp folder (under $TMPDIR, default /tmp).
# --vault-override FILE replaces the image's vault script inside the machine under test
# only (the negative tests).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST_FILES=(scenario.sh tap.sh pty.sh)
VAULT_USER=
RUN_TIMEOUT=1500
RUNTIME=auto
OVERRIDE=
BENCH=
ONLY=

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 64; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --user) VAULT_USER=${2:?}; shift 2 ;;
    --timeout) RUN_TIMEOUT=${2:?}; shift 2 ;;
    --runtime) RUNTIME=${2:?}; shift 2 ;;
    --bench) BENCH=1; shift ;;
    --only) ONLY=${2:?}; shift 2 ;;
    --vault-override) OVERRIDE=$(realpath "${2:?}"); shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done
[[ $# -eq 1 && -n $VAULT_USER && $RUN_TIMEOUT =~ ^[0-9]+$ ]] || usage
IMAGE=$1
DEADLINE=$((SECONDS + RUN_TIMEOUT))
note() { printf '# %s\n' "$*" >&2; }
fail() { note "$*"; printf '# runtime: none\nnot ok - vault scenario ran: %s\n' "$*"; exit 1; }

for f in "${GUEST_FILES[@]}" uml-init; do [[ -r $HERE/$f ]] || fail "$HERE/$f not found"; done
[[ -z $OVERRIDE || -r $OVERRIDE ]] || fail "--vault-override file not readable"
command -v docker >/dev/null || fail "docker CLI not found"
docker image inspect "$IMAGE" >/dev/null 2>&1 || fail "image $IMAGE not found locally (never pulled: build it first)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/strata-vault-run.XXXXXX")
CTR=
UML_PID=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local rc=$?
  set +e   # a failing kill or wait here must not end the cleanup half way (errexit)
  trap '' INT TERM HUP
  if [[ -n $UML_PID ]]; then   # linux.uml runs in its own process group (setsid): all of it
    kill -KILL -- "-$UML_PID" 2>/dev/null
    wait "$UML_PID" 2>/dev/null
  fi
  [[ -n $CTR ]] && docker rm -f "$CTR" >/dev/null 2>&1
  # The UML root may still hold mount points of its own: they are guest mounts, the host
  # tree is plain files.
  rm -rf --one-file-system "$TMP" 2>/dev/null || rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

remaining() { local r=$((DEADLINE - SECONDS)); (( r > 0 )) || r=1; echo "$r"; }
timed_out() { echo "not ok - vault scenario finished in time: no verdict within ${RUN_TIMEOUT}s (--timeout)"; }

# ------------------------------------------------------------------ containers
try_container() {   # try_container KIND: 0 ran (exit status in $TMP/rc), 1 unusable
  local kind=$1 name flags=() err home dmmaj f
  name="strata-vault-smoke-$$-$kind"
  case $kind in
    privileged) flags=(--privileged) ;;
    near)
      flags=(--cap-add ALL --cap-drop SYS_RESOURCE
             --security-opt seccomp=unconfined --security-opt apparmor=unconfined
             --device-cgroup-rule 'b 7:* rmw' --device-cgroup-rule 'c 10:* rmw')
      dmmaj=$(awk '$2 == "device-mapper" {print $1}' /proc/devices)
      [[ -z $dmmaj ]] || flags+=(--device-cgroup-rule "b $dmmaj:* rmw") ;;
  esac
  local mounts=()
  for f in "${GUEST_FILES[@]}"; do mounts+=(-v "$HERE/$f:/strata-smoke/$f:ro"); done
  if [[ -n $OVERRIDE ]]; then
    home=$(docker run --rm --user 0 --entrypoint "" "$IMAGE" sh -c 'readlink -f "$(getent passwd "$1" | cut -d: -f6)/.local/bin/vault"' sh "$VAULT_USER")
    mounts+=(-v "$OVERRIDE:$home:ro")
  fi
  CTR=$name
  if ! err=$(docker run -d --name "$name" --user 0 --entrypoint "" "${flags[@]}" "${mounts[@]}" \
               "$IMAGE" sleep infinity 2>&1); then
    note "$kind container refused by the engine: $(printf '%s\n' "$err" | grep -m1 -i 'error' || printf '%s\n' "$err" | grep . | tail -n1)"
    docker rm -f "$name" >/dev/null 2>&1 || true
    CTR=
    return 1
  fi
  if ! err=$(docker exec -u "$VAULT_USER" "$name" sh -c 'cd && "$HOME/.local/bin/vault" preflight' 2>&1); then
    note "$kind container started, but the vault cannot work in it (vault preflight):"
    printf '%s\n' "$err" | sed 's/^/#   /' >&2
    docker rm -f "$name" >/dev/null 2>&1 || true
    CTR=
    return 1
  fi
  case $kind in
    privileged) echo "# runtime: privileged container" ;;
    near) echo "# runtime: near-privileged container (--cap-add ALL --cap-drop SYS_RESOURCE, seccomp/apparmor unconfined, loop+dm device rules)" ;;
  esac
  local rc=0
  timeout "$(remaining)" docker exec -e "VAULT_CHECKS=$ONLY" "$name" /strata-smoke/scenario.sh "$VAULT_USER" 2>"$TMP/err" || rc=$?
  [[ ! -s $TMP/err ]] || sed 's/^/# stderr: /' "$TMP/err" >&2
  [[ $rc != 124 ]] || { timed_out; rc=1; }
  echo "$rc" >"$TMP/rc"
  docker rm -f "$name" >/dev/null 2>&1 || true
  CTR=
  return 0
}

# ------------------------------------------------------------------ user-mode linux
run_uml() {
  local kver moddir root cid t missing=() home f
  command -v linux.uml >/dev/null || fail "no runtime can prove the vault: no container with device-mapper, and linux.uml is not installed (apt-get install user-mode-linux)"
  kver=$(linux.uml --version 2>/dev/null | tail -n1 | tr -d '[:space:]')
  moddir=/usr/lib/uml/modules/$kver
  [[ -d $moddir ]] || fail "UML modules for linux.uml $kver not found in $moddir"
  root=$TMP/root
  mkdir -p "$root"
  note "exporting $IMAGE into $root"
  cid=$(docker create --entrypoint "" "$IMAGE" true)
  CTR=$cid
  docker export "$cid" | tar -C "$root" -xpf - --numeric-owner
  docker rm -f "$cid" >/dev/null; CTR=
  for t in modprobe cryptsetup dmsetup mkfs.ext4 losetup findmnt setpriv script sudo awk blockdev unshare nsenter flock; do
    chroot "$root" sh -c "command -v $t" >/dev/null 2>&1 || missing+=("$t")
  done
  [[ ${#missing[@]} == 0 ]] || fail "image lacks tools the vault/scenario need: ${missing[*]} (packages: kmod cryptsetup-bin dmsetup e2fsprogs mount util-linux bsdutils sudo)"
  mkdir -p "$root/lib/modules" "$root/strata-smoke"
  cp -a "$moddir" "$root/lib/modules/"
  for f in "${GUEST_FILES[@]}"; do cp "$HERE/$f" "$root/strata-smoke/$f"; done
  cp "$HERE/uml-init" "$root/strata-smoke/init"
  chmod 0755 "$root/strata-smoke/scenario.sh" "$root/strata-smoke/init"
  printf '%s\n' "$VAULT_USER" >"$root/strata-smoke/user"
  [[ -z $BENCH ]] || : >"$root/strata-smoke/bench"   # uml-init counts processes and sudo calls
  printf '%s' "$ONLY" >"$root/strata-smoke/only"     # --only: the checks to run (tap.sh)
  if [[ -n $OVERRIDE ]]; then
    home=$(chroot "$root" getent passwd "$VAULT_USER" | cut -d: -f6)
    cat "$OVERRIDE" >"$root$home/.local/bin/vault"   # (a relative link into ~/.dotfiles)
  fi
  echo "# runtime: user-mode-linux $kver (hostfs root exported from $IMAGE)"
  note "booting linux.uml $kver"
  # Its own process group, so that every exit path can kill all of it (not just one pid).
  setsid linux.uml "mem=${VAULT_UML_MEM:-512M}" rootfstype=hostfs "hostfs=$root" rw \
    init=/strata-smoke/init quiet con=null con0=fd:0,fd:1 </dev/null >"$TMP/console" 2>&1 &
  UML_PID=$!
  local seen=0 n line
  while kill -0 "$UML_PID" 2>/dev/null; do
    if (( SECONDS >= DEADLINE )); then kill -KILL -- "-$UML_PID" 2>/dev/null; break; fi
    sleep 1
    relay_console
  done
  wait "$UML_PID" 2>/dev/null || true
  UML_PID=
  relay_console
  sed -n 's/^@@ERR@@ /# stderr: /p' <(tr -d '\r' <"$TMP/console") >&2
  if ! tr -d '\r' <"$TMP/console" | grep -q '^@@END@@'; then
    if (( SECONDS >= DEADLINE )); then timed_out; else
      note "the UML run did not complete; console tail:"
      tr -d '\r' <"$TMP/console" | tail -n 25 | sed 's/^/#   /' >&2
      echo "not ok - UML run completed: no end marker on the console"
    fi
    echo 1 >"$TMP/rc"
    return 0
  fi
  tr -d '\r' <"$TMP/console" | sed -n 's/^@@RC@@ //p' | tail -n1 >"$TMP/rc"
}
RELAYED=0
relay_console() {   # print the scenario's new TAP lines as they come (progress is visible)
  local lines
  lines=$(tr -d '\r' <"$TMP/console" | sed -n 's/^@@TAP@@ //p')
  [[ -n $lines ]] || return 0
  printf '%s\n' "$lines" | tail -n +$((RELAYED + 1))
  RELAYED=$(printf '%s\n' "$lines" | wc -l)
}

# ------------------------------------------------------------------ main
START=$SECONDS
ran=0
if [[ $RUNTIME == auto || $RUNTIME == container ]]; then
  if try_container privileged || try_container near; then ran=1; fi
  if [[ $ran == 0 && $RUNTIME == container ]]; then fail "no container runtime can prove the vault here (see above)"; fi
fi
if [[ $ran == 0 ]]; then
  [[ $RUNTIME == auto ]] && note "falling back to User-Mode Linux"
  run_uml
fi
note "run took $((SECONDS - START))s"
rc=$(cat "$TMP/rc" 2>/dev/null || echo 1)
[[ $rc =~ ^[0-9]+$ ]] || rc=1
exit "$rc"
