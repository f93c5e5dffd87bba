# shellcheck shell=bash
# smoke/vault/pty.sh - a pseudo-terminal driver (sourced by scenario.sh).
#
# One session at a time: util-linux `script` owns the pty; keystrokes go into a fifo that
# is its stdin, the terminal output is read from a transcript file. Waiting uses bash
# builtins only (a read with a timeout on a fifo nobody writes to, the transcript read
# with `read -d ''`): under User-Mode Linux every process costs ~25 ms, so the polling
# loops must not start any.
#
# Needs: WORK (a private directory), TIMEOUT (seconds), and after sourcing: pty_init.
PTY_PID="" PTY_RC="" PTY_FD="" NAP_FD="" PTY_BUF=""
pty_init() {
  mkfifo "$WORK/nap"
  exec {NAP_FD}<>"$WORK/nap"
}
nap() { read -r -t "$1" -u "$NAP_FD" _ 2>/dev/null || true; }   # sleep without a process
pty_start() {    # pty_start SHELL-COMMAND
  pty_stop
  rm -f "$WORK/pty.in" "$WORK/pty.out"
  mkfifo "$WORK/pty.in"
  : >"$WORK/pty.out"
  # Background jobs of a non-interactive shell start with SIGINT/SIGQUIT ignored, and an
  # ignored signal cannot be trapped after exec: give the session default dispositions.
  ( cd / && SHELL=/bin/sh exec env --default-signal=INT,QUIT,TERM,HUP \
      script -qfec "$1" /dev/null <"$WORK/pty.in" >"$WORK/pty.out" 2>&1 ) &
  PTY_PID=$!
  exec {PTY_FD}>"$WORK/pty.in"
}
pty_send() { printf '%s' "$1" >&"$PTY_FD"; }
pty_read() { PTY_BUF=; IFS= read -r -d '' PTY_BUF <"$WORK/pty.out" || true; PTY_BUF=${PTY_BUF//$'\r'/}; }
pty_text() { pty_read; printf '%s' "$PTY_BUF"; }
pty_has() { pty_read; [[ $PTY_BUF =~ $1 ]]; }
pty_expect() {   # pty_expect ERE [SECONDS]
  local t=$(( ${2:-$TIMEOUT} * 5 ))
  while (( t-- > 0 )); do
    pty_has "$1" && return 0
    kill -0 "$PTY_PID" 2>/dev/null || { pty_has "$1"; return; }
    nap 0.2
  done
  return 1
}
pty_wait() {     # pty_wait [SECONDS]: wait for the session to end, PTY_RC = its status
  local t=$(( ${1:-$TIMEOUT} * 5 ))
  while (( t-- > 0 )); do
    # shellcheck disable=SC2034  # PTY_RC is read by the script that sources this file
    if ! kill -0 "$PTY_PID" 2>/dev/null; then
      wait "$PTY_PID"; PTY_RC=$?; PTY_PID=; exec {PTY_FD}>&-; return 0
    fi
    nap 0.2
  done
  return 1
}
descendants() {  # all descendants of $1 (one pass over /proc, not one per level)
  # cat, not awk's own file list: mawk stops at the first process that ended meanwhile.
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
    { rest = $0; sub(/.*\) /, "", rest); split(rest, g, " "); kid[g[2]] = kid[g[2]] " " $1 }
    END { n = split(kid[root], q, " "); for (i = 1; i <= n; i++) { print q[i]; m = split(kid[q[i]], more, " "); for (j = 1; j <= m; j++) q[++n] = more[j] } }'
}
pty_stop() {     # kill the session and everything it started; PTY_CLEANUP runs afterwards
  [[ -n $PTY_PID ]] || return 0
  local pids
  pids=$(descendants "$PTY_PID")
  # shellcheck disable=SC2086 # word splitting intended
  kill -KILL $pids "$PTY_PID" 2>/dev/null
  wait "$PTY_PID" 2>/dev/null
  PTY_PID=; exec {PTY_FD}>&-
  [[ -z ${PTY_CLEANUP:-} ]] || "$PTY_CLEANUP"
  return 0
}
cmdline_of() {   # cmdline_of PID: argv joined by spaces, with bash builtins only
  local -a argv=()
  mapfile -d '' -t argv <"/proc/$1/cmdline" 2>/dev/null || return 1
  printf -v REPLY '%s ' "${argv[@]}"
}
parent_of() {    # parent_of PID -> REPLY
  local stat rest
  IFS= read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
  rest=${stat##*) }; rest=${rest#* }; REPLY=${rest%% *}
}
