#!/usr/bin/env bash
# shellcheck disable=SC2317,SC2016 # functions run via check(); single-quoted sh -c programs
# smoke/vault/scenario.sh - the checks of the vault scenario. Runs INSIDE the machine under
# test (a container or a User-Mode Linux guest) as root and drives the vault as the spec's
# user the way a person at a terminal would: passphrases are typed into a pseudo-terminal
# (pty.sh), never passed in argv or the environment. Output and verdict: tap.sh.
# Each check says the state it needs and the states it leaves (--needs, --leaves: tap.sh), so
# that a filtered run (VAULT_CHECKS) brings its set-up along; a check that relies on what an
# earlier one left says so there, or it fails alone (--vault-checks-alone shows it).
#
# Usage: scenario.sh USER      (the vault user; Strata passes the smoke spec's user)
# Environment: VAULT_BIN (default ~USER/.local/bin/vault),
#              VAULT_TIMEOUT (seconds to wait for one unlock, default 90),
#              VAULT_CHECKS, VAULT_CHECKS_ALONE, VAULT_PLAN (which checks run: tap.sh).
set -uo pipefail   # no -e: every check records its own result

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tap.sh
. "$HERE/tap.sh"
# shellcheck source=pty.sh
. "$HERE/pty.sh"

VAULT_USER=${1:-}
TIMEOUT=${VAULT_TIMEOUT:-90}
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
[[ -n $VAULT_USER ]] || tap_abort "scenario is given the vault user" "usage: scenario.sh USER"

# The machine, made ready once the checks are declared (tap.sh's finish; not for VAULT_PLAN).
TAP_PREPARE=prepare
prepare() {
  if [[ $EUID -ne 0 ]]; then tap_abort "scenario runs as root" "running as uid $EUID"; fi
  if ! DEV_UID=$(id -u "$VAULT_USER" 2>/dev/null); then tap_abort "user $VAULT_USER exists" "no such user"; fi
  DEV_GID=$(id -g "$VAULT_USER")
  DEV_HOME=$(getent passwd "$VAULT_USER" | cut -d: -f6)
  VAULT_BIN=${VAULT_BIN:-$DEV_HOME/.local/bin/vault}
  SECRETS=$DEV_HOME/secrets

  WORK=$(mktemp -d /tmp/vault-scenario.XXXXXX)
  pty_init
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  # Test passphrases: random per run, held only in this shell's memory and typed into ptys.
  PASS="vault-test-$(rand)"
  OTHER="vault-other-$(rand)"
  WRONG="vault-wrong-$(rand)"
  MARK="plaintext-marker-$(rand)"
  PATTERNS=$(printf '%s\n' "$PASS" "$OTHER" "$WRONG")

  # The environment the user gets: clean, no passphrase anywhere.
  DEV_ENV=(env -i "HOME=$DEV_HOME" "USER=$VAULT_USER" "LOGNAME=$VAULT_USER" SHELL=/bin/bash
           TERM=xterm LANG=C.UTF-8 "PATH=$DEV_HOME/.local/bin:/usr/local/bin:/usr/bin:/bin")
  AS_DEV=(setpriv "--reuid=$DEV_UID" "--regid=$DEV_GID" --init-groups "${DEV_ENV[@]}")
  PTY_CLEANUP=relock   # a killed vault cannot clean up: leave the machine as the next check expects

  # The vault's own names for this machine (mapping, image, RAM folder: per mount namespace).
  local k v
  while IFS='=' read -r k v; do P[$k]=$v; done < <(as_dev "$VAULT_BIN" paths 2>/dev/null)
  MAP=${P[mapping]:-} IMG=${P[image]:-} RUNDIR=${P[ramdir]:-}
  if [[ -z $MAP ]]; then   # a vault without `vault paths` (before issue 11): its fixed names, to show what it fails
    MAP="strata-vault-${VAULT_USER}-$(readlink /proc/self/ns/mnt | tr -cd '0-9')"
    RUNDIR=/run/strata-vault/$VAULT_USER IMG=/run/strata-vault/$VAULT_USER/vault.img
    echo "# this vault has no 'vault paths': assuming the old fixed names"
  fi
  [[ -n $MAP && -n $IMG ]] || tap_abort "vault paths names the mapping and image" "'vault paths' printed nothing usable"

  # A /proc scanner for the whole run: one grep per second, no other process, until the scan
  # check asks it to stop (scan.stop; it says so in scan.done).
  ( n=0
    while [[ ! -e $WORK/scan.stop ]]; do
      scan_proc >>"$WORK/scan.hits"
      n=$((n + 1)); printf '%s\n' "$n" >"$WORK/scan.count"
      nap 1
    done
    : >"$WORK/scan.done" ) &
  SCAN_PID=$!
}
declare -A P=()
SCAN_PID='' WORK=''
cleanup() {
  pty_stop 2>/dev/null
  [[ -n $SCAN_PID ]] && kill "$SCAN_PID" 2>/dev/null && wait "$SCAN_PID" 2>/dev/null
  [[ -s $WORK/b.pid ]] && kill -KILL "$(<"$WORK/b.pid")" 2>/dev/null
  as_dev "$VAULT_BIN" lock --erase >/dev/null 2>&1
  rm -rf "$WORK"
}
rand() { od -An -N9 -tx1 /dev/urandom | tr -d ' \n'; }
as_dev() { ( cd "$DEV_HOME" && exec "${AS_DEV[@]}" "$@" ); }
as_dev_cmd() { printf '%q ' "${AS_DEV[@]}" "$@"; }   # the same, as one sh -c string
relock() { as_dev "$VAULT_BIN" lock --erase >/dev/null 2>&1; }

