# shellcheck shell=bash
# smoke/vault/tap.sh - the TAP harness of the vault scenario (sourced).
#
#   check [--needs=STATE] [--leaves='STATE...'] NAME FUNCTION [ARGS]
#                       declares a check: FUNCTION prints the reason and returns non-zero on
#                       failure. It runs in a subshell: what it hands on is on the machine or in files.
#   finish              runs TAP_PREPARE (a function of the scenario), then the declared checks;
#                       prints the plan "1..N" and THE verdict; exits 0 only if all passed
#   tap_abort NAME WHY  the scenario cannot run: one "not ok", the plan, the verdict FAIL
#
# This is the one place that decides pass or fail: the runner relays the verdict line and the
# exit status, Strata (ScenarioTap) reads them; neither decides on its own.
#
# States are words for what the machine holds between checks, so that a check can run without
# the ones before it. "locked" is how the machine boots (the vault locked, nothing of it left);
# TAP_RESET (a function of the scenario: 0, or non-zero with the reason in REPLY) brings it back
# there. A check needs one state (--needs; default locked; "any": it makes its own) and leaves
# the states it found, unless it names the ones it leaves instead (--leaves). The checks in
# their order must leave each check what it needs: every run verifies that before it starts.
#
# Which checks run:
#   (VAULT_CHECKS unset) all, in order, once: the scenario. No set-up, no reset.
#   VAULT_CHECKS=ERE     the checks whose name matches, in order. Before each, its set-up: the
#                        checks that leave the state it needs (from a reset when that state cannot
#                        be reached from the machine's), as "ok - [set-up] NAME". They are checks of
#                        the vault too: one that fails fails the run, and the check that needed it
#                        is "not ok - NAME: not run: ...". Strata sets it only for the vault-scenario
#                        target's --vault-checks, a run that is never remembered as a proof.
#   VAULT_CHECKS_ALONE=1 each selected check alone: a reset, its set-up, the check. The
#                        self-test of the declarations (each check passes in a run filtered to it).
#   VAULT_PLAN=1         runs nothing (not even TAP_PREPARE): prints the steps a run would take,
#                        "plan: reset", "plan: set-up NAME", "plan: check NAME", one a line.
TAP_PASSED=0 TAP_FAILED=0 TAP_N=0 TAP_SETUPS=0
T_NAME=() T_NEEDS=() T_LEAVES=() T_CMD=()
TAP_STATE=" locked "    # the states that hold now; empty: unknown (after a failure)
TAP_WHY=""

