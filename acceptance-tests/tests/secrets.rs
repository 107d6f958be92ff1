//! No secret escapes, end to end through terraform at `TF_LOG=TRACE`: not the client secret,
//! the certificate password or private key, the OIDC token, an access token the sandbox
//! issued, nor the Workbench API key (the right one or a wrong one) reaches terraform's
//! output, its log file (which holds the provider's own TRACE logs), the state or its backup,
//! or any diagnostic, through a successful apply and two applies that fail on the APIs'
//! answers. Requests carry secrets only in headers and bodies: no request URI the sandbox
//! received holds one.
//!
//! Embedded sandbox only: the scan needs every access token the token endpoint issued.

use std::path::{Path, PathBuf};

use expel_acceptance_tests::harness::{Credentials, Outcome, Target, Workspace};
use expel_acceptance_tests::sandbox::Sandbox;

/// The role the second failing apply cannot assign once its permission is revoked.
const ROLE_PERMISSION: &str = "RoleManagement.ReadWrite.Directory";

/// Logs smaller than this cannot be a TRACE run of init and three applies.
const MIN_TRACE_LOG_BYTES: usize = 100_000;

/// The provider block when every credential comes from the environment.
const PROVIDER_FROM_ENVIRONMENT: &str = "provider \"expel\" {}";

/// The provider block when the client secret and API key are sensitive input variables
/// (given as `TF_VAR_*`), the way a configuration passes them from a secret store.
const PROVIDER_FROM_VARIABLES: &str = r#"variable "client_secret" {
  type      = string
  sensitive = true
}

variable "expel_api_key" {
  type      = string
  sensitive = true
}

provider "expel" {
  client_secret = var.client_secret
  api_key       = var.expel_api_key
}"#;

/// The configuration under test after `provider`: a lookup, an admin consent, a directory
/// role and a Workbench list; `with_security_reader` adds a second role assignment (a create
/// the apply must try).
fn config(provider: &str, expel_app_client_id: &str, with_security_reader: bool) -> String {
    let security_reader = if with_security_reader {
        r#"
resource "expel_role_assignment" "security_reader" {
  principal_id = data.expel_service_principal.expel.object_id
  role         = "Security Reader"
}
"#
    } else {
        ""
    };
    format!(
        r#"
{provider}

data "expel_service_principal" "expel" {{
  client_id = "{expel_app_client_id}"
}}

resource "expel_remediation_permissions" "reset" {{
  client_id   = data.expel_service_principal.expel.client_id
  remediation = "reset_credentials"
}}

resource "expel_role_assignment" "reset" {{
  principal_id = expel_remediation_permissions.reset.service_principal_id
  role         = expel_remediation_permissions.reset.required_directory_role
}}

resource "expel_context_list" "never_reset" {{
  name         = "Never reset"
  context_type = "email_address"
  values       = ["breakglass@contoso.com"]
}}

output "role_assignment_id" {{
  value = expel_role_assignment.reset.id
}}
{security_reader}"#
    )
}

/// A workspace whose every terraform command runs at `TF_LOG=TRACE` with its own
/// `TF_LOG_PATH` inside the workspace, keeping every command's stdout and stderr.
struct TracedWorkspace {
    workspace: Workspace,
    outputs: Vec<(String, String)>,
    logs: Vec<PathBuf>,
}

impl TracedWorkspace {
    fn new(env: Vec<(String, String)>) -> Self {
        Self {
            workspace: Workspace::new(env),
            outputs: Vec::new(),
            logs: Vec::new(),
        }
    }

    fn run(&mut self, args: &[&str]) -> Outcome {
        let log =
            self.workspace
                .path()
                .join(format!("trace-{:02}-{}.log", self.logs.len(), args[0]));
        self.workspace.set_env("TF_LOG", "TRACE");
        self.workspace
            .set_env("TF_LOG_PATH", &log.display().to_string());
        let outcome = self.workspace.run(args);
        self.outputs.push((
            format!("output of `terraform {}`", args.join(" ")),
            outcome.text(),
        ));
        self.logs.push(log);
        outcome
    }

    fn succeeds(&mut self, args: &[&str]) -> Outcome {
        let outcome = self.run(args);
        assert_eq!(
            outcome.code,
            0,
            "terraform {} failed:\n{}",
            args.join(" "),
            outcome.text()
        );
        outcome
    }

    fn init(&mut self) {
        self.succeeds(&["init", "-no-color", "-input=false"]);
    }

    fn apply(&mut self) {
        self.succeeds(&["apply", "-no-color", "-input=false", "-auto-approve"]);
    }

    /// An apply that must fail; returns its stdout and stderr.
    fn failing_apply(&mut self) -> String {
        let outcome = self.run(&["apply", "-no-color", "-input=false", "-auto-approve"]);
        assert_ne!(
            outcome.code,
            0,
            "apply was expected to fail:\n{}",
            outcome.text()
        );
        outcome.assert_no_backtrace();
        outcome.text()
    }

