#!/usr/bin/env bash
# The resources' lifecycle and import tests again, with every sandbox fault at once
# (SANDBOX_FAULTS=hostile: latency, 429s, 503s, lost answers, replication lag, expiring
# tokens). The three test binaries mostly wait on the sandbox, so they run side by side.
set -euo pipefail
read -r -a cargo <<<"${CARGO:-cargo}"
tests=(role_assignment remediation_permissions context_list)
"${cargo[@]}" test -q -p expel-acceptance-tests "${tests[@]/#/--test=}" --no-run
logs=$(mktemp -d)
pids=()
# Stop the test runs still going if this script is interrupted; keep its exit status.
trap 'if ((${#pids[@]})); then kill "${pids[@]}" 2>/dev/null || true; fi; rm -rf "$logs"' EXIT
for t in "${tests[@]}"; do
  SANDBOX_FAULTS=hostile "${cargo[@]}" test -q -p expel-acceptance-tests --test "$t" -- \
    --test-threads=4 lifecycle import_blocks >"$logs/$t.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!tests[@]}"; do
  if wait "${pids[$i]}"; then
    echo "under faults: ${tests[$i]} passed"
  else
    status=1
    echo "under faults: ${tests[$i]} FAILED:" >&2
    cat "$logs/${tests[$i]}.log" >&2
  fi
done
pids=()
exit "$status"
