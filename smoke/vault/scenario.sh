#!/usr/bin/env bash
# shellcheck disable=SC2317,SC2016,SC2088,SC2062 # functions run via check(); single-quoted sh -c programs; literal ~ and /proc globs
# smoke/vault/scenario.sh - the vault scenario. Runs INSIDE the machine under test (a
# container or a User-Mode Linux guest) as root and drives the vault as user dev, the way
# a person at a terminal would: passphrases are typed into a pseudo-terminal (util-linux
# `script`), never passed in argv or the environment.
#
# Output: one TAP-like line per check ("ok - NAME" / "not ok - NAME: REASON"), then a plan
# line "1..N" and a final line "# vault scenario: PASS|FAIL (P passed, F failed)".
# Exit status: 0 only if every check passed.
#
# Environment: VAULT_USER (default dev), VAULT_BIN (default ~dev/.local/bin/vault),
#              VAULT_TIMEOUT (seconds to wait for one unlock, default 90).
set -uo pipefail   # no -e: every check records its own result

VAULT_USER=${VAULT_USER:-dev}
TIMEOUT=${VAULT_TIMEOUT:-90}
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

PASSED=0 FAILED=0 N=0
ok()  { N=$((N + 1)); PASSED=$((PASSED + 1)); printf 'ok - %s\n' "$1"; }
nok() { N=$((N + 1)); FAILED=$((FAILED + 1)); printf 'not ok - %s: %s\n' "$1" "$(printf '%s' "$2" | tr '\r\n' '  ' | tr -s ' ' | cut -c1-400)"; }
# check NAME FUNCTION [ARGS]: the function prints the reason and returns non-zero on failure
check() {
  local name=$1 out rc=0 t0=$SECONDS; shift
  out=$("$@" 2>&1) || rc=$?
  printf '# [%3ss] %s\n' "$((SECONDS - t0))" "$name" >&2
  if [[ $rc == 0 ]]; then ok "$name"; else nok "$name" "${out:-exit $rc}"; fi
}
finish() {
  printf '1..%s\n' "$N"
  if [[ $FAILED == 0 && $N -gt 0 ]]; then
    printf '# vault scenario: PASS (%s passed, 0 failed)\n' "$PASSED"; exit 0
  fi
  printf '# vault scenario: FAIL (%s passed, %s failed)\n' "$PASSED" "$FAILED"; exit 1
}

if [[ $EUID -ne 0 ]]; then nok "scenario runs as root" "running as uid $EUID"; finish; fi
if ! DEV_UID=$(id -u "$VAULT_USER" 2>/dev/null); then nok "user $VAULT_USER exists" "no such user"; finish; fi
DEV_GID=$(id -g "$VAULT_USER")
DEV_HOME=$(getent passwd "$VAULT_USER" | cut -d: -f6)
VAULT_BIN=${VAULT_BIN:-$DEV_HOME/.local/bin/vault}
SECRETS=$DEV_HOME/secrets
RUNDIR=/run/strata-vault/$VAULT_USER
IMG=$RUNDIR/vault.img
# Same naming rule as the vault: user + mount-namespace id (we share the machine's namespace).
MAP="strata-vault-${VAULT_USER}-$(readlink /proc/self/ns/mnt | tr -cd '0-9')"

