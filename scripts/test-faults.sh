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
  bad_input secrets timeouts remediation_readiness auto_remediation)
"${cargo[@]}" test -q -p expel-acceptance-tests "${tests[@]/#/--test=}" --no-run
# shellcheck source=scripts/side-by-side.sh
source "$(dirname "$0")/side-by-side.sh"
trap side_by_side_stop EXIT
run() {
  SANDBOX_FAULTS=hostile "${cargo[@]}" test -q -p expel-acceptance-tests --test "$1" -- \
    --test-threads=3 --skip request_budget --skip five_thousand
}
side_by_side "under faults" run "${tests[@]}"
