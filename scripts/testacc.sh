#!/usr/bin/env bash
# The acceptance tests against the tenant and Workbench organization the ARM_* / EXPEL_*
# variables describe (TF_ACC=1). Each test runs against it or records why it cannot
# (sandbox-only: it needs fault injection, request counts or the sandbox's insides); the run
# ends with a summary line counting both, and fails when no test ran at all. sandbox_api is
# left out: it tests the sandbox itself.
set -euo pipefail
read -r -a cargo <<<"${CARGO:-cargo}"
tests=(role_assignment remediation_permissions context_list service_principal_data_source
  bad_input secrets timeouts faults interrupted concurrency)
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
status=0
TF_ACC=1 EXPEL_ACC_SUMMARY="$summary" "${cargo[@]}" test -p expel-acceptance-tests \
  "${tests[@]/#/--test=}" -- "$@" || status=$?

ran=$(grep -c '^ran	' "$summary" || true)
skipped=$(grep -c '^skipped	' "$summary" || true)
failed=$(grep -c '^failed	' "$summary" || true)
reasons=$(grep '^skipped	' "$summary" | cut -f3 | sed 's/:.*//' | sort | uniq -c |
  awk '{n=$1; $1=""; printf "%s%d%s", sep, n, $0; sep=", "}')
echo "testacc: ${ran} tests ran against the tenant, ${skipped} skipped${reasons:+ (${reasons})}, ${failed} failed"
if [[ -n "${TESTACC_VERBOSE:-}" ]]; then
  grep '^skipped	' "$summary" | cut -f2,3 | sort
fi
if ((ran == 0)); then
  echo "testacc: no test ran against the tenant; that is not a pass" >&2
  exit 1
fi
exit "$status"
