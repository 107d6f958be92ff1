#!/usr/bin/env bash
# Builds the provider's release archives into dist/ in the Terraform registry's shape:
#   terraform-provider-expel_<v>_<os>_<arch>.zip   (holding terraform-provider-expel_v<v>)
#   terraform-provider-expel_<v>_SHA256SUMS
#   terraform-provider-expel_<v>_manifest.json      (protocol 6.0)
# linux_amd64 always (the host); other targets only where the toolchain allows (rust target
# installed and a C cross compiler for vendored OpenSSL), each skipped with a message otherwise.
#
#   VERSION   required, x.y.z
#   DIST      output directory (default dist/)
#   PROFILE   cargo profile (default release)
#   BINARY    package this host binary instead of building one (the packaging test's debug
#             build: it checks the archive shape and installation, not the compiler), host only
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${VERSION:?set VERSION=x.y.z}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "error: VERSION=$version is not semantic (x.y.z)" >&2; exit 1; }
dist="${DIST:-$root/dist}"
profile="${PROFILE:-release}"
cargo="${CARGO:-cargo}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
profile_dir=$([[ "$profile" == dev ]] && echo debug || echo "$profile")
name=terraform-provider-expel

mkdir -p "$dist"
rm -f "$dist/${name}_${version}_"*

zip_one() { # <zip> <dir> <file>
  if command -v zip >/dev/null; then (cd "$2" && zip -q -X "$1" "$3"); else (cd "$2" && python3 -m zipfile -c "$1" "$3"); fi
}

package() { # <binary> <os_arch>
  local stage; stage="$(mktemp -d)"
  cp "$1" "$stage/${name}_v${version}"
  if [[ "$profile" != dev ]]; then strip "$stage/${name}_v${version}" 2>/dev/null || true; fi
  zip_one "$dist/${name}_${version}_$2.zip" "$stage" "${name}_v${version}"
  rm -rf "$stage"
  echo "built $dist/${name}_${version}_$2.zip ($(du -h "$1" | cut -f1) binary)"
}

# The host: linux_amd64 (or whatever this machine is).
host_os=$(uname -s | tr '[:upper:]' '[:lower:]')
case "$(uname -m)" in x86_64) host_arch=amd64 ;; aarch64|arm64) host_arch=arm64 ;; *) host_arch=$(uname -m) ;; esac
if [[ -n "${BINARY:-}" ]]; then
  profile=dev
  package "$BINARY" "${host_os}_${host_arch}"
else
  CARGO_PROFILE_RELEASE_STRIP=symbols "$cargo" build --quiet --profile "$profile" -p "$name" --bin "$name"
  package "$target_dir/$profile_dir/$name" "${host_os}_${host_arch}"
fi

# Cross targets, where the toolchain allows.
installed=$(rustup target list --installed 2>/dev/null || true)
[[ -n "${BINARY:-}" ]] && { echo "BINARY given: the host archive only"; installed=""; }
for spec in aarch64-unknown-linux-gnu:linux_arm64:aarch64-linux-gnu-gcc \
            x86_64-apple-darwin:darwin_amd64:o64-clang \
            aarch64-apple-darwin:darwin_arm64:oa64-clang \
            x86_64-pc-windows-gnu:windows_amd64:x86_64-w64-mingw32-gcc; do
  IFS=: read -r triple os_arch cc <<<"$spec"
  [[ "$os_arch" == "${host_os}_${host_arch}" || -n "${BINARY:-}" ]] && continue
  if ! grep -qx "$triple" <<<"$installed"; then
    echo "skipping $os_arch: rust target $triple is not installed (rustup target add $triple)"; continue
  fi
  if ! command -v "$cc" >/dev/null; then
    echo "skipping $os_arch: no C cross compiler $cc for the vendored OpenSSL"; continue
  fi
  CARGO_PROFILE_RELEASE_STRIP=symbols "$cargo" build --quiet --profile "$profile" --target "$triple" -p "$name" --bin "$name"
  exe=$name; [[ "$triple" == *windows* ]] && exe="$name.exe"
  package "$target_dir/$triple/$profile_dir/$exe" "$os_arch"
done

cp "$root/terraform-registry-manifest.json" "$dist/${name}_${version}_manifest.json"
(cd "$dist" && sha256sum "${name}_${version}_"*.zip "${name}_${version}_manifest.json" >"${name}_${version}_SHA256SUMS")
echo "==> $dist"
(cd "$dist" && ls -l "${name}_${version}_"*)
