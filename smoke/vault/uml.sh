#!/usr/bin/env bash
# smoke/vault/uml.sh - prove the encrypted RAM vault under User-Mode Linux, where the host
# kernel has no device-mapper. Strata (VaultMachine) runs it: it has already unpacked the
# image's filesystem into ROOT through the engine; this script never talks to docker.
#
# Usage: smoke/vault/uml.sh --user USER --root ROOT [--timeout SECONDS]
#                           [--vault-override FILE] [--bench] [--only REGEX] [--alone]
#
# ROOT becomes the guest's hostfs root: the UML kernel's modules are copied into its
# /lib/modules, the guest files into /strata-smoke, and uml-init runs scenario.sh there as
# root for the vault user USER (the smoke spec's user). Prints "# runtime: ..." followed by
# the scenario's TAP lines on stdout (diagnostics on stderr). The verdict is the scenario's
# (tap.sh): its "# vault scenario: PASS|FAIL" line and exit status are relayed, not
# re-decided; the result is read from the console, never from linux.uml's exit status. When
# the scenario cannot run or does not finish, a "not ok - ..." line says why and the exit is 1.
#
# --timeout: the whole run (Strata passes its own limit minus a margin, so the two agree).
# Every exit path (pass, fail, timeout, SIGTERM/INT/HUP) kills linux.uml's whole process
# group and removes this script's temp folder (under $TMPDIR); ROOT is Strata's to remove.
# --vault-override FILE replaces the image's vault script inside the machine under test
# only (the negative tests). --bench counts the scenario's processes and sudo calls.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST_FILES=(scenario.sh tap.sh pty.sh)
VAULT_USER=
RUN_TIMEOUT=1500
ROOT=
OVERRIDE=
BENCH=
ONLY=
ALONE=

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 64; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --user) VAULT_USER=${2:?}; shift 2 ;;
    --timeout) RUN_TIMEOUT=${2:?}; shift 2 ;;
    --root) ROOT=${2:?}; shift 2 ;;
    --bench) BENCH=1; shift ;;
    --only) ONLY=${2:?}; shift 2 ;;
    --alone) ALONE=1; shift ;;
    --vault-override) OVERRIDE=$(realpath "${2:?}"); shift 2 ;;
    -h|--help) usage ;;
    *) usage ;;
  esac
done
[[ -n $VAULT_USER && -n $ROOT && $RUN_TIMEOUT =~ ^[0-9]+$ ]] || usage
DEADLINE=$((SECONDS + RUN_TIMEOUT))
note() { printf '# %s\n' "$*" >&2; }
fail() { note "$*"; printf '# runtime: none\nnot ok - vault scenario ran: %s\n' "$*"; exit 1; }

for f in "${GUEST_FILES[@]}" uml-init; do [[ -r $HERE/$f ]] || fail "$HERE/$f not found"; done
[[ -z $OVERRIDE || -r $OVERRIDE ]] || fail "--vault-override file not readable"
[[ -d $ROOT/etc ]] || fail "--root $ROOT holds no unpacked image (no etc/)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/strata-vault-uml.XXXXXX")
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
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

timed_out() { echo "not ok - vault scenario finished in time: no verdict within ${RUN_TIMEOUT}s (--timeout)"; }

# ------------------------------------------------------------------ user-mode linux
run_uml() {
  local kver moddir root=$ROOT t missing=() home f
  command -v linux.uml >/dev/null || fail "linux.uml is not installed (apt-get install user-mode-linux): it runs the vault where no container has device-mapper"
  kver=$(linux.uml --version 2>/dev/null | tail -n1 | tr -d '[:space:]')
  moddir=/usr/lib/uml/modules/$kver
  [[ -d $moddir ]] || fail "UML modules for linux.uml $kver not found in $moddir"
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
  rm -f "$root/strata-smoke/alone"; [[ -z $ALONE ]] || : >"$root/strata-smoke/alone"   # --alone: each check alone
  if [[ -n $OVERRIDE ]]; then
    home=$(chroot "$root" getent passwd "$VAULT_USER" | cut -d: -f6)
    cat "$OVERRIDE" >"$root$home/.local/bin/vault"   # (a relative link into ~/.dotfiles)
  fi
  echo "# runtime: user-mode-linux $kver (hostfs root: the image's filesystem)"
  note "booting linux.uml $kver"
  # Its own process group, so that every exit path can kill all of it (not just one pid).
  setsid linux.uml "mem=${VAULT_UML_MEM:-512M}" rootfstype=hostfs "hostfs=$root" rw \
    init=/strata-smoke/init quiet con=null con0=fd:0,fd:1 </dev/null >"$TMP/console" 2>&1 &
  UML_PID=$!
  while kill -0 "$UML_PID" 2>/dev/null; do
    if (( SECONDS >= DEADLINE )); then kill -KILL -- "-$UML_PID" 2>/dev/null; break; fi
    sleep 1
    relay_console
  done
  wait "$UML_PID" 2>/dev/null || true
  UML_PID=
  relay_console
  sed -n 's/^@@ERR@@ /# stderr: /p' <(tr -d '\r' <"$TMP/console") >&2
  # (grep reads a process substitution: `tr | grep -q` under pipefail can fail with SIGPIPE)
  if ! grep -q '^@@END@@' < <(tr -d '\r' <"$TMP/console"); then
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
run_uml
note "UML run took $((SECONDS - START))s"
rc=$(cat "$TMP/rc" 2>/dev/null || echo 1)
[[ $rc =~ ^[0-9]+$ ]] || rc=1
exit "$rc"
