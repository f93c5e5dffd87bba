#!/bin/sh
# smoke/vault/fingerprint.sh USER - everything inside an image that the vault and its shell
# gate execute or read, one line each: the vault script, the gate and every bash start-up
# file, sudoers, the versions of the packages they run, the user's identity and the
# image's environment. Run as root inside the image (Strata: in the smoke container).
# Two images with the same output (and the same smoke/vault files) prove the same vault:
# a child whose fingerprint equals its parent's reuses the parent's proof.
set -eu
user=${1:?usage: fingerprint.sh USER}
home=$(getent passwd "$user" | cut -d: -f6)
file() {   # file PATH: its path, where it points, and its content's hash (or "absent")
  if [ -e "$1" ]; then
    h=$(sha256sum <"$1") || { echo "fingerprint: cannot read $1" >&2; exit 1; }   # never a silent gap
    printf 'file %s -> %s %s\n' "$1" "$(readlink -f "$1")" "${h%% *}"
  else
    printf 'file %s absent\n' "$1"
  fi
}
file "$home/.local/bin/vault"
for f in "$home/.bashrc" "$home/.bash_profile" "$home/.bash_login" "$home/.profile" "$home/.bash_logout" \
         "$home"/.bashrc.d/* /etc/bash.bashrc /etc/profile /etc/profile.d/* /etc/inputrc /etc/environment \
         /etc/sudoers /etc/sudoers.d/* /etc/login.defs /etc/nsswitch.conf; do
  file "$f"
done
printf 'user %s home %s shell %s\n' "$(id "$user")" "$home" "$(getent passwd "$user" | cut -d: -f7)"
dpkg-query -W -f 'package ${Package} ${Version} ${db:Status-Status}\n' \
  bash sudo cryptsetup-bin libcryptsetup12 dmsetup libdevmapper1.02.1 util-linux mount bsdutils \
  e2fsprogs kmod coreutils procps mawk libc6 2>&1 | sort
# The image's environment: this process's (docker exec passes the image's ENV on; HOSTNAME is
# per container, HOME/PWD/SHLVL/_ come from the exec and the shell). (Not /proc/1/environ:
# PID 1 runs as the image's user, and root without CAP_SYS_PTRACE cannot read it.)
env | grep -Ev '^(HOSTNAME|HOME|PWD|OLDPWD|SHLVL|_)=' | sort | sed 's/^/env /'
# Which program each command the vault and the scenario run resolves to (a tool layer could
# shadow one in /usr/local/bin), with the vault's PATH.
PATH="$home/.local/bin:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
for c in bash sh env sudo cryptsetup dmsetup losetup mkfs.ext4 mount umount findmnt mknod awk flock \
         stty setpriv script unshare nsenter readlink tr cut sed stat id getent mktemp truncate chmod \
         chown rm rmdir mkdir mv modprobe blockdev grep paste tail ls sort wc od head; do
  printf 'command %s %s\n' "$c" "$(command -v "$c" || echo missing)"
done
