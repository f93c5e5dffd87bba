#!/usr/bin/env bash
# smoke/vault/run.sh - prove the encrypted RAM vault of an image on this host.
#
# Usage: smoke/vault/run.sh [--runtime auto|container|uml] [--vault-override FILE] IMAGE
#
# Picks a machine that can run dm-crypt, runs smoke/vault/scenario.sh in it as root and
# prints "# runtime: ..." followed by the scenario's TAP lines on stdout (diagnostics on
# stderr). Exit status 0 only if every check passed. Never skips silently: if no runtime
# can prove the vault, it says why and exits non-zero.
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
#      /lib/modules, and a small init mounts proc/sys/devtmpfs/devpts/tmpfs, loads loop,
#      dm_mod and dm_crypt and runs the scenario. The result is read from the console
#      output, never from linux.uml's exit status.
#
# The scenario reaches the machine by bind mount (container) or by copy into the exported
# tree (UML); nothing is added to the image. --vault-override FILE replaces the image's
# vault script inside the machine under test only (used for the negative test).
#
# Environment: VAULT_USER (default dev), VAULT_UML_MEM (default 512M),
#              VAULT_RUN_TIMEOUT (seconds for one scenario run, default 1200).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCENARIO=$HERE/scenario.sh
VAULT_USER=${VAULT_USER:-dev}
RUN_TIMEOUT=${VAULT_RUN_TIMEOUT:-1200}
RUNTIME=auto
OVERRIDE=

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 64; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --runtime) RUNTIME=${2:?}; shift 2 ;;
    --vault-override) OVERRIDE=$(realpath "${2:?}"); shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done
