//! Builds the provider binary once per test process and lays out a filesystem mirror.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Version the provider is installed under in the mirror.
pub const PROVIDER_VERSION: &str = "0.1.0";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests lives inside the workspace")
        .to_path_buf()
}

fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

/// The cargo profile a provider binary is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// `cargo build` (what the acceptance tests use).
    Debug,
    /// `cargo build --release` (what users run; benchmarks of memory and start time).
    Release,
}

impl Build {
    /// The profile's directory under the target directory, and its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Build::Debug => "debug",
            Build::Release => "release",
        }
    }
}

/// Builds `terraform-provider-expel` with `build` (a no-op when up to date) and returns its
/// path.
pub fn build_provider(build: Build) -> PathBuf {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(describes_running_package) {
            command.env_remove(name);
        }
    }
    let status = command
        .current_dir(&root)
        .args([
            "build",
            "--quiet",
            "-p",
            "terraform-provider-expel",
            "--bin",
            "terraform-provider-expel",
        ])
        .args((build == Build::Release).then_some("--release"))
        .status()
        .expect("cargo must be runnable to build the provider");
    assert!(status.success(), "building terraform-provider-expel failed");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let binary = target_dir
        .join(build.name())
        .join("terraform-provider-expel");
    assert!(
        binary.is_file(),
        "no provider binary at {}",
        binary.display()
    );
    binary
}

/// Variables cargo sets to describe the package of the running test. Build scripts that
/// track them (ring's does) would see another package than in a plain `cargo build`, and each
/// switch between the two would rebuild half the dependency tree.
fn describes_running_package(name: &str) -> bool {
    matches!(
        name,
        "CARGO_MANIFEST_DIR"
            | "CARGO_MANIFEST_PATH"
            | "CARGO_CRATE_NAME"
            | "CARGO_BIN_NAME"
            | "CARGO_PRIMARY_PACKAGE"
            | "CARGO_TARGET_TMPDIR"
    ) || name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_BIN_EXE_")
}

/// The freshly built (debug) provider binary, built once per test process, for running it by
/// hand as `terraform-provider-expel discover`.
pub fn provider_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| build_provider(Build::Debug))
}

/// A filesystem mirror (removed when dropped) holding `binary` as `expel/expel`
/// `PROVIDER_VERSION`.
pub fn mirror_of(binary: &Path) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("expel-mirror-")
        .tempdir()
        .expect("temporary directory for the provider mirror");
    let package = dir
        .path()
        .join("registry.terraform.io/expel/expel")
        .join(PROVIDER_VERSION)
        .join(platform());
    std::fs::create_dir_all(&package).expect("mirror layout");
    let installed = package.join(format!("terraform-provider-expel_v{PROVIDER_VERSION}"));
    std::os::unix::fs::symlink(binary, &installed).expect("link the provider into the mirror");
    dir
}

/// A filesystem mirror holding the freshly built (debug) provider, shared by the tests of
/// this process.
pub fn provider_mirror() -> &'static Path {
    static MIRROR: OnceLock<tempfile::TempDir> = OnceLock::new();
    MIRROR.get_or_init(|| mirror_of(provider_binary())).path()
}
