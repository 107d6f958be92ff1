//! The provider binary run by hand, outside terraform: it says what it is, and offers the
//! `discover` subcommand. Terraform starts its plugins with the plugin magic cookie in the
//! environment; without it the binary never waits for a handshake that will not come.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::discover::{self, Options};
use crate::provider::config::{ProviderConfig, Settings};
use crate::provider::{build_clients, BuildError};

/// The variable Terraform (through HashiCorp's go-plugin) sets for every plugin it starts.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// Its value for Terraform's providers.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Exit code: discover found something to import.
pub const EXIT_FOUND: i32 = 0;
/// Exit code: an error (including bad arguments, and running without a subcommand).
pub const EXIT_ERROR: i32 = 1;
/// Exit code: discover found nothing to import.
pub const EXIT_NOTHING_FOUND: i32 = 2;

/// How long discovery may take, retries of throttled calls included.
const DISCOVER_LIMIT: Duration = Duration::from_secs(15 * 60);

/// Whether terraform started this process (the magic cookie is in the environment).
pub fn launched_by_terraform(cookie: Option<&str>) -> bool {
    cookie == Some(MAGIC_COOKIE_VALUE)
}

const ABOUT: &str = "The Terraform provider for Expel's Microsoft 365 auto remediations (Reset Credentials, Remove Malicious Email).";

const NOT_A_COMMAND: &str = "This binary is a Terraform plugin: terraform starts it (declare source = \"expel/expel\" in required_providers) and it serves terraform alone. Run by hand, it offers the subcommands below.";

/// `terraform-provider-expel` run by hand.
#[derive(Debug, Parser)]
#[command(
    name = "terraform-provider-expel",
    version,
    about = ABOUT,
    long_about = format!("{ABOUT}\n\n{NOT_A_COMMAND}"),
    after_help = "Exit codes: 0 found, 1 error, 2 nothing found (discover)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write `import {}` blocks for what a tenant set up by hand already holds of the
    /// remediations: grants (and custom-app declarations), User Administrator / Security
    /// Reader assignments, and the Workbench context lists. Reads only.
    #[command(long_about = DISCOVER_LONG)]
    Discover(DiscoverArgs),
}

const DISCOVER_LONG: &str = "Write `import {}` blocks for what a tenant set up by hand already holds of the remediations: each grant of User.ReadWrite.All or Exchange.ManageAsApp (with its declaration, for a custom app), each User Administrator / Security Reader assignment of those apps' service principals, and each Workbench context list of type username or email_address. Each block carries a comment saying what it is.

It reads only, with the provider's own configuration: the same ARM_* / EXPEL_* / AZURE_AUTHORITY_HOST variables and credential precedence as the provider block (see docs/index.md). Then run `terraform plan -generate-config-out=generated.tf`, review generated.tf, and `terraform apply` imports everything without changing anything.

Progress goes to standard error. Exit codes: 0 found, 1 error, 2 nothing found.";

/// The arguments of `discover`.
#[derive(Debug, clap::Args)]
pub struct DiscoverArgs {
    /// Application (client) id of an app to look at; repeat for several. Default: the Expel
    /// Microsoft 365 Integration app and every app holding one of the remediation permissions.
    #[arg(long = "client-id", value_name = "CLIENT_ID")]
    pub client_ids: Vec<String>,
    /// Write the import blocks to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs the binary as a command with `args` (the program name first) and returns the exit
/// code. Messages go to standard error; discover's blocks to standard output or `--output`.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => EXIT_ERROR,
            };
        }
    };
    match cli.command {
        None => {
            let mut help = <Cli as clap::CommandFactory>::command();
            eprintln!("terraform-provider-expel {}", env!("CARGO_PKG_VERSION"));
            eprintln!("{}", help.render_help());
            eprintln!("{NOT_A_COMMAND}");
            EXIT_ERROR
        }
        Some(Command::Discover(args)) => run_discover(args),
    }
}

fn run_discover(args: DiscoverArgs) -> i32 {
    match discover_blocking(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("Error: {message}");
            EXIT_ERROR
        }
    }
}

