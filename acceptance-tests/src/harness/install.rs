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

/// Builds `terraform-provider-expel` (a no-op when up to date) and returns its path.
fn build_provider() -> PathBuf {
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
        .status()
        .expect("cargo must be runnable to build the provider");
    assert!(status.success(), "building terraform-provider-expel failed");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let binary = target_dir.join("debug").join("terraform-provider-expel");
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

/// The freshly built provider binary (built once per test process), for running it by hand
/// as `terraform-provider-expel discover`.
pub fn provider_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build_provider)
}

/// A filesystem mirror holding the freshly built provider as `expel/expel` `PROVIDER_VERSION`,
/// shared by the tests of this process.
pub fn provider_mirror() -> &'static Path {
    static MIRROR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = MIRROR.get_or_init(|| {
        let binary = provider_binary();
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
        let path = dir.path().to_path_buf();
        (dir, path)
    });
    path
}