[[ $# -eq 1 ]] || usage
IMAGE=$1
note() { printf '# %s\n' "$*" >&2; }
fail() { note "$*"; printf '# runtime: none\nnot ok - vault scenario ran: %s\n' "$*"; exit 1; }

[[ -r $SCENARIO ]] || fail "scenario not found at $SCENARIO"
[[ -z $OVERRIDE || -r $OVERRIDE ]] || fail "--vault-override file not readable"
command -v docker >/dev/null || fail "docker CLI not found"
docker image inspect "$IMAGE" >/dev/null 2>&1 || fail "image $IMAGE not found locally (never pulled: build it first)"

TMP=$(mktemp -d /tmp/strata-vault-run.XXXXXX)
CTR=
UML_PID=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local rc=$?
  [[ -n $UML_PID ]] && kill -KILL "$UML_PID" 2>/dev/null
  [[ -n $CTR ]] && docker rm -f "$CTR" >/dev/null 2>&1
  # The UML root may still hold mount points of its own: they are guest mounts, the host
  # tree is plain files.
  rm -rf --one-file-system "$TMP" 2>/dev/null || rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Home of the user in the image (for the override path).
user_home() { docker run --rm --user 0 --entrypoint "" "$IMAGE" getent passwd "$VAULT_USER" | cut -d: -f6; }

verdict() {   # verdict FILE SCENARIO_RC: 0 only if the run completed and every check passed
  local f=$1 rc=$2
  grep -q '^# vault scenario: PASS' "$f" || return 1
  ! grep -q '^not ok' "$f" || return 1
  [[ $rc == 0 ]]
}

# ------------------------------------------------------------------ containers
try_container() {   # try_container KIND: 0 ran (result in $TMP/out, $TMP/rc), 1 unusable
  local kind=$1 name flags=() err home dmmaj
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
  local mounts=(-v "$SCENARIO:/strata-smoke/scenario.sh:ro")
  if [[ -n $OVERRIDE ]]; then
    home=$(user_home)
    mounts+=(-v "$OVERRIDE:$home/.local/bin/vault:ro")
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
  timeout "$RUN_TIMEOUT" docker exec "$name" /strata-smoke/scenario.sh >"$TMP/out" 2>"$TMP/err" || rc=$?
  cat "$TMP/out"
  [[ ! -s $TMP/err ]] || sed 's/^/# stderr: /' "$TMP/err" >&2
  echo "$rc" >"$TMP/rc"
  docker rm -f "$name" >/dev/null 2>&1 || true
  CTR=
  return 0
}

# ------------------------------------------------------------------ user-mode linux
run_uml() {
  local kver moddir root cid t missing=() home rc
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
  for t in modprobe cryptsetup dmsetup mkfs.ext4 losetup findmnt setpriv script sudo awk pgrep blockdev; do
    chroot "$root" sh -c "command -v $t" >/dev/null 2>&1 || missing+=("$t")
  done
  [[ ${#missing[@]} == 0 ]] || fail "image lacks tools the vault/scenario need: ${missing[*]} (packages: kmod cryptsetup-bin dmsetup e2fsprogs mount util-linux bsdutils sudo procps)"
  mkdir -p "$root/lib/modules"
  cp -a "$moddir" "$root/lib/modules/"
  mkdir -p "$root/strata-smoke"
  cp "$SCENARIO" "$root/strata-smoke/scenario.sh"
  chmod 0755 "$root/strata-smoke/scenario.sh"
  if [[ -n $OVERRIDE ]]; then
    home=$(chroot "$root" getent passwd "$VAULT_USER" | cut -d: -f6)
    cat "$OVERRIDE" >"$root$home/.local/bin/vault"
  fi
  cat >"$root/strata-smoke/init" <<'INIT'
#!/bin/sh
# PID 1 of the UML guest: prepare a minimal machine, run the scenario, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
# hostfs does not keep owners of files created in the guest: give /home real semantics.
cp -a /home /tmp/home.orig && mount -t tmpfs -o mode=0755 tmpfs /home && cp -a /tmp/home.orig/. /home/
hostname localhost   # resolvable without DNS (sudo looks its host name up)
grep -qw localhost /etc/hosts 2>/dev/null || echo '127.0.0.1 localhost' >>/etc/hosts
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for m in loop dm_mod dm_crypt; do modprobe "$m" || echo "@@TAP@@ # modprobe $m failed"; done
echo "@@TAP@@ # guest kernel: $(uname -r)"
{ /strata-smoke/scenario.sh 2>/tmp/scenario.err; echo $? >/tmp/scenario.rc; } \
  | while IFS= read -r line; do echo "@@TAP@@ $line"; done     # streamed: progress is visible
rc=$(cat /tmp/scenario.rc)
sed 's/^/@@ERR@@ /' /tmp/scenario.err
echo "@@TAP@@ # scenario exit status: $rc"
echo "@@RC@@ $rc"
echo "@@END@@"
echo o >/proc/sysrq-trigger
sleep 10
INIT
  chmod 0755 "$root/strata-smoke/init"
  echo "# runtime: user-mode-linux $kver (hostfs root exported from $IMAGE)"
  note "booting linux.uml $kver"
  rc=0
  timeout "$RUN_TIMEOUT" linux.uml "mem=${VAULT_UML_MEM:-512M}" rootfstype=hostfs "hostfs=$root" rw \
    init=/strata-smoke/init quiet con=null con0=fd:0,fd:1 </dev/null >"$TMP/console" 2>&1 &
  UML_PID=$!
  wait "$UML_PID" || rc=$?
  UML_PID=
  tr -d '\r' <"$TMP/console" >"$TMP/console.txt"
  sed -n 's/^@@TAP@@ //p' "$TMP/console.txt" >"$TMP/out"
  sed -n 's/^@@ERR@@ /# stderr: /p' "$TMP/console.txt" >&2
  cat "$TMP/out"
  if ! grep -q '^@@END@@' "$TMP/console.txt"; then
    note "the UML run did not complete (linux.uml exit $rc); console tail:"
    tail -n 25 "$TMP/console.txt" | sed 's/^/#   /' >&2
    echo "not ok - UML run completed: no end marker on the console (linux.uml exit $rc)"
    echo 1 >"$TMP/rc"
    return 0
  fi
  sed -n 's/^@@RC@@ //p' "$TMP/console.txt" | tail -n1 >"$TMP/rc"
}

# ------------------------------------------------------------------ main
START=$(date +%s)
ran=0
if [[ $RUNTIME == auto || $RUNTIME == container ]]; then
  if try_container privileged || try_container near; then ran=1; fi
  if [[ $ran == 0 && $RUNTIME == container ]]; then fail "no container runtime can prove the vault here (see above)"; fi
fi
if [[ $ran == 0 ]]; then
  [[ $RUNTIME == auto ]] && note "falling back to User-Mode Linux"
  run_uml
fi
rc=$(cat "$TMP/rc" 2>/dev/null || echo 1)
note "run took $(( $(date +%s) - START ))s"
if verdict "$TMP/out" "$rc"; then exit 0; fi
note "vault smoke test FAILED"
exit 1