    /// Every command's TRACE log, concatenated.
    fn trace_logs(&self) -> String {
        self.logs
            .iter()
            .map(|log| {
                std::fs::read_to_string(log)
                    .unwrap_or_else(|err| panic!("TF_LOG_PATH {} unreadable: {err}", log.display()))
            })
            .collect()
    }
}

/// A secret and what it is, for the failure message.
struct Secret {
    what: String,
    value: String,
}

/// Every secret the run could leak: the seeded credentials, what the environment gave
/// terraform (the OIDC token, whether inline or in a file), the wrong API key, every access
/// token the sandbox issued and the client certificate's private key.
fn secrets(sandbox: &Sandbox, env: &[(String, String)], wrong_api_key: &str) -> Vec<Secret> {
    let seed = sandbox.seed();
    let mut secrets = vec![
        ("the client secret", seed.client_secret.clone()),
        (
            "the certificate password",
            seed.certificate_password.clone(),
        ),
        ("the Workbench API key", seed.api_key.clone()),
        (
            "the multi-organization API key",
            seed.multi_org_api_key.clone(),
        ),
        ("the wrong Workbench API key", wrong_api_key.to_owned()),
    ];
    for (name, value) in env {
        match name.as_str() {
            "ARM_CLIENT_SECRET"
            | "ARM_CLIENT_CERTIFICATE_PASSWORD"
            | "EXPEL_API_KEY"
            | "TF_VAR_client_secret"
            | "TF_VAR_expel_api_key" => {
                secrets.push(("a secret from the environment", value.clone()));
            }
            "ARM_OIDC_TOKEN" => secrets.push(("the OIDC token", value.clone())),
            "ARM_OIDC_TOKEN_FILE_PATH" => {
                let token = std::fs::read_to_string(value).expect("the OIDC token file");
                secrets.push(("the OIDC token from its file", token.trim().to_owned()));
            }
            _ => {}
        }
    }
    let mut all: Vec<Secret> = secrets
        .into_iter()
        .map(|(what, value)| Secret {
            what: what.to_owned(),
            value,
        })
        .collect();
    // A JWT's header and claims are not secret (and every RS256 JWT starts alike); its
    // signature is what makes it a credential, so a leaked signature alone counts too.
    let signatures: Vec<Secret> = all
        .iter()
        .filter(|s| s.value.starts_with("eyJ") && s.value.split('.').count() == 3)
        .filter_map(|s| {
            s.value.rsplit('.').next().map(|signature| Secret {
                what: format!("the signature of {}", s.what),
                value: signature.to_owned(),
            })
        })
        .collect();
    all.extend(signatures);

    let issued = sandbox.issued_access_tokens();
    assert!(
        !issued.is_empty(),
        "the sandbox issued no access token: the scan would prove nothing"
    );
    all.extend(issued.into_iter().enumerate().map(|(n, value)| Secret {
        what: format!("access token #{n} the sandbox issued"),
        value,
    }));
    all.push(Secret {
        what: "a line of the client certificate's private key".to_owned(),
        value: private_key_line(&seed.certificate_pem_path),
    });
    for secret in &all {
        assert!(
            secret.value.len() >= 16,
            "{} is too short to scan for: {:?}",
            secret.what,
            secret.value
        );
    }
    all
}

/// One full base64 line from inside the PEM file's private key block.
fn private_key_line(pem: &Path) -> String {
    let text = std::fs::read_to_string(pem).expect("the client certificate PEM");
    text.lines()
        .skip_while(|line| !line.contains("PRIVATE KEY-----"))
        .nth(2)
        .expect("a private key block in the PEM")
        .to_owned()
}

