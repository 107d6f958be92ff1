//! `expel-sandbox`: runs the embedded sandbox in the foreground and prints the environment
//! variables that point the provider at it; its subcommands change a running sandbox's tenant
//! as another tool would (for provisioners in acceptance tests and for trying things by hand).

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use expel_acceptance_tests::sandbox::{Faults, Sandbox, SandboxConfig};

/// Loopback fake of Entra ID, Microsoft Graph and Expel Workbench for the expel provider.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Page size of every collection.
    #[arg(long, default_value_t = 100)]
    page_size: usize,
    /// Added latency per request, MIN-MAX milliseconds (e.g. 100-300).
    #[arg(long, value_parser = parse_range)]
    latency_ms: Option<(u64, u64)>,
    /// Percent of requests answered 429 with Retry-After.
    #[arg(long, default_value_t = 0)]
    throttle_percent: u8,
    /// Retry-After seconds on 429 answers.
    #[arg(long, default_value_t = 1)]
    retry_after_seconds: u64,
    /// Percent of requests answered 503.
    #[arg(long, default_value_t = 0)]
    server_error_percent: u8,
    /// Percent of requests whose connection is dropped.
    #[arg(long, default_value_t = 0)]
    reset_percent: u8,
    /// Entra replication lag in milliseconds.
    #[arg(long, default_value_t = 0)]
    replication_lag_ms: u64,
    /// Reads of an app registration serve the list before its last PATCH for this long.
    #[arg(long, default_value_t = 0)]
    stale_read_ms: u64,
    /// Graph refuses tokens older than this many seconds.
    #[arg(long)]
    token_lifetime_seconds: Option<u64>,
    /// Seeds this many more service principals (`Benchmark App NNNN`, listed in
    /// /_sandbox/state), as in a large tenant.
    #[arg(long, default_value_t = 0)]
    extra_service_principals: usize,
    /// Where to write the client certificate files (default: a temporary directory).
    #[arg(long)]
    files_dir: Option<PathBuf>,
    /// Also write the export lines to this file.
    #[arg(long)]
    env_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Changes to a running sandbox (`--url` is where it listens).
#[derive(Subcommand, Debug)]
enum Command {
    /// Creates an app's service principal (and, with --object-id, its registration) that Graph
    /// does not see for --lag-ms, like an app azuread made moments ago.
    CreateApp {
        #[arg(long)]
        url: String,
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        service_principal_id: String,
        #[arg(long)]
        object_id: Option<String>,
        #[arg(long, default_value = "App created during the apply")]
        name: String,
        #[arg(long, default_value_t = 0)]
        lag_ms: u64,
    },
    /// Declares a permission on an app registration by hand, as the portal would.
    Declare {
        #[arg(long)]
        url: String,
        /// The registration's appId.
        #[arg(long)]
        app_id: String,
        #[arg(long)]
        resource_app_id: String,
        /// The permission's id.
        #[arg(long)]
        id: String,
        /// Role (application permission) or Scope (delegated).
        #[arg(long, default_value = "Role")]
        kind: String,
    },
}

/// Sends one admin request to a running sandbox; exits 1 when it is refused.
fn admin(url: &str, route: &str, body: serde_json::Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let outcome = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{}{route}", url.trim_end_matches('/')))
            .json(&body)
            .send()
            .await
            .map_err(|err| err.to_string())?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{status}: {text}"))
        }
    });
    if let Err(err) = outcome {
        eprintln!("expel-sandbox: {route} failed: {err}");
        std::process::exit(1);
    }
}

fn run(command: Command) {
    match command {
        Command::CreateApp {
            url,
            client_id,
            service_principal_id,
            object_id,
            name,
            lag_ms,
        } => admin(
            &url,
            "/_sandbox/admin/apps",
            serde_json::json!({"client_id": client_id, "service_principal_id": service_principal_id, "object_id": object_id, "name": name, "lag_ms": lag_ms}),
        ),
        Command::Declare {
            url,
            app_id,
            resource_app_id,
            id,
            kind,
        } => admin(
            &url,
            "/_sandbox/admin/declare",
            serde_json::json!({"app_id": app_id, "resource_app_id": resource_app_id, "id": id, "type": kind}),
        ),
    }
}

fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let (min, max) = text.split_once('-').unwrap_or((text, text));
    let parse = |v: &str| {
        v.trim()
            .parse::<u64>()
            .map_err(|_| format!("{text:?} is not MIN-MAX milliseconds"))
    };
    let (min, max) = (parse(min)?, parse(max)?);
    if min > max {
        return Err(format!("{text:?}: MIN is larger than MAX"));
    }
    Ok((min, max))
}

fn main() {
    let mut args = Args::parse();
    if let Some(command) = args.command.take() {
        run(command);
        return;
    }
    let config = SandboxConfig {
        faults: Faults {
            latency_ms: args.latency_ms.unwrap_or((0, 0)),
            throttle_percent: args.throttle_percent,
            retry_after_seconds: args.retry_after_seconds,
            server_error_percent: args.server_error_percent,
            reset_percent: args.reset_percent,
            replication_lag_ms: args.replication_lag_ms,
            token_lifetime_seconds: args.token_lifetime_seconds,
            stale_read_ms: args.stale_read_ms,
            only_routes: Vec::new(),
        },
        page_size: args.page_size,
        files_dir: args.files_dir,
        port: args.port,
    };
    let sandbox = match Sandbox::start(config) {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("expel-sandbox: cannot start: {err}");
            std::process::exit(1);
        }
    };
    if args.extra_service_principals > 0 {
        sandbox.with_world(|world| world.add_service_principals(args.extra_service_principals));
    }
    let seed = sandbox.seed();
    let url = sandbox.url();
    let lines = [
        format!("export ARM_TENANT_ID={}", seed.tenant_id),
        format!("export ARM_CLIENT_ID={}", seed.client_id),
        format!("export ARM_CLIENT_SECRET='{}'", seed.client_secret),
        "export ARM_USE_CLI=false".to_owned(),
        format!("export AZURE_AUTHORITY_HOST={url}"),
        format!("export EXPEL_GRAPH_ENDPOINT={url}"),
        format!("export EXPEL_WORKBENCH_URL={url}"),
        format!("export EXPEL_API_KEY='{}'", seed.api_key),
        format!("export TF_VAR_expel_app_client_id={}", seed.expel_app_client_id),
        format!("export EXPEL_ACC_EXPEL_APP_CLIENT_ID={}", seed.expel_app_client_id),
        format!("export TF_VAR_custom_app_client_id={}", seed.custom_app_client_id),
        format!("export EXPEL_ACC_ANALYST_API_KEY='{}'", seed.analyst_api_key),
        format!(
            "# certificate instead of the secret: ARM_CLIENT_CERTIFICATE_PATH={} (PEM) or {} with ARM_CLIENT_CERTIFICATE_PASSWORD={}",
            seed.certificate_pem_path.display(),
            seed.certificate_pfx_path.display(),
            seed.certificate_password
        ),
    ];
    let text = lines.join("\n") + "\n";
    if let Some(path) = &args.env_file {
        if let Err(err) = std::fs::write(path, &text) {
            eprintln!("expel-sandbox: cannot write {}: {err}", path.display());
            std::process::exit(1);
        }
    }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{text}# sandbox listening on {url} (Ctrl-C stops it)");
    let _ = out.flush();
    sandbox.wait_for_signal();
}