fn discover_blocking(args: &DiscoverArgs) -> Result<i32, String> {
    for client_id in &args.client_ids {
        if uuid::Uuid::parse_str(client_id).is_err() {
            return Err(format!("--client-id {client_id:?} is not a GUID; use the application (client) id of the Expel integration app or of your custom app."));
        }
    }
    let settings = Settings::resolve(&ProviderConfig::default(), &|name| std::env::var(name).ok())
        .map_err(|errors| {
            errors
                .iter()
                .map(|e| format!("{}: {}", e.summary(), e.detail()))
                .collect::<Vec<_>>()
                .join("\nError: ")
        })?;
    let clients = build_clients(settings).map_err(|err: BuildError| err.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    let options = Options {
        client_ids: args.client_ids.clone(),
    };
    let progress = |line: &str| eprintln!("discover: {line}");
    let unavailable = |u: &crate::framework::Unavailable| format!("{}: {}", u.summary, u.detail);
    let findings = runtime.block_on(async {
        crate::http::deadline::within(
            DISCOVER_LIMIT,
            discover::discover(
                clients.graph.as_ref().map_err(unavailable),
                clients.workbench.as_ref().map_err(unavailable),
                &options,
                &progress,
            ),
        )
        .await
    });
    let findings = match findings {
        Ok(Ok(findings)) => findings,
        Ok(Err(err)) => return Err(err.to_string()),
        Err(elapsed) => {
            return Err(format!(
                "discover ran out of time ({} min) while waiting for {}",
                DISCOVER_LIMIT.as_secs() / 60,
                elapsed.waiting_for
            ))
        }
    };
    for note in &findings.notes {
        eprintln!("discover: note: {note}");
    }
    if findings.imports.is_empty() {
        eprintln!("discover: found nothing to import");
        return Ok(EXIT_NOTHING_FOUND);
    }
    let text = discover::render::import_blocks(&findings.imports).map_err(|e| e.to_string())?;
    match &args.output {
        Some(path) => std::fs::write(path, &text)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|err| format!("cannot write to standard output: {err}"))?;
        }
    }
    let count = |t: &str| {
        findings
            .imports
            .iter()
            .filter(|i| i.resource_type == t)
            .count()
    };
    eprintln!(
        "discover: found {} object(s) to import: {} remediation permission(s), {} role assignment(s), {} context list(s){}",
        findings.imports.len(),
        count("expel_remediation_permissions"),
        count("expel_role_assignment"),
        count("expel_context_list"),
        args.output
            .as_ref()
            .map(|p| format!("; wrote {}", p.display()))
            .unwrap_or_default()
    );
    Ok(EXIT_FOUND)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(args: &[&str]) -> i32 {
        run(args.iter().map(OsString::from))
    }

    #[test]
    fn no_subcommand_is_an_error() {
        assert_eq!(code(&["terraform-provider-expel"]), EXIT_ERROR);
    }

    #[test]
    fn unknown_arguments_are_errors() {
        assert_eq!(code(&["terraform-provider-expel", "serve"]), EXIT_ERROR);
        assert_eq!(code(&["terraform-provider-expel", "--debug"]), EXIT_ERROR);
        assert_eq!(
            code(&["terraform-provider-expel", "discover", "--bogus"]),
            EXIT_ERROR
        );
        assert_eq!(
            code(&["terraform-provider-expel", "discover", "--client-id", "x"]),
            EXIT_ERROR
        );
    }

    #[test]
    fn help_succeeds() {
        assert_eq!(code(&["terraform-provider-expel", "--help"]), 0);
        assert_eq!(code(&["terraform-provider-expel", "discover", "--help"]), 0);
    }

    #[test]
    fn only_terraform_s_cookie_means_terraform() {
        assert!(launched_by_terraform(Some(MAGIC_COOKIE_VALUE)));
        assert!(!launched_by_terraform(None));
        assert!(!launched_by_terraform(Some("1")));
    }
}