# TAP_RESET, for filtered runs: the machine as it boots (locked, nothing of the vault left) and
# nothing that an earlier check left for a later one: no namespace B, no process of the user,
# no read-only placeholder on ~/secrets and no preflight cache (both come with the vault's
# first privileged call), no records in WORK but the scan's.
TAP_RESET=reset_machine
reset_machine() {
  local p k uid bmap bimg mounts run=${RUNDIR%/*}
  pty_stop
  if [[ -s $WORK/b.pid ]]; then kill -KILL "$(<"$WORK/b.pid")" 2>/dev/null; rm -f "$WORK/b.pid"; fi
  for p in /proc/[0-9]*; do   # a check that failed half way may have left a session behind
    k='' uid=''
    while read -r k uid _; do [[ $k == Uid: ]] && break; done 2>/dev/null <"$p/status"
    [[ $k == Uid: && $uid == "$DEV_UID" ]] && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  if read -r bmap bimg <"$WORK/b.names" 2>/dev/null; then   # B's mapping goes with its namespace
    wait_for 10 eval '! mapping_named "$bmap" && [[ -z $(loops_of "$bimg") ]]' \
      || { REPLY="namespace B's mapping $bmap or loop device stayed"; return 1; }
  fi
  relock
  while findmnt -n --mountpoint "$SECRETS" >/dev/null; do
    umount "$SECRETS" || { REPLY="cannot unmount $SECRETS"; return 1; }
  done
  mounts=$(findmnt -n -r -o TARGET)
  [[ $'\n'$mounts != *$'\n'"$run/"* ]] || { REPLY="something is still mounted under $run"; return 1; }
  rm -rf "$run"
  rm -f "$WORK"/{b.names,core.limit,prompt.count}
  REPLY=$(status_is 1 && nothing_left) || return 1
}

vault_pid() {    # the main vault process of the running session ("bash VAULT_BIN unlock", or the program's "VAULT_BIN unlock")
  # Subshells of it share that argv, so take the one whose parent is not such a process.
  local p want="bash $VAULT_BIN unlock " program="$VAULT_BIN unlock "
  for p in $(descendants "$PTY_PID"); do
    { cmdline_of "$p" && [[ $REPLY == "$want" || $REPLY == "$program" ]]; } || continue
    parent_of "$p" || continue
    cmdline_of "$REPLY" && [[ $REPLY == "$want" || $REPLY == "$program" ]] && continue
    printf '%s\n' "$p"; return 0
  done
  return 1
}

# ------------------------------------------------------------------ inspection helpers
scan_proc() {    # prints /proc files whose argv/environment contain a test passphrase
  # shellcheck disable=SC2062  # `-f -` reads the patterns from stdin: these globs are the files
  grep -lsaF -f - -- /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null <<<"$PATTERNS"
  return 0
}
mapping_named() {  # mapping_named NAME: the dm device of that name exists
  local d
  for d in /sys/block/dm-*; do
    [[ -r $d/dm/name && $(<"$d/dm/name") == "$1" ]] && return 0
  done
  return 1
}
mapping_dev() {     # the block device of our mapping (/dev/mapper/NAME goes with deferred removal)
  local d mm
  for d in /sys/block/dm-*; do
    [[ -r $d/dm/name && $(<"$d/dm/name") == "$MAP" ]] || continue
    [[ -b /dev/${d##*/} ]] || { mm=$(<"$d/dev"); mknod "/dev/${d##*/}" b "${mm%%:*}" "${mm##*:}"; }
    printf '/dev/%s\n' "${d##*/}"; return 0
  done
  return 1
}
loops_of() {       # loops_of IMAGE-PATH: loop devices backed by that path
  local l bf
  for l in /sys/block/loop*; do
    [[ -r $l/loop/backing_file ]] || continue
    bf=$(<"$l/loop/backing_file")
    [[ ${bf% (deleted)} == "$1" ]] && printf '/dev/%s\n' "${l##*/}"
  done
  return 0
}
top_fstype() { findmnt -n -r -o FSTYPE --mountpoint "$SECRETS" | tail -n1; }
nothing_open() { # ~/secrets is not the vault, no mapping, no loop device for the image
  local bad=() l
  [[ $(top_fstype) == ext4 ]] && bad+=("$SECRETS still mounted")
  mapping_named "$MAP" && bad+=("mapping $MAP still active")
  l=$(loops_of "$IMG")
  [[ -n $l ]] && bad+=("loop device(s) ${l//$'\n'/,} still attached")
  [[ ${#bad[@]} == 0 ]] || { printf '%s; ' "${bad[@]}"; return 1; }
}
nothing_left() { # ... and no RAM folder and no image either
  local r=0 msg
  msg=$(nothing_open) || r=1
  findmnt -n --mountpoint "$RUNDIR" >/dev/null && { msg+="RAM folder $RUNDIR still mounted; "; r=1; }
  [[ -e $IMG ]] && { msg+="image $IMG still exists; "; r=1; }
  [[ $r == 0 ]] || printf '%s' "$msg"
  return "$r"
}
status_is() {    # status_is EXIT_CODE
  local out rc=0
  out=$(as_dev "$VAULT_BIN" status 2>&1) || rc=$?
  [[ $rc == "$1" ]] || { echo "vault status exited $rc (want $1): $out"; return 1; }
}
transcript() {   # the last 400 characters of the session (${t: -400} is empty when shorter)
  pty_read; local t=$PTY_BUF
  (( ${#t} <= 400 )) || t=${t: -400}
  printf '%s' "${t//$'\n'/ }"
}
wait_for() {     # wait_for SECONDS COMMAND...: poll (builtin sleep) until COMMAND succeeds
  local t=$(( $1 * 5 )); shift
  while (( t-- > 0 )); do "$@" && return 0; nap 0.2; done
  "$@"
}

# A complete new-vault unlock through the pty (used to set up later checks).
unlock_new() {   # unlock_new [HOOK-AT-CONFIRMATION] [PASSPHRASE]
  local pass=${2:-$PASS}
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect 'New vault passphrase:' || { echo "no new-vault prompt: $(transcript)"; pty_stop; return 1; }
  pty_send "$pass"$'\n'
  pty_expect 'Confirm vault passphrase:' || { echo "no confirmation prompt: $(transcript)"; pty_stop; return 1; }
  [[ -n ${1:-} ]] && "$1"
  pty_send "$pass"$'\n'
  pty_wait || { echo "unlock did not finish in ${TIMEOUT}s: $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC == 0 ]] || { echo "vault unlock exited $PTY_RC: $(transcript)"; return 1; }
}
unlock_sealed() {  # unlock_sealed PASSPHRASE [HOOK-AT-PROMPT]: one prompt, no confirmation
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
  if [[ ${all,,} == *passphrase* ]]; then echo "a non-interactive shell prompted: $all"; r=1; fi
  status_is 1 || r=1
  return "$r"
}
check "non-interactive shells (bash -c, bash -lc, bash -ic and bash -i without a tty) never prompt" c_noninteractive

# Checks run in subshells: what the prompt hook sees goes to files.
at_prompt() {
  local vp
  scan_proc >>"$WORK/prompt.hits"; echo x >>"$WORK/prompt.count"
  if vp=$(vault_pid); then grep '^Max core file size' "/proc/$vp/limits" >"$WORK/core.limit"; fi
}
c_unlock() {
  unlock_new at_prompt || return 1
  pty_has 'unlocked:' || { echo "no 'unlocked:' message: $(transcript)"; return 1; }
  pty_has 'lives ONLY in RAM' || { echo "the first unlock did not say that the vault lives only in RAM: $(transcript)"; return 1; }
}
check --leaves=open "unlock a new vault through a pty (passphrase + confirmation); it says the vault lives only in RAM" c_unlock

c_argv_env_prompt() {
  [[ -s $WORK/prompt.count ]] || { echo "no scan happened at the prompt"; return 1; }
  [[ ! -s $WORK/prompt.hits ]] || { echo "passphrase found in: $(sort -u "$WORK/prompt.hits" | paste -sd' ' -)"; return 1; }
}
check --needs=open "passphrase is in no process argv/environment while the confirmation prompt waits" c_argv_env_prompt

c_no_core() {
  local l; l=$(cat "$WORK/core.limit" 2>/dev/null) || { echo "could not read the vault process's limits at the prompt"; return 1; }
  [[ $l =~ ^Max\ core\ file\ size\ +0\ +0 ]] || { echo "core dumps are allowed while the passphrase is in memory: $l"; return 1; }
}
check --needs=open "no core dumps: the vault runs with a core size limit of 0 (soft and hard)" c_no_core

c_no_echo() {   # (pattern on stdin: the passphrase must not be in grep's argv either)
  ! grep -qF -f - "$WORK/pty.out" <<<"$PASS" || { echo "the passphrase was echoed to the terminal"; return 1; }
}
check --needs=open "passphrase is not echoed to the terminal" c_no_echo

c_status_unlocked() { status_is 0; }
check --needs=open "vault status reports unlocked (exit 0)" c_status_unlocked

c_rw() {
  local out
  out=$(as_dev sh -c 'printf "%s\n" "$1" >"$HOME/secrets/note.txt" && cat "$HOME/secrets/note.txt"' sh "$MARK") \
    || { echo "write/read failed: $out"; return 1; }
  [[ $out == "$MARK" ]] || { echo "read back '$out'"; return 1; }
  [[ $(stat -c %U "$SECRETS/note.txt") == "$VAULT_USER" ]] || { echo "note.txt not owned by $VAULT_USER"; return 1; }
}
check --needs=open --leaves='open note' "write and read a file in ~/secrets as $VAULT_USER" c_rw

c_dmcrypt() {
  local mm uuid fstype src
  mm=$(findmnt -n -r -o MAJ:MIN --mountpoint "$SECRETS" | tail -n1) || { echo "$SECRETS is not a mount point"; return 1; }
  fstype=$(top_fstype)
  src=$(findmnt -n -r -o SOURCE --mountpoint "$SECRETS" | tail -n1)
  uuid=$(cat "/sys/dev/block/$mm/dm/uuid" 2>/dev/null) || { echo "$SECRETS ($src, $mm) is not a device-mapper device"; return 1; }
  [[ $uuid == CRYPT-LUKS2-* ]] || { echo "dm uuid is '$uuid', not CRYPT-LUKS2-*"; return 1; }
  [[ $fstype == ext4 ]] || { echo "filesystem is $fstype"; return 1; }
  # (Not `| grep -q`: under pipefail, grep leaving early can fail the pipeline with SIGPIPE.)
  [[ $(cryptsetup status "$MAP") =~ type:\ *LUKS2 ]] || { echo "cryptsetup status $MAP does not say LUKS2"; return 1; }
  [[ $(stat -c '%U %a' "$SECRETS") == "$VAULT_USER 700" ]] || { echo "$SECRETS is $(stat -c '%U %a' "$SECRETS"), want $VAULT_USER 700"; return 1; }
}
# shellcheck disable=SC2088  # a check's name, not a path
check --needs=open "~/secrets is an ext4 on a dm-crypt LUKS2 mapping (dm uuid CRYPT-LUKS2-*), owned by $VAULT_USER, mode 700" c_dmcrypt

c_ciphertext() {
  local fstype hits dev
  fstype=$(findmnt -n -o FSTYPE --mountpoint "$RUNDIR")
  # ramfs, not tmpfs: tmpfs pages can be swapped to the host's disk (noswap needs kernel 6.4).
  [[ $fstype == ramfs ]] || { echo "$RUNDIR is '$fstype', not a ramfs (a tmpfs can be swapped out)"; return 1; }
  [[ -f $IMG ]] || { echo "no image at $IMG"; return 1; }
  cryptsetup isLuks "$IMG" || { echo "$IMG is not a LUKS volume"; return 1; }
  dev=$(mapping_dev) || { echo "no mapping $MAP"; return 1; }
  sync; blockdev --flushbufs "$dev" 2>/dev/null
  # Control: the marker did reach the volume (so not finding it in the image means something).
  grep -qaF -- "$MARK" "$dev" || { echo "control failed: marker not found on $dev"; return 1; }
  hits=$(grep -caF -- "$MARK" "$IMG")
  [[ $hits == 0 ]] || { echo "plaintext marker found $hits time(s) in $IMG"; return 1; }
}
check --needs=note "the LUKS image lives in a ramfs (never swapped) and does not contain the plaintext (which the mapping does)" c_ciphertext

c_pinned() {
  local dump bad=() mem
  dump=$(cryptsetup luksDump "$IMG") || { echo "luksDump failed"; return 1; }
  [[ $dump =~ cipher:[[:space:]]+aes-xts-plain64 ]] || bad+=("cipher is not aes-xts-plain64")
  [[ $dump =~ Cipher\ key:[[:space:]]+512\ bits ]] || bad+=("key size is not 512 bits")
  [[ $dump =~ PBKDF:[[:space:]]+argon2id ]] || bad+=("PBKDF is not argon2id")
  [[ $dump =~ Memory:[[:space:]]+([0-9]+) ]] && mem=${BASH_REMATCH[1]} || mem=0
  (( mem >= 65536 )) || bad+=("argon2id memory is $mem KiB, want >= 65536")
  [[ ${#bad[@]} == 0 ]] || { printf '%s; ' "${bad[@]}"; return 1; }
}
check --needs=open "cipher, key size and KDF are pinned (luksDump: aes-xts-plain64, 512 bits, argon2id >= 64 MiB)" c_pinned

c_unlock_again() {
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_wait 60 || { echo "second unlock did not return (waiting for a passphrase?): $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC == 0 ]] || { echo "second unlock exited $PTY_RC: $(transcript)"; return 1; }
  pty_has 'already unlocked' || { echo "no 'already unlocked': $(transcript)"; return 1; }
  ! pty_has '[Pp]assphrase:' || { echo "second unlock prompted for a passphrase"; return 1; }
  [[ $(cat "$SECRETS/note.txt") == "$MARK" ]] || { echo "note.txt changed"; return 1; }
}
check --needs=note "second unlock says already unlocked and succeeds without prompting" c_unlock_again

c_lock_asks() {
  local out rc=0
  out=$(as_dev "$VAULT_BIN" lock </dev/null 2>&1) || rc=$?
  [[ $rc != 0 ]] || { echo "non-interactive 'vault lock' erased a non-empty vault without --erase: $out"; return 1; }
  [[ $out == *--erase* ]] || { echo "the refusal does not name --erase: $out"; return 1; }
  status_is 0 || return 1
  pty_start "$(as_dev_cmd "$VAULT_BIN" lock)"
  pty_expect 'Erase\? \[y/N\]' 30 || { echo "interactive 'vault lock' did not ask before erasing: $(transcript)"; pty_stop; return 1; }
  pty_send $'n\n'
  pty_wait 30 || { echo "lock did not finish after 'n': $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC != 0 ]] || { echo "lock exited 0 after 'n'"; return 1; }
  status_is 0 || return 1
  [[ $(cat "$SECRETS/note.txt") == "$MARK" ]] || { echo "note.txt lost after answering n"; return 1; }
}
check --needs=note "'vault lock' on a non-empty vault asks on a terminal and needs --erase without one" c_lock_asks

c_lock() {
  local out
  out=$(as_dev "$VAULT_BIN" lock --erase 2>&1) || { echo "vault lock --erase failed: $out"; return 1; }
  nothing_left || return 1
  status_is 1
}
check --needs=open --leaves='locked erased' "lock --erase leaves no mount, mapping, loop device, image or RAM folder (status exit 1)" c_lock

c_lock_twice() {
  local out
  out=$(as_dev "$VAULT_BIN" lock 2>&1) || { echo "second lock failed: $out"; return 1; }
  nothing_left
}
check --needs=erased "locking twice is fine" c_lock_twice

c_readonly_locked() {
  if as_dev sh -c 'echo leak >"$HOME/secrets/leak.txt"' 2>/dev/null; then
    rm -f "$SECRETS/leak.txt"; echo "$VAULT_USER could write into the locked ~/secrets (plaintext on disk)"; return 1
  fi
  if { echo leak >"$SECRETS/root-leak.txt"; } 2>/dev/null; then
    rm -f "$SECRETS/root-leak.txt"; echo "root could write into the locked ~/secrets (plaintext on disk)"; return 1
  fi
}
check --needs=erased "while locked, ~/secrets refuses writes, root's too (nothing lands on disk by mistake)" c_readonly_locked

# --- fail closed: one table. Steps: pass (type the passphrase), confirm (wait for the
# confirmation prompt), other (type a different one), eof (Ctrl+D), int (Ctrl+C), term
# (SIGTERM to the vault process); then the attempt must end non-zero within WAIT seconds
# with nothing left.
FAIL_CLOSED=(
  "mismatched confirmation|60|pass confirm other"
  "EOF (Ctrl+D) at the prompt|30|eof"
  "SIGTERM at the prompt|30|pass confirm term"
  "Ctrl+C (SIGINT) at the prompt of 'vault unlock'|10|int"
)
c_fail_closed() {   # c_fail_closed WAIT STEPS...
  local wait=$1 step vp; shift
  pty_start "$(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect 'New vault passphrase:' || { echo "no prompt: $(transcript)"; pty_stop; return 1; }
  for step in "$@"; do
    case $step in
      pass)    pty_send "$PASS"$'\n' ;;
      other)   pty_send "$OTHER"$'\n' ;;
      confirm) pty_expect 'Confirm vault passphrase:' || { echo "no confirmation prompt"; pty_stop; return 1; } ;;
      eof)     pty_send $'\004' ;;
      int)     pty_send $'\003' ;;
      term)    vp=$(vault_pid) || { echo "cannot find the vault process"; pty_stop; return 1; }
               kill -TERM "$vp" ;;
    esac
  done
  pty_wait "$wait" || { echo "vault unlock still waiting ${wait}s after '$*' at the prompt (SIGINT/SIGTERM/EOF ignored?): $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC != 0 ]] || { echo "unlock exited 0 after '$*'"; return 1; }
  nothing_left
}
for row in "${FAIL_CLOSED[@]}"; do
  IFS='|' read -r name wait steps <<<"$row"
  # shellcheck disable=SC2086 # steps are words
  check "$name fails closed (non-zero, nothing left)" c_fail_closed "$wait" $steps
done

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
  ! pty_has 'SHELL-ALIVE' || { echo "a shell ran commands"; return 1; }
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
  at_prompt
  pty_send "$WRONG"$'\n'
  pty_wait || { echo "unlock with a wrong passphrase did not finish: $(transcript)"; pty_stop; return 1; }
  [[ $PTY_RC != 0 ]] || { echo "unlock exited 0 with a wrong passphrase"; return 1; }
  pty_has '[Ww]rong passphrase' || { echo "no 'wrong passphrase' message: $(transcript)"; return 1; }
  nothing_open || return 1
  status_is 2
}
check --leaves=sealed "wrong passphrase fails and leaves nothing open (sealed image stays sealed)" c_wrong

c_reopen() {
  unlock_sealed "$PASS" || return 1
  [[ $(cat "$SECRETS/kept.txt" 2>/dev/null) == "$MARK" ]] || { echo "kept.txt lost across lock --keep / unlock"; return 1; }
  status_is 0
}
check --needs=sealed --leaves=reopened "the sealed vault reopens with the right passphrase and keeps its contents" c_reopen

# More terminals at once (pty.sh drives one): session N runs a command under `script`, its
# keystrokes go through $WORK/sN.in, its transcript is $WORK/sN.out.
declare -A S_PID=() S_FD=() S_RC=()
sess_start() {   # sess_start N SHELL-COMMAND
  local fd
  rm -f "$WORK/s$1.in"; mkfifo "$WORK/s$1.in"; : >"$WORK/s$1.out"
  ( cd / && SHELL=/bin/sh exec env --default-signal=INT,QUIT,TERM,HUP \
      script -qfec "$2" /dev/null <"$WORK/s$1.in" >"$WORK/s$1.out" 2>&1 ) &
  S_PID[$1]=$!
  exec {fd}>"$WORK/s$1.in"; S_FD[$1]=$fd
}
sess_send() { printf '%s' "$2" >&"${S_FD[$1]}"; }
sess_text() { REPLY=; IFS= read -r -d '' REPLY <"$WORK/s$1.out"; REPLY=${REPLY//$'\r'/}; return 0; }
sess_has() { sess_text "$1"; [[ $REPLY =~ $2 ]]; }
sess_alive() { kill -0 "${S_PID[$1]}" 2>/dev/null; }
any_says() { local n; for n in 1 2 3; do sess_has "$n" "$1" && return 0; done; return 1; }
sess_end() {     # sess_end N SECONDS: wait for session N to end; S_RC[N] = its exit status
  local fd=${S_FD[$1]}
  wait_for "$2" eval "! sess_alive $1" || return 1
  wait "${S_PID[$1]}"; S_RC[$1]=$?
  exec {fd}>&-
  unset 'S_PID[$1]'   # (its pid may be reused: sess_stop_all must not kill it)
}
sess_tail() { sess_text "$1"; (( ${#REPLY} <= 200 )) || REPLY=${REPLY: -200}; printf '[%s: %s] ' "$1" "${REPLY//$'\n'/ }"; }
sess_stop_all() {
  local n
  for n in "${!S_PID[@]}"; do
    # shellcheck disable=SC2046 # word splitting intended
    kill -KILL $(descendants "${S_PID[$n]}") "${S_PID[$n]}" 2>/dev/null
    wait "${S_PID[$n]}" 2>/dev/null
  done
  S_PID=()
}
helpers_running() {  # helpers_running N WORD: N or more vault helpers (root) run with WORD in their argv
  local p n=0
  for p in /proc/[0-9]*; do
    cmdline_of "${p#/proc/}" 2>/dev/null || continue   # (processes come and go)
    # "/bin/bash VAULT __root ..." (the script) or "/usr/local/bin/vault __root ..." (the program); never sudo's own
    [[ $REPLY == "/"*" __root "*" $2 "* ]] && n=$((n + 1))
  done
  (( n >= $1 ))
}

c_two_unlocks() {   # leaves the vault open (reopened), as the next check needs it
  local r=0 hold lk
  race_body || r=1
  [[ -n ${hold:-} ]] && kill "$hold" 2>/dev/null
  [[ -n ${lk:-} ]] && exec {lk}>&-
  sess_stop_all
  [[ $r == 0 ]] || relock   # a failure leaves a known state: locked
  return "$r"
}
race_body() {
  # The open vault's session crashes (its mount goes) while its mapping is still held for a
  # moment (as a blkid or udev probe can), so the mapping waits for deferred removal when
  # three terminals start `vault unlock` together. Nobody may take it for leftovers and fail,
  # or tear down what another opened: 1 and 2 answer at the same moment (both wait at the
  # vault's lock): one reopens the vault, the other says "already unlocked"; 3 is interrupted
  # (Ctrl+C) while it waits, and the vault that another session opened stays open.
  local dev n opened hfd
  { status_is 0 && [[ $(cat "$SECRETS/kept.txt" 2>/dev/null) == "$MARK" ]]; } \
    || { echo "setup: needs the reopened vault (with kept.txt) of the check before"; return 1; }
  dev=$(mapping_dev) || { echo "setup: no mapping"; return 1; }
  # The holder: the device is opened here, before the unmount (a background job would open it
  # later, maybe after the removal began); the job keeps it open, this shell lets go.
  exec {hfd}<"$dev" || { echo "setup: cannot open $dev"; return 1; }
  sleep 600 <&"$hfd" >/dev/null 2>&1 &
  hold=$!
  exec {hfd}<&-
  umount "$SECRETS" || { echo "setup: cannot unmount $SECRETS"; return 1; }   # the crash
  status_is 3 || return 1
  for n in 1 2 3; do sess_start "$n" "$(as_dev_cmd "$VAULT_BIN" unlock)"; done
  # An unlock must wait for the mapping to go, say so, and not give up on it (nor tear it down).
  wait_for 60 eval 'any_says "still held open" || ! sess_alive 1 || ! sess_alive 2 || ! sess_alive 3'
  for n in 1 2 3; do
    sess_alive "$n" || { echo "an unlock gave up while the crashed session's mapping was still being removed: $(sess_tail "$n")"; return 1; }
  done
  any_says 'still held open' || { echo "no unlock said that it waits for the mapping: $(sess_tail 1)"; return 1; }
  kill "$hold"; wait "$hold" 2>/dev/null; hold=
  wait_for 60 eval 'sess_has 1 "(^|[^ ])Vault passphrase:" && sess_has 2 "(^|[^ ])Vault passphrase:" && sess_has 3 "(^|[^ ])Vault passphrase:"' \
    || { echo "not all three were asked for the sealed vault's passphrase: $(sess_tail 1)$(sess_tail 2)$(sess_tail 3)"; return 1; }
  # 1 and 2 answer while the test holds the vault's lock: both helpers wait at it together.
  exec {lk}>>"${P[lockfile]}"; flock "$lk"
  sess_send 1 "$PASS"$'\n'; sess_send 2 "$PASS"$'\n'
  wait_for 30 helpers_running 2 unlock || { echo "the two helpers did not both reach the lock: $(sess_tail 1)$(sess_tail 2)"; return 1; }
  exec {lk}>&-; lk=
  { sess_end 1 90 && sess_end 2 90; } || { echo "the two unlocks did not finish: $(sess_tail 1)$(sess_tail 2)"; return 1; }
  status_is 0 || { echo "(after two unlocks at once: $(sess_tail 1)$(sess_tail 2))"; return 1; }
  [[ ${S_RC[1]} == 0 && ${S_RC[2]} == 0 ]] || { echo "unlocks exited ${S_RC[1]}, ${S_RC[2]}: $(sess_tail 1)$(sess_tail 2)"; return 1; }
  opened=0
  for n in 1 2; do sess_has "$n" 'vault: unlocked:' && opened=$((opened + 1)); done
  [[ $opened == 1 ]] || { echo "$opened of the two said 'unlocked:' (want exactly one): $(sess_tail 1)$(sess_tail 2)"; return 1; }
  sess_has 1 'already unlocked' || sess_has 2 'already unlocked' || { echo "the other did not say 'already unlocked': $(sess_tail 1)$(sess_tail 2)"; return 1; }
  # 3 answers, waits at the lock, and is interrupted there.
  exec {lk}>>"${P[lockfile]}"; flock "$lk"
  sess_send 3 "$PASS"$'\n'
  wait_for 30 helpers_running 1 unlock || { echo "the third helper did not reach the lock: $(sess_tail 3)"; return 1; }
  sess_send 3 $'\003'
  nap 1
  exec {lk}>&-; lk=
  sess_end 3 60 || { echo "the interrupted unlock did not end: $(sess_tail 3)"; return 1; }
  [[ ${S_RC[3]} != 0 ]] || { echo "the interrupted unlock exited 0: $(sess_tail 3)"; return 1; }
  status_is 0 || { echo "(the unlock interrupted while it waited closed the vault another session had opened: $(sess_tail 3))"; return 1; }
  [[ $(loops_of "$IMG" | wc -l) == 1 ]] || { echo "loop devices for the image: $(loops_of "$IMG" | paste -sd' ' -), want 1"; return 1; }
  [[ $(cat "$SECRETS/kept.txt" 2>/dev/null) == "$MARK" ]] || { echo "kept.txt lost: the open vault is not the one the crashed session left"; return 1; }
}
check --needs=reopened "two unlocks at once while a crashed session's mapping awaits deferred removal: one opens, the other says 'already unlocked'; a third, interrupted while it waits, leaves the vault alone" c_two_unlocks

c_autoclear() {
  # The mapping is marked for deferred removal and its loop device clears itself: when the
  # vault's mount goes (a crash, or the container's mount namespace ending), both go with it.
  status_is 0 || { echo "(setup: needs the open vault of the check before)"; return 1; }
  umount "$SECRETS" || { echo "setup: cannot umount"; return 1; }
  wait_for 5 eval '! mapping_named "$MAP"' || { echo "mapping $MAP stayed after its filesystem was unmounted (no deferred removal)"; return 1; }
  wait_for 5 eval '[[ -z $(loops_of "$IMG") ]]' || { echo "loop device $(loops_of "$IMG") stayed after the mapping went (no autoclear)"; return 1; }
}
check --needs=reopened --leaves=sealed "unmounting the vault by force takes its mapping and loop device with it (deferred removal, autoclear)" c_autoclear

c_crash_mapping() {
  local out loops
  # Crash leftovers made by hand: a mapping without deferred removal, plus a second loop
  # device from an attempt killed between losetup and cryptsetup. (printf: a builtin.)
  printf '%s' "$PASS" | cryptsetup open --type luks2 --key-file=- "$IMG" "$MAP" || { echo "setup: cannot open a stale mapping"; return 1; }
  losetup -f "$IMG" || { echo "setup: cannot attach an extra loop device"; return 1; }
  status_is 3 || return 1
  out=$(as_dev "$VAULT_BIN" status 2>&1)
  unlock_sealed "$PASS" || return 1
  pty_has 'cleaned stale' || { echo "no 'cleaned stale' message: $(transcript)"; return 1; }
  loops=$(loops_of "$IMG" | wc -l)
  [[ $loops == 1 ]] || { echo "$loops loop devices for the image after unlock, want 1"; return 1; }
  [[ $(cat "$SECRETS/kept.txt" 2>/dev/null) == "$MARK" ]] || { echo "kept.txt lost"; return 1; }
  status_is 0 || return 1
  as_dev "$VAULT_BIN" lock --erase >/dev/null 2>&1 || { echo "lock failed"; return 1; }
  nothing_left || return 1
  echo "status before: $out" >&2
}
check --needs=sealed --leaves=locked "stale mapping + loop devices of a crashed session are cleaned by the next unlock" c_crash_mapping

c_crash_create() {
  local loops
  # Crash while creating a vault: RAM folder and a half-written (non-LUKS) image with a loop device.
  if ! { mkdir -p "$RUNDIR" && mount -t ramfs -o mode=0711 strata-vault "$RUNDIR"; }; then
    echo "setup: ramfs"; return 1
  fi
  if ! { head -c 1048576 /dev/urandom >"$IMG" && truncate -s 64M "$IMG" && losetup -f "$IMG"; }; then
    echo "setup: image/loop"; return 1
  fi
  status_is 3 || return 1
  unlock_new || return 1
  loops=$(loops_of "$IMG" | wc -l)
  [[ $loops == 1 ]] || { echo "$loops loop devices for the image after unlock, want 1"; return 1; }
  status_is 0 || return 1
  as_dev "$VAULT_BIN" lock --erase >/dev/null 2>&1 || { echo "lock failed"; return 1; }
  nothing_left
}
check "leftovers of a crash during vault creation (RAM folder, non-LUKS image, loop) are cleaned by the next unlock" c_crash_create

c_two_namespaces() {
  # Container B: a second mount namespace on the same kernel (same loop devices and
  # device-mapper names; here even the same /run). A unlocks first, then B's shell.
  local bmap bimg bout
  # A vault left open by an earlier failure would be copied into B's namespace, and B's copy
  # would keep A's mapping alive: fail here, not in every check after this one.
  status_is 1 || { echo "setup: the vault is not locked at the start"; return 1; }
  unshare -m --propagation private sleep 100000 >/dev/null 2>&1 </dev/null &
  B_PID=$!
  echo "$B_PID" >"$WORK/b.pid"   # for cleanup: checks run in subshells
  wait_for 5 eval '[[ $(readlink /proc/$B_PID/ns/mnt) != $(readlink /proc/self/ns/mnt) ]]' || { echo "setup: no second namespace"; return 1; }
  inB() { nsenter -m -t "$B_PID" "$@"; }
  unlock_new || return 1
  as_dev sh -c 'echo A >"$HOME/secrets/a.txt"' || { echo "A not writable"; return 1; }
  bout=$(inB "${AS_DEV[@]}" "$VAULT_BIN" status 2>&1); [[ $? == 1 ]] || { echo "B sees A's vault: B's status is '$bout' (want locked)"; return 1; }
  pty_start "nsenter -m -t $B_PID $(as_dev_cmd bash -i)"
  pty_expect 'New vault passphrase:' || { echo "B's shell did not offer B's own unlock: $(transcript)"; pty_stop; return 1; }
  pty_send "$OTHER"$'\n'; pty_expect 'Confirm vault passphrase:' || { echo "B: no confirmation prompt: $(transcript)"; pty_stop; return 1; }
  pty_send "$OTHER"$'\n'
  pty_expect 'unlocked:' || { echo "B's unlock failed while A is unlocked: $(transcript)"; pty_stop; return 1; }
  pty_send $'echo B >"$HOME/secrets/b.txt"; echo B-ALIVE-$((6*7))\n'
  pty_expect 'B-ALIVE-42' || { echo "B's shell is not usable while A is unlocked: $(transcript)"; pty_stop; return 1; }
  pty_send $'exit\n'; pty_wait 30 || pty_stop
  bmap=$(inB "${AS_DEV[@]}" "$VAULT_BIN" paths | sed -n 's/^mapping=//p')
  bimg=$(inB "${AS_DEV[@]}" "$VAULT_BIN" paths | sed -n 's/^image=//p')
  [[ -n $bmap && $bmap != "$MAP" && $bimg != "$IMG" ]] || { echo "B's names are not its own: $bmap $bimg"; return 1; }
  [[ $(cat "$SECRETS/a.txt") == A && ! -e $SECRETS/b.txt ]] || { echo "A's vault changed while B unlocked"; return 1; }
  # B locks: A's vault stays open (the issue: B's lock "erased" and the state stayed broken).
  inB "${AS_DEV[@]}" "$VAULT_BIN" lock --erase >/dev/null 2>&1 || { echo "B's lock failed"; return 1; }
  bout=$(inB "${AS_DEV[@]}" "$VAULT_BIN" status 2>&1); [[ $? == 1 ]] || { echo "B not locked after its lock: $bout"; return 1; }
  status_is 0 || { echo "(A after B's lock)"; return 1; }
  [[ $(cat "$SECRETS/a.txt") == A ]] || { echo "A's file lost after B's lock"; return 1; }
  # B unlocks again; A locks: B's vault stays open.
  pty_start "nsenter -m -t $B_PID $(as_dev_cmd "$VAULT_BIN" unlock)"
  pty_expect 'New vault passphrase:' || { echo "B: no prompt: $(transcript)"; pty_stop; return 1; }
  pty_send "$OTHER"$'\n'; pty_expect 'Confirm' || { pty_stop; return 1; }
  pty_send "$OTHER"$'\n'; pty_wait || { pty_stop; return 1; }
  inB "${AS_DEV[@]}" sh -c 'echo B >"$HOME/secrets/b.txt"' || { echo "B's second vault not writable"; return 1; }
  as_dev "$VAULT_BIN" lock --erase >/dev/null 2>&1 || { echo "A's lock failed"; return 1; }
  nothing_left || return 1
  bout=$(inB "${AS_DEV[@]}" "$VAULT_BIN" status 2>&1) || { echo "B's vault is not open after A's lock: $bout"; return 1; }
  [[ $(inB cat "$SECRETS/b.txt") == B ]] || { echo "B's file lost after A's lock"; return 1; }
  mapping_named "$bmap" || { echo "B's mapping is not there"; return 1; }
  # Then B's container "stops": every process of its namespace ends (checked by the next check).
  kill -KILL "$B_PID"; wait "$B_PID" 2>/dev/null; rm -f "$WORK/b.pid"
  echo "$bmap $bimg" >"$WORK/b.names"
}
check --leaves='locked b-ended' "two mount namespaces (containers) unlock and lock independently; B's shell stays usable while A is unlocked" c_two_namespaces

c_container_stop() {
  local bmap bimg
  read -r bmap bimg <"$WORK/b.names" 2>/dev/null || { echo "no namespace B was set up"; return 1; }
  wait_for 10 eval '! mapping_named "$bmap"' || { echo "B's mapping $bmap (with its key) outlived B's mount namespace"; return 1; }
  wait_for 10 eval '[[ -z $(loops_of "$bimg") ]]' || { echo "B's loop device $(loops_of "$bimg") outlived B's mount namespace"; return 1; }
}
check --needs=b-ended "when a container's mount namespace ends, its mapping and loop device go from the kernel" c_container_stop

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
  ! pty_has '[Pp]assphrase:' || { echo "second shell prompted although unlocked"; return 1; }
}
check --leaves=shell-unlocked "an interactive shell offers the unlock, then works; a second shell does not prompt" c_shell_gate

c_optout() {
  relock
  pty_start "$(as_dev_cmd env STRATA_VAULT_PROMPT=0 bash -i)"
  pty_send $'echo OPTOUT-$((6*7))\n'
  pty_expect 'OPTOUT-42' 30 || { echo "opted-out shell not usable: $(transcript)"; pty_stop; return 1; }
  pty_send $'exit\n'; pty_wait 30 || { pty_stop; return 1; }
  ! pty_has '[Pp]assphrase:' || { echo "prompted despite STRATA_VAULT_PROMPT=0"; return 1; }
  status_is 1
}
check --needs=any --leaves=locked "STRATA_VAULT_PROMPT=0 opts out of the prompt (vault stays locked)" c_optout

c_scan() {   # stops the scanner (after its first scan at least: a run filtered to this check)
  local n
  wait_for 10 test -s "$WORK/scan.count"
  : >"$WORK/scan.stop"
  wait_for 10 test -e "$WORK/scan.done" || { echo "the /proc scanner did not stop"; return 1; }
  n=$(cat "$WORK/scan.count" 2>/dev/null || echo 0)
  [[ $n -gt 0 ]] || { echo "the /proc scanner never ran"; return 1; }
  cat "$WORK/prompt.hits" >>"$WORK/scan.hits" 2>/dev/null
  if [[ -s $WORK/scan.hits ]]; then echo "passphrase seen in: $(sort -u "$WORK/scan.hits" | paste -sd' ' -)"; return 1; fi
  echo "scans: $n" >&2
}
check --needs=any "no test passphrase ever appeared in any /proc/*/cmdline or environ (continuous scan)" c_scan

c_final() { status_is 1 && nothing_left; }
check "final state: locked, nothing left" c_final

finish
