#!/usr/bin/env bash
# The acceptance suite again with every sandbox fault at once (SANDBOX_FAULTS=hostile:
# 100–300 ms latency, 20 % 429, 5 % 503, 3 % lost answers, 10 s replication lag, tokens
# refused after 20 s). Left out: the test files that set faults of their own throughout
# (faults, interrupted, concurrency, sandbox_api), and the tests that count requests exactly
# or time Terraform core (request_budget*, five_thousand*), which retries would only blur.
# The test binaries mostly wait on the sandbox, so they run side by side.
set -euo pipefail
read -r -a cargo <<<"${CARGO:-cargo}"
tests=(role_assignment remediation_permissions context_list service_principal_data_source
  bad_input secrets timeouts)
"${cargo[@]}" test -q -p expel-acceptance-tests "${tests[@]/#/--test=}" --no-run
logs=$(mktemp -d)
pids=()
# Stop the test runs still going if this script is interrupted; keep its exit status.
trap 'if ((${#pids[@]})); then kill "${pids[@]}" 2>/dev/null || true; fi; rm -rf "$logs"' EXIT
for t in "${tests[@]}"; do
  SANDBOX_FAULTS=hostile "${cargo[@]}" test -q -p expel-acceptance-tests --test "$t" -- \
    --test-threads=3 --skip request_budget --skip five_thousand >"$logs/$t.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!tests[@]}"; do
  if wait "${pids[$i]}"; then
    echo "under faults: ${tests[$i]}: $(grep -h 'test result' "$logs/${tests[$i]}.log" | tail -1)"
  else
    status=1
    echo "under faults: ${tests[$i]} FAILED:" >&2
    cat "$logs/${tests[$i]}.log" >&2
  fi
done
pids=()
exit "$status"
