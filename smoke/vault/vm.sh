#!/usr/bin/env bash
# smoke/vault/vm.sh - prove the encrypted RAM vault in a QEMU virtual machine, where no
# container can (no device-mapper in the host kernel) and User-Mode Linux cannot (an arm64
# image, or a CPU on which linux.uml crashes). Strata (VaultMachine) runs it: it has already
# unpacked the image's filesystem into ROOT through the engine and fetched the guest kernel
# (vm-kernel.sh); this script never talks to docker.
#
# Usage: smoke/vault/vm.sh --user USER --root ROOT --kernel KDIR --arch amd64|arm64
#                          --accel kvm|tcg [--timeout SECONDS]
#                          [--vault-override FILE] [--bench] [--only REGEX] [--alone]
#        smoke/vault/vm.sh --probe --kernel KDIR --arch amd64|arm64 --accel kvm|tcg
#
# The kernel's modules and the guest files go into ROOT, which mke2fs -d turns into an ext4
# root disk (no loop device, no mount); QEMU boots KDIR's kernel on it as an NVMe disk (built
# into Debian's cloud kernel: no initrd), with vm-init as init, which runs scenario.sh as
# root for the vault user USER. Prints "# runtime: ..." followed by the scenario's TAP lines
# on stdout (diagnostics on stderr). The verdict is the scenario's (tap.sh), relayed, never
# re-decided; results are read from the console, never from QEMU's exit status. A guest that
# does not boot, or crashes, gives a "not ok - ..." line saying so, and exit 1.
#
# --accel: kvm (Strata checked /dev/kvm) or tcg (full emulation). --timeout: the whole run.
# Every exit path (pass, fail, timeout, SIGTERM/INT/HUP) kills QEMU's process group and
# removes this script's temp folder (the disk) under $TMPDIR; ROOT is Strata's to remove.
# VAULT_VM_MEM (default 1536M): the guest's memory.
#
# --probe: boot the kernel alone (no disk) with the machine, CPU and accelerator of a real run,
# and pass (exit 0) only if it reaches its root mount. A /dev/kvm that opens is not a KVM that
# runs guests: under some nested hosts QEMU aborts at the first vCPU ("failed to set MSR") or the
# guest hangs, so Strata trusts KVM only after this probe (seconds). Prints one "# probe: ..." line.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST_FILES=(scenario.sh tap.sh pty.sh)
VAULT_USER=
RUN_TIMEOUT=1500
ROOT=
KDIR=
ARCH=
ACCEL=
OVERRIDE=
BENCH=
ONLY=
ALONE=
PROBE=
PROBE_LIMIT=${VAULT_VM_PROBE_LIMIT:-30}

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 64; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --user) VAULT_USER=${2:?}; shift 2 ;;
    --timeout) RUN_TIMEOUT=${2:?}; shift 2 ;;
    --root) ROOT=${2:?}; shift 2 ;;
    --kernel) KDIR=${2:?}; shift 2 ;;
    --arch) ARCH=${2:?}; shift 2 ;;
    --accel) ACCEL=${2:?}; shift 2 ;;
    --bench) BENCH=1; shift ;;
    --only) ONLY=${2:?}; shift 2 ;;
    --alone) ALONE=1; shift ;;
    --vault-override) OVERRIDE=$(realpath "${2:?}"); shift 2 ;;
    --probe) PROBE=1; shift ;;
    *) usage ;;
  esac
done
[[ -n $KDIR && $ARCH =~ ^(amd64|arm64)$ && $ACCEL =~ ^(kvm|tcg)$ && $RUN_TIMEOUT =~ ^[0-9]+$ ]] || usage
[[ -n $PROBE || ( -n $VAULT_USER && -n $ROOT ) ]] || usage
DEADLINE=$((SECONDS + RUN_TIMEOUT))
note() { printf '# %s\n' "$*" >&2; }
fail() { note "$*"; printf '# runtime: none\nnot ok - vault scenario ran: %s\n' "$*"; exit 1; }

if [[ -z $PROBE ]]; then
  for f in "${GUEST_FILES[@]}" vm-init; do [[ -r $HERE/$f ]] || fail "$HERE/$f not found"; done
  [[ -z $OVERRIDE || -r $OVERRIDE ]] || fail "--vault-override file not readable"
  [[ -d $ROOT/etc ]] || fail "--root $ROOT holds no unpacked image (no etc/)"
