//! The release archives (`scripts/release.sh`, what `make release` runs) in the registry's
//! shape, installed into a fresh filesystem mirror (the packed layout: the zip itself) and
//! used by `terraform init` and `plan` against the sandbox. The archive packs the debug build
//! the other tests use: this checks the shape and the installation, not the release compiler.

use std::path::Path;
use std::process::Command;

use expel_acceptance_tests::harness::{provider_binary, Credentials, Target, Workspace};

const VERSION: &str = "1.2.3";

#[test]
fn release_archives_install_from_a_fresh_mirror() {
    let target = Target::from_env();
    let dist = tempfile::tempdir().expect("a dist directory");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/release.sh");
    let output = Command::new("bash")
        .arg(&script)
        .env("VERSION", VERSION)
        .env("DIST", dist.path())
        .env("BINARY", provider_binary())
        .output()
        .expect("run scripts/release.sh");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "release.sh failed:\n{log}");

    let prefix = format!("terraform-provider-expel_{VERSION}");
    let zip = format!("{prefix}_linux_amd64.zip");
    let mut files: Vec<String> = std::fs::read_dir(dist.path())
        .expect("dist")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(files.contains(&zip), "{files:?}\n{log}");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dist.path().join(format!("{prefix}_manifest.json")))
            .expect("the manifest"),
    )
    .expect("manifest JSON");
    assert_eq!(
        manifest["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );
    let sums = std::fs::read_to_string(dist.path().join(format!("{prefix}_SHA256SUMS")))
        .expect("the SHA256SUMS file");
    assert!(
        sums.contains(&zip) && sums.contains("_manifest.json"),
        "{sums}"
    );
    let check = Command::new("sha256sum")
        .arg("-c")
        .arg(format!("{prefix}_SHA256SUMS"))
        .current_dir(dist.path())
        .output()
        .expect("sha256sum");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // A fresh mirror holding only the archive (packed layout), used by a fresh workspace.
    let mirror = tempfile::tempdir().expect("a mirror");
    let package = mirror.path().join("registry.terraform.io/expel/expel");
    std::fs::create_dir_all(&package).expect("mirror layout");
    std::fs::copy(dist.path().join(&zip), package.join(&zip)).expect("copy the archive");
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    std::fs::write(
        workspace.path().join("terraform.rc"),
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/expel/*\"]\n  }}\n}}\n",
            mirror.path().display().to_string()
        ),
    )
    .expect("CLI config");
    let Some(client_id) = target.expel_app_client_id() else {
        return;
    };
    workspace.config(&format!(
        "provider \"expel\" {{}}\n\ndata \"expel_service_principal\" \"expel\" {{\n  client_id = {:?}\n}}\n\noutput \"expel\" {{\n  value = data.expel_service_principal.expel.display_name\n}}\n",
        client_id
    ));
    let init = workspace.init();
    assert!(
        init.stdout
            .contains(&format!("Installing expel/expel v{VERSION}")),
        "{}",
        init.stdout
    );
    let plan = workspace.ok(&["plan", "-no-color", "-input=false"]);
    assert!(plan.stdout.contains("expel"), "{}", plan.stdout);
}