WORK=$(mktemp -d /tmp/vault-scenario.XXXXXX)
SCAN_PID=
cleanup() {
  pty_stop 2>/dev/null
  [[ -n $SCAN_PID ]] && kill "$SCAN_PID" 2>/dev/null && wait "$SCAN_PID" 2>/dev/null
  as_dev "$VAULT_BIN" lock >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Test passphrases: random per run, held only in this shell's memory and typed into ptys.
rand() { od -An -N9 -tx1 /dev/urandom | tr -d ' \n'; }
PASS="vault-test-$(rand)"
OTHER="vault-other-$(rand)"
WRONG="vault-wrong-$(rand)"
MARK="plaintext-marker-$(rand)"

# The environment user dev gets: clean, no passphrase anywhere.
DEV_ENV=(env -i "HOME=$DEV_HOME" "USER=$VAULT_USER" "LOGNAME=$VAULT_USER" SHELL=/bin/bash
         TERM=xterm LANG=C.UTF-8 "PATH=$DEV_HOME/.local/bin:/usr/local/bin:/usr/bin:/bin")
AS_DEV=(setpriv "--reuid=$DEV_UID" "--regid=$DEV_GID" --init-groups "${DEV_ENV[@]}")
as_dev() { ( cd "$DEV_HOME" && "${AS_DEV[@]}" "$@" ); }
as_dev_cmd() { printf '%q ' "${AS_DEV[@]}" "$@"; }   # the same, as one sh -c string

# ------------------------------------------------------------------ pseudo-terminal driver
# One session at a time: `script` owns the pty; we write keystrokes into a fifo that is its
# stdin and read the terminal output from a transcript file.
PTY_PID="" PTY_RC=""
pty_start() {
  pty_stop
  rm -f "$WORK/pty.in" "$WORK/pty.out"
  mkfifo "$WORK/pty.in"
  : >"$WORK/pty.out"
  # Background jobs of a non-interactive shell start with SIGINT/SIGQUIT ignored, and an
  # ignored signal cannot be trapped after exec: give the session default dispositions.
  ( cd "$DEV_HOME" && SHELL=/bin/sh exec env --default-signal=INT,QUIT,TERM,HUP \
      script -qfec "$1" /dev/null <"$WORK/pty.in" >"$WORK/pty.out" 2>&1 ) &
  PTY_PID=$!
  exec 7>"$WORK/pty.in"
}
pty_send() { printf '%s' "$1" >&7; }
pty_text() { tr -d '\r' <"$WORK/pty.out"; }
pty_expect() {   # pty_expect ERE [SECONDS]
  local t=$(( ${2:-$TIMEOUT} * 10 ))
  while (( t-- > 0 )); do
    grep -Eq -- "$1" "$WORK/pty.out" && return 0
    kill -0 "$PTY_PID" 2>/dev/null || { grep -Eq -- "$1" "$WORK/pty.out"; return; }
    sleep 0.2
  done
  return 1
}
pty_wait() {     # pty_wait [SECONDS]: wait for the session to end, PTY_RC = its status
  local t=$(( ${1:-$TIMEOUT} * 10 ))
  while (( t-- > 0 )); do
    if ! kill -0 "$PTY_PID" 2>/dev/null; then
      wait "$PTY_PID"; PTY_RC=$?; PTY_PID=; exec 7>&-; return 0
    fi
    sleep 0.1
  done
  return 1
}
descendants() {  # all descendants of $1
  local p kids
  kids=$(awk -v pp="$1" '$4 == pp {print $1}' /proc/[0-9]*/stat 2>/dev/null)
  for p in $kids; do printf '%s\n' "$p"; descendants "$p"; done
}
pty_stop() {
  [[ -n $PTY_PID ]] || return 0
  local pids
  pids=$(descendants "$PTY_PID")
  # shellcheck disable=SC2086 # word splitting intended
  kill -KILL $pids "$PTY_PID" 2>/dev/null
  wait "$PTY_PID" 2>/dev/null
  PTY_PID=; exec 7>&-
  # A killed vault cannot clean up: leave the machine as the next check expects it.
  as_dev "$VAULT_BIN" lock >/dev/null 2>&1
  return 0
}
vault_pid() {    # the main vault process of the running session
  # Its argv is exactly "bash VAULT_BIN unlock" (shebang via env); subshells of it share
  # that argv, so take the one whose parent is not such a process.
  local p pp want="bash $VAULT_BIN unlock "
  for p in $(descendants "$PTY_PID"); do
    [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == "$want" ]] || continue
    pp=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || continue
    [[ $(tr '\0' ' ' <"/proc/$pp/cmdline" 2>/dev/null) == "$want" ]] && continue
    printf '%s\n' "$p"; return 0
  done
  return 1
}