fi
kernels=("$KDIR"/boot/vmlinuz-*)
[[ -f ${kernels[0]} ]] || fail "no boot/vmlinuz-* in $KDIR (vm-kernel.sh fetches it)"
KERNEL=${kernels[0]}
KVER=${KERNEL##*/vmlinuz-}
[[ -d $KDIR/lib/modules/$KVER ]] || fail "no lib/modules/$KVER in $KDIR"
case $ARCH in
  amd64) QEMU=qemu-system-x86_64; PKG=qemu-system-x86; CONSOLE=ttyS0
         if [[ $ACCEL == kvm ]]; then MACHINE=(-machine q35 -cpu host); else MACHINE=(-machine q35 -cpu max); fi ;;
  arm64) QEMU=qemu-system-aarch64; PKG=qemu-system-arm; CONSOLE=ttyAMA0
         # pauth-impdef: pointer authentication with a cheap hash, much faster to emulate than QARMA.
         if [[ $ACCEL == kvm ]]; then MACHINE=(-machine virt -cpu host); else MACHINE=(-machine virt -cpu "max,pauth-impdef=on"); fi ;;
esac
command -v "$QEMU" >/dev/null || fail "$QEMU is not installed (apt-get install $PKG)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/strata-vault-vm.XXXXXX")
VM_PID=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local rc=$?
  set +e   # a failing kill or wait here must not end the cleanup half way (errexit)
  trap '' INT TERM HUP
  if [[ -n $VM_PID ]]; then   # QEMU runs in its own process group (setsid): all of it
    kill -KILL -- "-$VM_PID" 2>/dev/null
    wait "$VM_PID" 2>/dev/null
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ------------------------------------------------------------------ the root disk
make_disk() {
  local home f size t0=$SECONDS
  mkdir -p "$ROOT/lib/modules" "$ROOT/strata-smoke"
  rm -rf "${ROOT:?}/lib/modules/$KVER"
  cp -a "$KDIR/lib/modules/$KVER" "$ROOT/lib/modules/"
  for f in "${GUEST_FILES[@]}"; do cp "$HERE/$f" "$ROOT/strata-smoke/$f"; done
  cp "$HERE/vm-init" "$ROOT/strata-smoke/init"
  chmod 0755 "$ROOT/strata-smoke/scenario.sh" "$ROOT/strata-smoke/init"
  printf '%s\n' "$VAULT_USER" >"$ROOT/strata-smoke/user"
  rm -f "$ROOT/strata-smoke/bench"
  [[ -z $BENCH ]] || : >"$ROOT/strata-smoke/bench"   # vm-init counts processes and sudo calls
  printf '%s' "$ONLY" >"$ROOT/strata-smoke/only"     # --only: the checks to run (tap.sh)
  rm -f "$ROOT/strata-smoke/alone"; [[ -z $ALONE ]] || : >"$ROOT/strata-smoke/alone"   # --alone: each check alone
  if [[ -n $OVERRIDE ]]; then
    # (read from the image's passwd: its binaries may be of another architecture than the host's)
    home=$(awk -F: -v u="$VAULT_USER" '$1 == u { print $6 }' "$ROOT/etc/passwd")
    [[ -n $home ]] || fail "no user $VAULT_USER in the image's /etc/passwd (for --vault-override)"
    cat "$OVERRIDE" >"$ROOT$home/.local/bin/vault"   # (a relative link into ~/.dotfiles)
  fi
  # The image plus room for the guest's writes; the file is sparse, so a large size costs nothing.
  size=$(( $(du -sm --apparent-size "$ROOT" | cut -f1) + 1024 ))
  command -v mke2fs >/dev/null || PATH=$PATH:/sbin:/usr/sbin
  command -v mke2fs >/dev/null || fail "mke2fs is not installed (apt-get install e2fsprogs)"
  mke2fs -q -t ext4 -d "$ROOT" -F "$TMP/root.img" "${size}M" >"$TMP/mke2fs.log" 2>&1 \
    || fail "mke2fs -d could not make the root disk: $(tail -n 3 "$TMP/mke2fs.log")"
  note "root disk: ${size} MB (sparse), made in $((SECONDS - t0)) s"
}

# ------------------------------------------------------------------ the probe boot
probe_vm() {
  local t0=$SECONDS said
  # No root disk: the kernel boots, finds no root and panics; -no-reboot turns that into an exit.
  setsid "$QEMU" -nodefaults -no-user-config -display none -no-reboot "${MACHINE[@]}" -accel "$(accel)" \
    -m 256M -smp 1 -kernel "$KERNEL" -append "console=$CONSOLE root=/dev/strata-probe-no-disk panic=-1 loglevel=3" \
    -serial "file:$TMP/console" </dev/null >"$TMP/qemu.log" 2>&1 &
  VM_PID=$!
  while kill -0 "$VM_PID" 2>/dev/null && (( SECONDS - t0 < PROBE_LIMIT )); do
    sleep 0.2
    # (grep reads a file: no pipe, no SIGPIPE under pipefail)
    if grep -q 'Unable to mount root fs' "$TMP/console" 2>/dev/null; then break; fi
  done
  kill -KILL -- "-$VM_PID" 2>/dev/null || true
  wait "$VM_PID" 2>/dev/null || true
  VM_PID=
  if grep -q 'Unable to mount root fs' "$TMP/console" 2>/dev/null; then
    echo "# probe: the guest kernel booted to its root mount in $((SECONDS - t0)) s ($QEMU, $ACCEL, ${MACHINE[*]})"
    exit 0
  fi
  said=$(tr '\n' ' ' <"$TMP/qemu.log" | cut -c1-300)
  if (( SECONDS - t0 >= PROBE_LIMIT )); then
    echo "# probe: the guest kernel did not reach its root mount within ${PROBE_LIMIT} s ($QEMU, $ACCEL, ${MACHINE[*]})${said:+; QEMU said: $said}"
  else
    echo "# probe: QEMU stopped before the guest kernel reached its root mount ($QEMU, $ACCEL, ${MACHINE[*]}); QEMU said: ${said:-nothing}"
  fi
  exit 1
}
accel() { if [[ $ACCEL == kvm ]]; then echo kvm; else echo tcg,thread=multi; fi; }

