# Sourced by test-faults.sh and testacc.sh: runs acceptance test binaries side by side (they
# mostly wait on the APIs), each into a log of its own.
#
# side_by_side LABEL RUN TEST...  runs `RUN TEST` for each TEST in the background, then prints
#   "LABEL: TEST: <cargo's result line>" for each, or its whole log when it failed; returns 1
#   when any failed.
# side_by_side_stop               kills the runs still going and removes the logs; callers put
#   it in their EXIT trap so an interrupted script stops its runs.

_side_by_side_pids=()
_side_by_side_logs=

side_by_side() {
  local label=$1 run=$2
  shift 2
  local tests=("$@") status=0 i
  _side_by_side_logs=$(mktemp -d)
  for t in "${tests[@]}"; do
    "$run" "$t" >"$_side_by_side_logs/$t.log" 2>&1 &
    _side_by_side_pids+=($!)
  done
  for i in "${!tests[@]}"; do
    if wait "${_side_by_side_pids[$i]}"; then
      echo "$label: ${tests[$i]}: $(grep -h 'test result' "$_side_by_side_logs/${tests[$i]}.log" | tail -1)"
    else
      status=1
      echo "$label: ${tests[$i]} FAILED:" >&2
      cat "$_side_by_side_logs/${tests[$i]}.log" >&2
    fi
  done
  _side_by_side_pids=()
  return "$status"
}

side_by_side_stop() {
  if ((${#_side_by_side_pids[@]})); then
    kill "${_side_by_side_pids[@]}" 2>/dev/null || true
  fi
  if [[ -n "$_side_by_side_logs" ]]; then
    rm -rf "$_side_by_side_logs"
  fi
}
