//! `terraform-provider-expel`: serves the Terraform plugin protocol (tfplugin6).

use terraform_provider_expel::provider;
use tracing_subscriber::EnvFilter;

/// Log level from `TF_LOG_PROVIDER`, else `TF_LOG` (Terraform's own variables), else warnings.
fn log_filter() -> EnvFilter {
    let level = ["TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|value| value.trim().to_ascii_lowercase())
        .find(|value| !value.is_empty())
        .unwrap_or_else(|| "warn".to_owned());
    let level = match level.as_str() {
        "trace" | "debug" | "info" | "warn" | "error" => level,
        "json" => "trace".to_owned(),
        _ => "warn".to_owned(),
    };
    // Only this crate's spans: dependencies' logs could carry request bodies.
    EnvFilter::new(format!("warn,terraform_provider_expel={level}"))
}

#[tokio::main]
async fn main() {
    terraform_provider_expel::http::install_crypto_provider();
    tracing_subscriber::fmt()
        .with_env_filter(log_filter())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .init();
    if let Err(err) = tf_provider::serve("expel", provider::ExpelProvider::new()).await {
        eprintln!("terraform-provider-expel: {err}");
        std::process::exit(1);
    }
}
