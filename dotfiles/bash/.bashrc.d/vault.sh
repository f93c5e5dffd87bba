# shellcheck shell=bash
# ~/.bashrc.d/vault.sh - offer to unlock the encrypted RAM vault when an interactive shell
# starts, and close that shell if the unlock is aborted or fails: Ctrl+C at the passphrase
# prompt must not leave a shell in which ~/secrets silently is a plain directory.
#
# Never prompts in non-interactive shells (scripts, agents, `bash -c`, `docker exec`
# without a TTY): they only ever see the vault through `vault status`.
# Opt out of the prompt: STRATA_VAULT_PROMPT=0 (the vault stays locked; `vault unlock`).
# No PROMPT_COMMAND, no timers: this runs once per shell start-up.

case $- in *i*) ;; *) return 0 ;; esac          # interactive shells only
[ -t 0 ] && [ -t 1 ] || return 0                # ... on a real terminal
[ "${STRATA_VAULT_PROMPT:-1}" = 0 ] && return 0 # explicit opt-out
command -v vault >/dev/null 2>&1 || return 0

__strata_vault_close_shell() {
  # Stopped or running jobs would make `exit` refuse once; nothing may keep this shell.
  local j
  for j in $(jobs -p 2>/dev/null); do kill -KILL "$j" 2>/dev/null; done
  printf 'vault: unlock aborted or failed; closing this shell.\n' >&2
  builtin exit "${1:-1}"
  # shellcheck disable=SC2317 # reached only if exit was refused
  kill -KILL $$
}

__strata_vault_gate() {
  # While the gate runs, a signal delivered to this shell (Ctrl+C when vault shares our
  # process group, SIGHUP, SIGTERM) closes it instead of aborting .bashrc half way.
  trap '__strata_vault_close_shell 130' INT
  trap '__strata_vault_close_shell 143' TERM
  trap '__strata_vault_close_shell 129' HUP
  trap '__strata_vault_close_shell 131' QUIT
  local rc=0
  vault status >/dev/null 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] && ! vault preflight >/dev/null 2>&1; then
    # This container cannot host a vault at all (no privileges, no dm-crypt): there is nothing
    # to unlock, and ~/secrets stays a read-only empty folder, so the shell stays usable.
    printf 'vault: unavailable in this container (see "vault preflight"; start it with --privileged); ~/secrets stays locked.\n' >&2
    rc=0
  elif [ "$rc" -ne 0 ]; then
    rc=0
    printf 'vault: the encrypted vault (~/secrets) is locked; unlock it to continue.\n' >&2
    vault unlock || rc=$?
    if [ "$rc" -ne 0 ]; then __strata_vault_close_shell "$rc"; fi
  fi
  trap - INT TERM HUP QUIT
}

__strata_vault_gate
unset -f __strata_vault_gate __strata_vault_close_shell