# ------------------------------------------------------------------ inspection helpers
scan_proc() {    # prints /proc files whose argv/environment contain a test passphrase
  printf '%s\n' "$PASS" "$OTHER" "$WRONG" \
    | grep -lsaF -f - -- /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null
  return 0
}
mapping_dir() {
  local d
  for d in /sys/block/dm-*; do
    [[ -r $d/dm/name && $(<"$d/dm/name") == "$MAP" ]] && { printf '%s\n' "$d"; return 0; }
  done
  return 1
}
image_loops() {
  local l bf
  for l in /sys/block/loop*; do
    bf=$(cat "$l/loop/backing_file" 2>/dev/null) || continue
    [[ ${bf% (deleted)} == "$IMG" ]] && printf '/dev/%s\n' "${l##*/}"
  done
  return 0
}
nothing_open() { # no mount on ~/secrets, no mapping, no loop device for the image
  local bad=()
  findmnt -n --mountpoint "$SECRETS" >/dev/null && bad+=("$SECRETS still mounted")
  mapping_dir >/dev/null && bad+=("mapping $MAP still active")
  [[ -n $(image_loops) ]] && bad+=("loop device(s) $(image_loops | paste -sd, -) still attached")
  [[ ${#bad[@]} == 0 ]] || { printf '%s; ' "${bad[@]}"; return 1; }
}
nothing_left() { # ... and no tmpfs and no image either
  local r=0 msg
  msg=$(nothing_open) || r=1
  findmnt -n --mountpoint "$RUNDIR" >/dev/null && { msg+="tmpfs $RUNDIR still mounted; "; r=1; }
  [[ -e $IMG ]] && { msg+="image $IMG still exists; "; r=1; }
  [[ $r == 0 ]] || printf '%s' "$msg"
  return "$r"
}
status_is() {    # status_is EXIT_CODE
  local out rc=0
  out=$(as_dev "$VAULT_BIN" status 2>&1) || rc=$?
  [[ $rc == "$1" ]] || { echo "vault status exited $rc (want $1): $out"; return 1; }
}
transcript() { pty_text | tail -n 6 | tr '\n' ' '; }

# A complete new-vault unlock through the pty (used to set up later checks).
unlock_new() {
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect 'New vault passphrase:' || { echo "no new-vault prompt: $(transcript)"; pty_stop; return 1; }
  pty_send "$PASS"$'\n'
  pty_expect 'Confirm vault passphrase:' || { echo "no confirmation prompt: $(transcript)"; pty_stop; return 1; }
  [[ -n ${1:-} ]] && "$1"
  pty_send "$PASS"$'\n'
  pty_wait || { echo "unlock did not finish in ${TIMEOUT}s: $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC == 0 ]] || { echo "vault unlock exited $PTY_RC: $(transcript)"; return 1; }
}
unlock_sealed() {  # unlock_sealed PASSPHRASE: one prompt, no confirmation
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect '(^|[^ ])Vault passphrase:' || { echo "no passphrase prompt: $(transcript)"; pty_stop; return 1; }
  [[ -n ${2:-} ]] && "$2"
  pty_send "$1"$'\n'
  pty_wait || { echo "unlock did not finish in ${TIMEOUT}s: $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC == 0 ]] || { echo "vault unlock exited $PTY_RC: $(transcript)"; return 1; }
}

# ================================================================== the checks

c_preflight() { as_dev "$VAULT_BIN" preflight; }
check "vault preflight passes as $VAULT_USER" c_preflight

c_locked_at_start() { status_is 1 && nothing_left; }
check "vault is locked at start (status exit 1, nothing open)" c_locked_at_start

# Background /proc scanner: runs for the whole scenario.
( n=0
  while :; do
    scan_proc >>"$WORK/scan.hits"
    n=$((n + 1)); echo "$n" >"$WORK/scan.count"
    sleep 0.3
  done ) &
SCAN_PID=$!

c_noninteractive() {
  local out all r=0
  out=$(as_dev timeout 30 bash -c "$VAULT_BIN status >/dev/null; echo reached-c" </dev/null 2>&1) || true
  all+=$out
  [[ $out == *reached-c* ]] || { echo "bash -c did not run: $out"; r=1; }
  out=$(as_dev timeout 30 bash -lc 'echo reached-lc' </dev/null 2>&1) || true
  all+=$out
  [[ $out == *reached-lc* ]] || { echo "bash -lc did not run: $out"; r=1; }
  out=$(as_dev timeout 30 bash -ic 'echo reached-ic' </dev/null 2>&1) || true
  all+=$out
  [[ $out == *reached-ic* ]] || { echo "bash -ic (no tty) did not run: $out"; r=1; }
  out=$(printf 'echo reached-pipe\nexit\n' | as_dev timeout 30 bash -i 2>&1) || true
  [[ $out == *reached-pipe* ]] || { echo "bash -i fed by a pipe did not run: $out"; r=1; }
  all+=$out
  if grep -qi 'passphrase' <<<"$all"; then echo "a non-interactive shell prompted: $all"; r=1; fi
  status_is 1 || r=1
  return "$r"
}
check "non-interactive shells (bash -c, bash -lc, bash -ic and bash -i without a tty) never prompt" c_noninteractive

# Checks run in subshells: results of the scans at the prompts go to a file.
scan_now() { scan_proc >>"$WORK/prompt.hits"; echo x >>"$WORK/prompt.count"; }
c_unlock() {
  unlock_new scan_now || return 1
  pty_text | grep -q 'unlocked:' || { echo "no 'unlocked:' message: $(transcript)"; return 1; }
}
check "unlock a new vault through a pty (passphrase + confirmation)" c_unlock

c_argv_env_prompt() {
  [[ -s $WORK/prompt.count ]] || { echo "no scan happened at the prompt"; return 1; }
  [[ ! -s $WORK/prompt.hits ]] || { echo "passphrase found in: $(sort -u "$WORK/prompt.hits" | paste -sd' ' -)"; return 1; }
}
check "passphrase is in no process argv/environment while the confirmation prompt waits" c_argv_env_prompt

c_no_echo() {   # (pattern on stdin: the passphrase must not be in grep's argv either)
  ! printf '%s\n' "$PASS" | grep -qF -f - "$WORK/pty.out" || { echo "the passphrase was echoed to the terminal"; return 1; }
}
check "passphrase is not echoed to the terminal" c_no_echo

c_status_unlocked() { status_is 0; }
check "vault status reports unlocked (exit 0)" c_status_unlocked

c_rw() {
  local out
  out=$(as_dev sh -c 'printf "%s\n" "$1" >"$HOME/secrets/note.txt" && cat "$HOME/secrets/note.txt"' sh "$MARK") \
    || { echo "write/read failed: $out"; return 1; }
  [[ $out == "$MARK" ]] || { echo "read back '$out'"; return 1; }
  [[ $(stat -c %U "$SECRETS/note.txt") == "$VAULT_USER" ]] || { echo "note.txt not owned by $VAULT_USER"; return 1; }
}
check "write and read a file in ~/secrets as $VAULT_USER" c_rw

c_dmcrypt() {
  local mm uuid fstype src
  mm=$(findmnt -n -o MAJ:MIN --mountpoint "$SECRETS" | tr -d ' ') || { echo "$SECRETS is not a mount point"; return 1; }
  fstype=$(findmnt -n -o FSTYPE --mountpoint "$SECRETS")
  src=$(findmnt -n -o SOURCE --mountpoint "$SECRETS")
  uuid=$(cat "/sys/dev/block/$mm/dm/uuid" 2>/dev/null) || { echo "$SECRETS ($src, $mm) is not a device-mapper device"; return 1; }
  [[ $uuid == CRYPT-LUKS2-* ]] || { echo "dm uuid is '$uuid', not CRYPT-LUKS2-*"; return 1; }
  [[ $fstype == ext4 ]] || { echo "filesystem is $fstype"; return 1; }
  cryptsetup status "$MAP" | grep -q 'type: *LUKS2' || { echo "cryptsetup status $MAP does not say LUKS2"; return 1; }
  [[ $(stat -c '%U %a' "$SECRETS") == "$VAULT_USER 700" ]] || { echo "$SECRETS is $(stat -c '%U %a' "$SECRETS"), want $VAULT_USER 700"; return 1; }
}
check "~/secrets is an ext4 on a dm-crypt LUKS2 mapping (dm uuid CRYPT-LUKS2-*), owned by $VAULT_USER, mode 700" c_dmcrypt

c_ciphertext() {
  local fstype hits
  fstype=$(findmnt -n -o FSTYPE --mountpoint "$RUNDIR")
  [[ $fstype == tmpfs ]] || { echo "$RUNDIR is '$fstype', not a tmpfs"; return 1; }
  [[ -f $IMG ]] || { echo "no image at $IMG"; return 1; }
  cryptsetup isLuks "$IMG" || { echo "$IMG is not a LUKS volume"; return 1; }
  sync; blockdev --flushbufs "/dev/mapper/$MAP" 2>/dev/null
  # Control: the marker did reach the volume (so not finding it in the image means something).
  grep -qaF -- "$MARK" "/dev/mapper/$MAP" || { echo "control failed: marker not found on /dev/mapper/$MAP"; return 1; }
  hits=$(grep -caF -- "$MARK" "$IMG")
  [[ $hits == 0 ]] || { echo "plaintext marker found $hits time(s) in $IMG"; return 1; }
}
check "the LUKS image in the tmpfs does not contain the plaintext (which the mapping does)" c_ciphertext

c_unlock_again() {
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_wait 60 || { echo "second unlock did not return (waiting for a passphrase?): $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC == 0 ]] || { echo "second unlock exited $PTY_RC: $(transcript)"; return 1; }
  pty_text | grep -q 'already unlocked' || { echo "no 'already unlocked': $(transcript)"; return 1; }
  ! pty_text | grep -qi 'passphrase:' || { echo "second unlock prompted for a passphrase"; return 1; }
  [[ $(cat "$SECRETS/note.txt") == "$MARK" ]] || { echo "note.txt changed"; return 1; }
}
check "second unlock says already unlocked and succeeds without prompting" c_unlock_again

c_lock() {
  local out
  out=$(as_dev "$VAULT_BIN" lock 2>&1) || { echo "vault lock failed: $out"; return 1; }
  nothing_left || return 1
  status_is 1
}
check "lock leaves no mount, mapping, loop device, image or tmpfs (status exit 1)" c_lock

c_lock_twice() {
  local out
  out=$(as_dev "$VAULT_BIN" lock 2>&1) || { echo "second lock failed: $out"; return 1; }
  nothing_left
}
check "locking twice is fine" c_lock_twice

c_readonly_locked() {
  if as_dev sh -c 'echo leak >"$HOME/secrets/leak.txt"' 2>/dev/null; then
    rm -f "$SECRETS/leak.txt"; echo "$VAULT_USER could write into the locked ~/secrets (plaintext on disk)"; return 1
  fi
}
check "while locked, ~/secrets refuses writes (nothing lands on disk by mistake)" c_readonly_locked

c_mismatch() {
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect 'New vault passphrase:' || { echo "no prompt: $(transcript)"; pty_stop; return 1; }
  pty_send "$PASS"$'\n'
  pty_expect 'Confirm vault passphrase:' || { echo "no confirmation prompt"; pty_stop; return 1; }
  pty_send "$OTHER"$'\n'
  pty_wait 60 || { echo "unlock still running after a mismatched confirmation: $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC != 0 ]] || { echo "unlock exited 0 after a mismatched confirmation"; return 1; }
  nothing_left
}
check "mismatched confirmation fails closed (non-zero, nothing left)" c_mismatch

c_eof() {
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect 'New vault passphrase:' || { echo "no prompt: $(transcript)"; pty_stop; return 1; }
  pty_send $'\004'
  pty_wait 30 || { echo "unlock still running after EOF (Ctrl+D) at the prompt: $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC != 0 ]] || { echo "unlock exited 0 on EOF"; return 1; }
  nothing_left
}
check "EOF (Ctrl+D) at the prompt fails closed (non-zero, nothing left)" c_eof

c_sigterm() {
  local vp
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect 'New vault passphrase:' || { echo "no prompt: $(transcript)"; pty_stop; return 1; }
  pty_send "$PASS"$'\n'
  pty_expect 'Confirm vault passphrase:' || { echo "no confirmation prompt"; pty_stop; return 1; }
  vp=$(vault_pid) || { echo "cannot find the vault process"; pty_stop; return 1; }
  kill -TERM "$vp"
  pty_wait 30 || { echo "vault still running 30s after SIGTERM at the prompt: $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC != 0 ]] || { echo "unlock exited 0 after SIGTERM"; return 1; }
  nothing_left
}
check "SIGTERM at the prompt fails closed (non-zero, nothing left)" c_sigterm

c_sigint_direct() {
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect 'New vault passphrase:' || { echo "no prompt: $(transcript)"; pty_stop; return 1; }
  pty_send $'\003'
  pty_wait 10 || { echo "vault unlock still waiting 10s after Ctrl+C at the prompt (SIGINT ignored?)"; pty_stop; return 1; }
  [[ $PTY_RC != 0 ]] || { echo "unlock exited 0 after Ctrl+C"; return 1; }
  nothing_left
}
check "Ctrl+C (SIGINT) at the prompt of 'vault unlock' fails closed (non-zero, nothing left)" c_sigint_direct

c_sigint_shell() {
  pty_start "$(as_dev_cmd bash -i)"
  pty_expect 'New vault passphrase:' || { echo "the interactive shell did not offer the unlock: $(transcript)"; pty_stop; return 1; }
  pty_send $'\003'
  if ! pty_wait 10; then
    pty_send $'echo SHELL-ALIVE-$((6*7))\n'
    if pty_expect 'SHELL-ALIVE-42' 3; then
      echo "Ctrl+C at the passphrase prompt left a usable shell with the vault locked (fail open)"
    else
      echo "interactive shell still running 10s after Ctrl+C at the passphrase prompt (vault ignored SIGINT?): $(transcript)"
    fi
    pty_stop; return 1
  fi
  [[ $PTY_RC != 0 ]] || { echo "shell exited 0"; return 1; }
  ! pty_text | grep -q 'SHELL-ALIVE' || { echo "a shell ran commands"; return 1; }
  nothing_left
}
check "Ctrl+C at the prompt of an interactive shell closes that shell, vault stays closed" c_sigint_shell

c_wrong() {
  local out
  unlock_new || return 1
  as_dev sh -c 'printf "%s\n" "$1" >"$HOME/secrets/kept.txt"' sh "$MARK" || { echo "cannot write kept.txt"; return 1; }
  out=$(as_dev "$VAULT_BIN" lock --keep 2>&1) || { echo "vault lock --keep failed: $out"; return 1; }
  status_is 2 || return 1
  nothing_open || return 1
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect '(^|[^ ])Vault passphrase:' || { echo "no passphrase prompt for the sealed vault: $(transcript)"; pty_stop; return 1; }
  scan_now
  pty_send "$WRONG"$'\n'
  pty_wait || { echo "unlock with a wrong passphrase did not finish: $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC != 0 ]] || { echo "unlock exited 0 with a wrong passphrase"; return 1; }
  pty_text | grep -qi 'wrong passphrase' || { echo "no 'wrong passphrase' message: $(transcript)"; return 1; }
  nothing_open || return 1
  status_is 2
}
check "wrong passphrase fails and leaves nothing open (sealed image stays sealed)" c_wrong

c_reopen() {
  unlock_sealed "$PASS" || return 1
  [[ $(cat "$SECRETS/kept.txt" 2>/dev/null) == "$MARK" ]] || { echo "kept.txt lost across lock --keep / unlock"; return 1; }
  status_is 0
}
check "the sealed vault reopens with the right passphrase and keeps its contents" c_reopen

c_crash_mapping() {
  local out loops
  # Crash: the mount is gone but the mapping and loop device stay, plus a second loop
  # device from an attempt killed between losetup and cryptsetup.
  umount "$SECRETS" || { echo "setup: cannot umount"; return 1; }
  losetup -f "$IMG" || { echo "setup: cannot attach an extra loop device"; return 1; }
  mapping_dir >/dev/null || { echo "setup: mapping vanished"; return 1; }
  status_is 3 || return 1
  out=$(as_dev "$VAULT_BIN" status 2>&1)
  unlock_sealed "$PASS" || return 1
  pty_text | grep -q 'cleaned stale' || { echo "no 'cleaned stale' message: $(transcript)"; return 1; }
  loops=$(image_loops | wc -l)
  [[ $loops == 1 ]] || { echo "$loops loop devices for the image after unlock, want 1"; return 1; }
  [[ $(cat "$SECRETS/kept.txt" 2>/dev/null) == "$MARK" ]] || { echo "kept.txt lost"; return 1; }
  status_is 0 || return 1
  as_dev "$VAULT_BIN" lock >/dev/null 2>&1 || { echo "lock failed"; return 1; }
  nothing_left || return 1
  echo "status before: $out" >&2
}
check "stale mapping + loop devices of a crashed session are cleaned by the next unlock" c_crash_mapping

c_crash_create() {
  local loops
  # Crash while creating a vault: tmpfs and a half-written (non-LUKS) image with a loop device.
  if ! { mkdir -p "$RUNDIR" && mount -t tmpfs -o size=100m,mode=0711 strata-vault "$RUNDIR"; }; then
    echo "setup: tmpfs"; return 1
  fi
  if ! { head -c 1048576 /dev/urandom >"$IMG" && truncate -s 64M "$IMG" && losetup -f "$IMG"; }; then
    echo "setup: image/loop"; return 1
  fi
  status_is 3 || return 1
  unlock_new || return 1
  loops=$(image_loops | wc -l)
  [[ $loops == 1 ]] || { echo "$loops loop devices for the image after unlock, want 1"; return 1; }
  status_is 0 || return 1
  as_dev "$VAULT_BIN" lock >/dev/null 2>&1 || { echo "lock failed"; return 1; }
  nothing_left
}
check "leftovers of a crash during vault creation (tmpfs, non-LUKS image, loop) are cleaned by the next unlock" c_crash_create

c_shell_gate() {
  pty_start "$(as_dev_cmd bash -i)"
  pty_expect 'New vault passphrase:' || { echo "the interactive shell did not offer the unlock: $(transcript)"; pty_stop; return 1; }
  pty_send "$PASS"$'\n'
  pty_expect 'Confirm vault passphrase:' || { echo "no confirmation prompt"; pty_stop; return 1; }
  pty_send "$PASS"$'\n'
  pty_expect 'unlocked:' || { echo "unlock in the shell did not finish: $(transcript)"; pty_stop; return 1; }
  pty_send $'echo SHELL-ALIVE-$((6*7))\n'
  pty_expect 'SHELL-ALIVE-42' || { echo "no usable shell after unlocking: $(transcript)"; pty_stop; return 1; }
  pty_send $'exit\n'
  pty_wait 30 || { echo "shell did not exit"; pty_stop; return 1; }
  status_is 0 || return 1
  # A second interactive shell while unlocked does not prompt.
  pty_start "$(as_dev_cmd bash -i)"
  pty_send $'echo SECOND-$((6*7))\n'
  pty_expect 'SECOND-42' 30 || { echo "second shell not usable: $(transcript)"; pty_stop; return 1; }
  pty_send $'exit\n'; pty_wait 30 || { pty_stop; return 1; }
  ! pty_text | grep -qi 'passphrase:' || { echo "second shell prompted although unlocked"; return 1; }
}
check "an interactive shell offers the unlock, then works; a second shell does not prompt" c_shell_gate

c_optout() {
  as_dev "$VAULT_BIN" lock >/dev/null 2>&1
  pty_start "$(printf '%q ' setpriv "--reuid=$DEV_UID" "--regid=$DEV_GID" --init-groups "${DEV_ENV[@]}" STRATA_VAULT_PROMPT=0 bash -i)"
  pty_send $'echo OPTOUT-$((6*7))\n'
  pty_expect 'OPTOUT-42' 30 || { echo "opted-out shell not usable: $(transcript)"; pty_stop; return 1; }
  pty_send $'exit\n'; pty_wait 30 || { pty_stop; return 1; }
  ! pty_text | grep -qi 'passphrase:' || { echo "prompted despite STRATA_VAULT_PROMPT=0"; return 1; }
  status_is 1
}
check "STRATA_VAULT_PROMPT=0 opts out of the prompt (vault stays locked)" c_optout

kill "$SCAN_PID" 2>/dev/null; wait "$SCAN_PID" 2>/dev/null; SCAN_PID=
c_scan() {
  local n; n=$(cat "$WORK/scan.count" 2>/dev/null || echo 0)
  [[ $n -gt 0 ]] || { echo "the /proc scanner never ran"; return 1; }
  cat "$WORK/prompt.hits" >>"$WORK/scan.hits" 2>/dev/null
  if [[ -s $WORK/scan.hits ]]; then echo "passphrase seen in: $(sort -u "$WORK/scan.hits" | paste -sd' ' -)"; return 1; fi
  echo "scans: $n" >&2
}
check "no test passphrase ever appeared in any /proc/*/cmdline or environ (continuous scan)" c_scan

c_final() { status_is 1 && nothing_left; }
check "final state: locked, nothing left" c_final

finish
