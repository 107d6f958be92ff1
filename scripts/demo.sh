#!/usr/bin/env bash
# Starts the embedded sandbox, applies examples/quickstart against it with the freshly built
# provider installed in a throwaway filesystem mirror, shows that a second plan is empty, prints
# what was granted (the outputs), and stops the sandbox.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=0.1.0
target_dir="${CARGO_TARGET_DIR:-$root/target}"
work="$(mktemp -d -t expel-demo-XXXXXX)"
sandbox_pid=""

cleanup() {
  if [[ -n "$sandbox_pid" ]]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$target_dir/debug/expel-sandbox" --env-file "$work/sandbox.env" --files-dir "$work" >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do
  [[ -s "$work/sandbox.env" ]] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.log" >&2; echo "error: the sandbox did not start" >&2; exit 1; }
  sleep 0.1
done
[[ -s "$work/sandbox.env" ]] || { echo "error: the sandbox wrote no environment file" >&2; exit 1; }
# shellcheck disable=SC1091
source "$work/sandbox.env"

platform="$(terraform version -json | sed -n 's/.*"platform": *"\([^"]*\)".*/\1/p')"
package="$work/mirror/registry.terraform.io/expel/expel/$version/$platform"
mkdir -p "$package"
ln -s "$target_dir/debug/terraform-provider-expel" "$package/terraform-provider-expel_v$version"
cat >"$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/expel/*"]
  }
}
RC

mkdir -p "$work/quickstart"
cp "$root"/examples/quickstart/*.tf "$work/quickstart/"
cd "$work/quickstart"
export TF_CLI_CONFIG_FILE="$work/terraform.rc" TF_DATA_DIR="$work/quickstart/.terraform" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

echo "==> sandbox at $EXPEL_GRAPH_ENDPOINT"
terraform init -input=false -no-color >/dev/null
terraform apply -input=false -auto-approve -no-color
echo "==> a second plan is empty"
set +e
terraform plan -input=false -no-color -detailed-exitcode
plan_code=$?
set -e
if [[ $plan_code -ne 0 ]]; then echo "error: the second plan was not empty (exit $plan_code)" >&2; exit 1; fi
echo "==> what was granted"
terraform output -no-color
