# shellcheck shell=bash
# smoke/vault/tap.sh - the TAP harness of the vault scenario (sourced).
#
#   check NAME FUNCTION [ARGS]   runs FUNCTION; it prints the reason and returns non-zero on failure
#   finish                       prints the plan "1..N" and THE verdict, exits 0 only if all passed
#
# This is the one place that decides pass or fail: the runner relays the verdict line and the
# exit status, Strata (ScenarioCheck) reads them; neither decides on its own.
TAP_PASSED=0 TAP_FAILED=0 TAP_N=0
tap_ok()  { TAP_N=$((TAP_N + 1)); TAP_PASSED=$((TAP_PASSED + 1)); printf 'ok - %s\n' "$1"; }
tap_nok() {
  local reason=${2//[$'\r\n']/ }
  TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
  printf 'not ok - %s: %s\n' "$1" "${reason:0:400}"
}
check() {
  local name=$1 out rc=0 t0=$SECONDS; shift
  # VAULT_CHECKS=ERE runs only the checks whose name matches (a fast loop while working on
  # a few; the verdict line then says "filtered"). Strata sets it only for the vault-scenario
  # target's --vault-checks (VaultMachine passes it on), a run that is never remembered as a proof.
  if [[ -n ${VAULT_CHECKS:-} && ! $name =~ $VAULT_CHECKS ]]; then return 0; fi
  out=$("$@" 2>&1) || rc=$?
  printf '# [%3ss] %s\n' "$((SECONDS - t0))" "$name" >&2
  if [[ $rc == 0 ]]; then tap_ok "$name"; else tap_nok "$name" "${out:-exit $rc}"; fi
}
finish() {
  printf '1..%s\n' "$TAP_N"
  if [[ $TAP_FAILED == 0 && $TAP_N -gt 0 ]]; then
    printf '# vault scenario: PASS (%s passed, 0 failed%s)\n' "$TAP_PASSED" "${VAULT_CHECKS:+, filtered: $VAULT_CHECKS}"; exit 0
  fi
  printf '# vault scenario: FAIL (%s passed, %s failed)\n' "$TAP_PASSED" "$TAP_FAILED"; exit 1
}
