#!/usr/bin/env bash
# Proves the real-tenant path here: starts expel-sandbox as a separate process, exports its
# variables the way a real tenant's would be set (and nothing else of it), and runs
# `make testacc` against it. Every test that is not sandbox-only must run and pass.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a cargo <<<"${CARGO:-cargo}"
"${cargo[@]}" build -q -p expel-acceptance-tests --bin expel-sandbox
bin="${CARGO_TARGET_DIR:-target}/debug/expel-sandbox"
dir=$(mktemp -d)
pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" --env-file "$dir/env" >"$dir/sandbox.log" 2>&1 &
pid=$!
for _ in $(seq 200); do
  [[ -s "$dir/env" ]] && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/sandbox.log" >&2; exit 1; }
  sleep 0.1
done
# shellcheck disable=SC1091
source "$dir/env"
scripts/testacc.sh "$@"