/// Every file terraform left in the workspace (state, its backup, logs, lock file, data dir),
/// except the provider binaries it installed.
fn workspace_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the workspace") {
            let path = entry.expect("a workspace entry").path();
            let kind = std::fs::symlink_metadata(&path)
                .expect("metadata")
                .file_type();
            if kind.is_dir() && path.file_name() != Some("providers".as_ref()) {
                pending.push(path);
            } else if kind.is_file() {
                let bytes = std::fs::read(&path).expect("read a workspace file");
                files.push((path, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    files
}

/// `%XX` sequences decoded (`+` kept), so an encoded secret in a query is still found.
fn percent_decoded(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The TRACE logs are real: large, with terraform's own plugin lines and the provider's
/// debug events for both APIs, so an empty or silent log cannot pass the scan.
fn assert_logs_are_trace_logs(logs: &str) {
    assert!(
        logs.len() >= MIN_TRACE_LOG_BYTES,
        "the TRACE logs are only {} bytes (is TF_LOG overridden in the environment?)",
        logs.len()
    );
    for expected in [
        "[TRACE]",
        "provider: plugin started",
        "terraform-provider-expel",
        "graph response",
        "workbench response",
    ] {
        assert!(
            logs.contains(expected),
            "the TRACE logs have no {expected:?} line"
        );
    }
}

/// Greps terraform's output of every command, every file in the workspace (the TRACE logs,
/// terraform.tfstate and its backup among them) and every request URI the sandbox received.
fn assert_no_secret_anywhere(run: &TracedWorkspace, sandbox: &Sandbox, secrets: &[Secret]) {
    let logs = run.trace_logs();
    assert_logs_are_trace_logs(&logs);

    let files = workspace_files(run.workspace.path());
    assert!(
        files
            .iter()
            .any(|(path, _)| path.ends_with("terraform.tfstate")),
        "no terraform.tfstate to scan"
    );
    for log in &run.logs {
        assert!(
            files.iter().any(|(path, _)| path == log),
            "no {} to scan",
            log.display()
        );
    }

    let uris = sandbox.request_uris();
    for expected in ["/oauth2/v2.0/token", "/v1.0/", "/api/v2/"] {
        assert!(
            uris.iter().any(|uri| uri.contains(expected)),
            "no request to {expected} was recorded: {uris:?}"
        );
    }

    let mut leaks = Vec::new();
    for secret in secrets {
        for (source, text) in &run.outputs {
            if text.contains(&secret.value) {
                leaks.push(format!("{} in the {source}", secret.what));
            }
        }
        for (path, text) in &files {
            if text.contains(&secret.value) {
                leaks.push(format!("{} in {}", secret.what, path.display()));
            }
        }
        for uri in &uris {
            if uri.contains(&secret.value) || percent_decoded(uri).contains(&secret.value) {
                leaks.push(format!("{} in the request URI {uri}", secret.what));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}

/// Where the provider's secrets are given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Given {
    /// `ARM_*` / `EXPEL_API_KEY` environment variables.
    Environment,
    /// Sensitive variables in the provider block.
    ProviderBlock,
}

/// Applies the configuration with `credentials` and the Workbench API key, then an apply
/// Workbench refuses (wrong API key) and one Graph refuses (a revoked permission), all at
/// TRACE, and scans everything for secrets.
fn no_secret_escapes_with(credentials: Credentials, given: Given) {
    let target = Target::from_env();
    let Some(sandbox) =
        target.sandbox_only("scans the tokens the sandbox issued and the URIs it received")
    else {
        return;
    };
    let seed = sandbox.seed().clone();
    let mut env = target.environment(credentials);
    let (provider, api_key_variable) = match given {
        Given::Environment => (PROVIDER_FROM_ENVIRONMENT, "EXPEL_API_KEY"),
        Given::ProviderBlock => {
            env.retain(|(name, _)| name != "ARM_CLIENT_SECRET" && name != "EXPEL_API_KEY");
            env.push(("TF_VAR_client_secret".into(), seed.client_secret.clone()));
            env.push(("TF_VAR_expel_api_key".into(), seed.api_key.clone()));
            (PROVIDER_FROM_VARIABLES, "TF_VAR_expel_api_key")
        }
    };
    let wrong_api_key = format!("wrong-api-key-{}", uuid::Uuid::new_v4().simple());
    let mut run = TracedWorkspace::new(env.clone());

    run.workspace
        .config(&config(provider, &seed.expel_app_client_id, false));
    run.init();
    run.apply();

    run.workspace.set_env(api_key_variable, &wrong_api_key);
    let refused_key = run.failing_apply();
    assert!(
        refused_key.contains("api_key") && refused_key.contains("401"),
        "the failure is not Workbench refusing the key:\n{refused_key}"
    );
    run.workspace.set_env(api_key_variable, &seed.api_key);

    sandbox.revoke_provider_permission(ROLE_PERMISSION);
    run.workspace
        .config(&config(provider, &seed.expel_app_client_id, true));
    let refused_role = run.failing_apply();
    assert!(
        refused_role.contains(ROLE_PERMISSION),
        "the failure is not Graph refusing the role assignment:\n{refused_role}"
    );

    run.succeeds(&["show", "-no-color", "-json"]);
    run.succeeds(&["output", "-no-color", "-json"]);

    let secrets = secrets(sandbox, &env, &wrong_api_key);
    assert_no_secret_anywhere(&run, sandbox, &secrets);
}

#[test]
fn no_secret_reaches_terraform_output_logs_or_state_with_a_client_secret() {
    no_secret_escapes_with(Credentials::Secret, Given::Environment);
}

#[test]
fn no_secret_reaches_terraform_output_logs_or_state_with_a_pfx_certificate_and_password() {
    no_secret_escapes_with(Credentials::CertificatePfx, Given::Environment);
}

#[test]
fn no_secret_reaches_terraform_output_logs_or_state_with_an_inline_oidc_token() {
    no_secret_escapes_with(Credentials::OidcToken, Given::Environment);
}

#[test]
fn no_secret_reaches_terraform_output_logs_or_state_with_an_oidc_token_file() {
    no_secret_escapes_with(Credentials::OidcTokenFile, Given::Environment);
}

#[test]
fn no_secret_reaches_terraform_output_logs_or_state_from_sensitive_provider_block_variables() {
    no_secret_escapes_with(Credentials::Secret, Given::ProviderBlock);
}