timed_out() { echo "not ok - vault scenario finished in time: no verdict within ${RUN_TIMEOUT}s (--timeout)"; }

# ------------------------------------------------------------------ the virtual machine
run_vm() {
  local smp t0 up
  smp=$(nproc); (( smp <= 4 )) || smp=4
  echo "# runtime: virtual machine: $QEMU $("$QEMU" --version | sed -n '1s/^.* version \([^ ]*\).*$/\1/p'), $([[ $ACCEL == kvm ]] && echo KVM || echo 'TCG (full emulation)'), ${MACHINE[*]}, guest kernel ${KDIR##*/} (Debian, no initrd)"
  note "booting $QEMU ($ACCEL) with kernel $KVER"
  t0=$SECONDS
  # Its own process group, so that every exit path can kill all of it (not just one pid).
  # No network, no display, no default devices: a serial console and the root disk only.
  setsid "$QEMU" -nodefaults -no-user-config -display none -no-reboot "${MACHINE[@]}" -accel "$(accel)" \
    -m "${VAULT_VM_MEM:-1536M}" -smp "$smp" -kernel "$KERNEL" \
    -append "console=$CONSOLE root=/dev/nvme0n1 rootfstype=ext4 rw init=/strata-smoke/init panic=-1 quiet" \
    -drive "file=$TMP/root.img,if=none,id=root,format=raw,cache=unsafe" -device nvme,drive=root,serial=strata-root \
    -serial "file:$TMP/console" </dev/null >"$TMP/qemu.log" 2>&1 &
  VM_PID=$!
  while kill -0 "$VM_PID" 2>/dev/null; do
    if (( SECONDS >= DEADLINE )); then kill -KILL -- "-$VM_PID" 2>/dev/null; break; fi
    sleep 1
    relay_console
  done
  wait "$VM_PID" 2>/dev/null || true
  VM_PID=
  relay_console
  sed -n 's/^@@ERR@@ /# stderr: /p' <(tr -d '\r' <"$TMP/console") >&2
  up=$(sed -n 's/^@@UP@@ //p' <(tr -d '\r' <"$TMP/console") | head -n 1)
  # (grep reads a process substitution: `tr | grep -q` under pipefail can fail with SIGPIPE)
  if ! grep -q '^@@END@@' < <(tr -d '\r' <"$TMP/console"); then
    if (( SECONDS >= DEADLINE )); then timed_out; else
      note "the virtual machine did not complete the run; QEMU said: $(tr '\n' ' ' <"$TMP/qemu.log")"
      note "console tail:"
      tr -d '\r' <"$TMP/console" | tail -n 25 | sed 's/^/#   /' >&2
      if [[ -z $up ]]; then
        echo "not ok - virtual machine booted: the guest never reached its init (a boot failure, not a vault failure; console tail above)"
      else
        echo "not ok - virtual machine run completed: no end marker on the console (the guest crashed or powered off; console tail above)"
      fi
    fi
    echo 1 >"$TMP/rc"
    return 0
  fi
  note "guest booted to init in ${up} s; scenario and power-off: $((SECONDS - t0)) s in all"
  tr -d '\r' <"$TMP/console" | sed -n 's/^@@RC@@ //p' | tail -n1 >"$TMP/rc"
}
RELAYED=0
relay_console() {   # print the scenario's new TAP lines as they come (progress is visible)
  local lines
  [[ -f $TMP/console ]] || return 0
  lines=$(tr -d '\r' <"$TMP/console" | sed -n 's/^@@TAP@@ //p')
  [[ -n $lines ]] || return 0
  printf '%s\n' "$lines" | tail -n +$((RELAYED + 1))
  RELAYED=$(printf '%s\n' "$lines" | wc -l)
}

# ------------------------------------------------------------------ main
[[ -z $PROBE ]] || probe_vm
START=$SECONDS
make_disk
run_vm
note "VM run took $((SECONDS - START)) s"
rc=$(cat "$TMP/rc" 2>/dev/null || echo 1)
[[ $rc =~ ^[0-9]+$ ]] || rc=1
exit "$rc"
