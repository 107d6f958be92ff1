//! Provider logs: to stderr, where Terraform collects them, at the level of `TF_LOG_PROVIDER`
//! or `TF_LOG`. Only this crate logs below WARN: dependencies' debug output could carry
//! request bodies, and secrets must never reach a log at any level.

use tracing_subscriber::EnvFilter;

/// The filter for a Terraform log level name (`TRACE` … `ERROR`, `JSON`; unknown means WARN).
pub fn filter(level: Option<&str>) -> EnvFilter {
    let level = level
        .map(|l| l.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let level = match level.as_str() {
        "trace" | "debug" | "info" | "warn" | "error" => level.as_str(),
        "json" => "trace",
        _ => "warn",
    };
    EnvFilter::new(format!("warn,terraform_provider_expel={level}"))
}

/// Installs the stderr logger for the provider process.
pub fn init() {
    let level = ["TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter(level.as_deref()))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .init();
}
