#!/usr/bin/env bash
# The acceptance tests against the tenant and Workbench organization the ARM_* / EXPEL_*
# variables describe (TF_ACC=1). Each test runs against it or records why it cannot
# (sandbox-only: it needs fault injection, request counts or the sandbox's insides; or a
# variable it needs is not set); the run ends with a summary line counting both, and fails
# when no test ran at all. sandbox_api is left out: it tests the sandbox itself. The test
# binaries mostly wait on the APIs, so they run side by side; arguments go to each of them.
set -euo pipefail
read -r -a cargo <<<"${CARGO:-cargo}"
tests=(role_assignment remediation_permissions context_list service_principal_data_source
  bad_input secrets timeouts faults interrupted concurrency remediation_readiness auto_remediation)
"${cargo[@]}" test -q -p expel-acceptance-tests "${tests[@]/#/--test=}" --no-run
summary=$(mktemp)
# shellcheck source=scripts/side-by-side.sh
source "$(dirname "$0")/side-by-side.sh"
trap 'side_by_side_stop; rm -f "$summary"' EXIT
args=("$@")
run() {
  TF_ACC=1 EXPEL_ACC_SUMMARY="$summary" "${cargo[@]}" test -q -p expel-acceptance-tests \
    --test "$1" -- --test-threads=4 "${args[@]}"
}
status=0
side_by_side testacc run "${tests[@]}" || status=$?

ran=$(grep -c '^ran	' "$summary" || true)
skipped=$(grep -c '^skipped	' "$summary" || true)
failed=$(grep -c '^failed	' "$summary" || true)
reasons=$(grep '^skipped	' "$summary" | cut -f3 | sed 's/:.*//' | sort | uniq -c |
  awk '{n=$1; $1=""; printf "%s%d%s", sep, n, $0; sep=","}' | sed 's/,/, /g')
echo "testacc: ${ran} tests ran against the tenant, ${skipped} skipped${reasons:+ (${reasons})}, ${failed} failed"
if [[ -n "${TESTACC_VERBOSE:-}" ]]; then
  grep '^skipped	' "$summary" | cut -f2,3 | sort
fi
if ((ran == 0)); then
  echo "testacc: no test ran against the tenant; that is not a pass" >&2
  exit 1
fi
exit "$status"