tap_ok()  { TAP_N=$((TAP_N + 1)); TAP_PASSED=$((TAP_PASSED + 1)); printf 'ok - %s\n' "$1"; }
tap_nok() {
  local reason=${2//[$'\r\n']/ }
  TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
  printf 'not ok - %s: %s\n' "$1" "${reason:0:400}"
}
tap_abort() { tap_nok "$1" "$2"; tap_verdict; }

check() {
  local needs=locked leaves=-
  while [[ ${1:-} == --* ]]; do
    case $1 in
      --needs=?*) needs=${1#*=} ;;
      --leaves=?*) leaves=${1#*=} ;;
      *) tap_abort "the scenario declares its checks" "check: unknown option '$1' (--needs=STATE, --leaves='STATE...')" ;;
    esac
    shift
  done
  [[ $# -ge 2 ]] || tap_abort "the scenario declares its checks" "check: needs a NAME and a FUNCTION (got: $*)"
  T_NAME+=("$1"); T_NEEDS+=("$needs"); T_LEAVES+=("$leaves"); shift
  T_CMD+=("$(printf '%q ' "$@")")
}

# The declarations, verified in the scenario's order: unique names, and each check finds the
# state it needs. Prints the problems; false if any.
tap_verify() {
  local i j state=" locked " bad=0 held
  for i in "${!T_NAME[@]}"; do
    for (( j = 0; j < i; j++ )); do
      [[ ${T_NAME[j]} != "${T_NAME[i]}" ]] || { echo "two checks are named '${T_NAME[i]}'"; bad=1; }
    done
    if [[ ${T_NEEDS[i]} != any && $state != *" ${T_NEEDS[i]} "* ]]; then
      held=${state# }
      echo "'${T_NAME[i]}' needs '${T_NEEDS[i]}', but the checks before it leave: ${held% }"; bad=1
    fi
    [[ ${T_LEAVES[i]} == - ]] || state=" ${T_LEAVES[i]} "
  done
  return "$bad"
}

# tap_chain STATE: T_CHAIN = the checks that make STATE from "locked", in order (each one the
# first check that leaves what the next needs).
tap_chain() {
  local want=$1 i
  T_CHAIN=()
  while [[ $want != locked && $want != any ]]; do
    for i in "${!T_NAME[@]}"; do [[ " ${T_LEAVES[i]} " == *" $want "* ]] && break; done
    [[ " ${T_LEAVES[i]} " == *" $want "* ]] || return 1   # (tap_verify rules this out)
    T_CHAIN=("$i" "${T_CHAIN[@]}")
    want=${T_NEEDS[i]}
  done
}

# tap_run I [MARK]: runs check I (MARK "[set-up] ": as set-up of another); updates the state.
tap_run() {
  local i=$1 mark=${2:-} out rc=0 t0=$SECONDS
  if [[ -n ${VAULT_PLAN:-} ]]; then
    if [[ -n $mark ]]; then echo "plan: set-up ${T_NAME[i]}"; else echo "plan: check ${T_NAME[i]}"; fi
  else
    out=$(eval "${T_CMD[i]}" 2>&1) || rc=$?
    printf '# [%3ss] %s%s\n' "$((SECONDS - t0))" "$mark" "${T_NAME[i]}" >&2
    [[ -z $mark ]] || TAP_SETUPS=$((TAP_SETUPS + 1))
    if [[ $rc != 0 ]]; then tap_nok "$mark${T_NAME[i]}" "${out:-exit $rc}"; TAP_STATE=""; return 1; fi
    tap_ok "$mark${T_NAME[i]}"
  fi
  [[ ${T_LEAVES[i]} == - ]] || TAP_STATE=" ${T_LEAVES[i]} "
}

tap_reset() {
  if [[ -n ${VAULT_PLAN:-} ]]; then echo "plan: reset"; TAP_STATE=" locked "; return 0; fi
  REPLY=
  if "$TAP_RESET"; then TAP_STATE=" locked "; printf '# reset: the machine is back in its start state (locked)\n'; return 0; fi
  tap_nok "[set-up] the machine is reset to its start state" "${REPLY:-$TAP_RESET failed}"
  TAP_WHY="the reset before it failed"
  return 1
}

# tap_setup I: makes the state check I needs (see "Which checks run"); false, with TAP_WHY, if it could not.
tap_setup() {
  local need=${T_NEEDS[$1]} m j
  [[ $need == any || $TAP_STATE == *" $need "* ]] && return 0
  tap_chain "$need"
  # Start from the latest step whose own need holds now; from a reset when none does.
  for (( m = ${#T_CHAIN[@]} - 1; m >= 0; m-- )); do
    j=${T_CHAIN[m]}
    [[ ${T_NEEDS[j]} == any || $TAP_STATE == *" ${T_NEEDS[j]} "* ]] && break
  done
  if (( m < 0 )); then
    tap_reset || return 1
    m=0
  fi
  for j in "${T_CHAIN[@]:m}"; do
    tap_run "$j" "[set-up] " || { TAP_WHY="its set-up '${T_NAME[j]}' failed"; return 1; }
  done
}

tap_verdict() {
  local how=""
  [[ -z ${VAULT_CHECKS:-} ]] || how+=", filtered: $VAULT_CHECKS"
  [[ -z ${VAULT_CHECKS_ALONE:-} ]] || how+=", each check alone"
  (( TAP_SETUPS == 0 )) || how+="; $TAP_SETUPS ran as set-up"
  printf '1..%s\n' "$TAP_N"
  if [[ $TAP_FAILED == 0 && $TAP_N -gt 0 ]]; then
    printf '# vault scenario: PASS (%s passed, 0 failed%s)\n' "$TAP_PASSED" "$how"; exit 0
  fi
  printf '# vault scenario: FAIL (%s passed, %s failed%s)\n' "$TAP_PASSED" "$TAP_FAILED" "$how"; exit 1
}

finish() {
  local problems i picked=() rc
  problems=$(tap_verify) || tap_abort "the scenario's checks declare the states they need and leave" "${problems//$'\n'/; }"
  for i in "${!T_NAME[@]}"; do
    rc=0
    # shellcheck disable=SC2319 # the status of [[ =~ ]] is the point: 2 is a bad regex
    [[ ${T_NAME[i]} =~ ${VAULT_CHECKS:-} ]] || rc=$?
    (( rc != 2 )) || tap_abort "VAULT_CHECKS is a valid extended regular expression" "'$VAULT_CHECKS' is not"
    (( rc != 0 )) || picked+=("$i")
  done
  (( ${#picked[@]} > 0 )) || tap_abort "VAULT_CHECKS selects checks" \
    "no check name matches '$VAULT_CHECKS' (an extended regular expression matched against names such as '${T_NAME[0]}')"
  if [[ -n ${VAULT_PLAN:-} ]]; then
    :
  elif [[ -n ${TAP_PREPARE:-} ]]; then
    "$TAP_PREPARE"
  fi
  for i in "${picked[@]}"; do
    if [[ -n ${VAULT_CHECKS_ALONE:-} ]]; then
      tap_reset || { tap_nok "${T_NAME[i]}" "not run: $TAP_WHY"; continue; }
    fi
    if [[ -n ${VAULT_CHECKS:-}${VAULT_CHECKS_ALONE:-} ]]; then
      tap_setup "$i" || { tap_nok "${T_NAME[i]}" "not run: $TAP_WHY"; TAP_STATE=""; continue; }
    fi
    tap_run "$i" || true
  done
  [[ -z ${VAULT_PLAN:-} ]] || exit 0
  tap_verdict
}
