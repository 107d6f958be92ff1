//! `terraform-provider-expel`: serves the Terraform plugin protocol (tfplugin6) when terraform
//! starts it; run by hand, it is a command (`cli`): it explains itself, and `discover` writes
//! `import {}` blocks for a tenant set up by hand.

use terraform_provider_expel::{cli, http, logging, provider};

fn main() {
    // tf-provider captures a backtrace into every diagnostic when backtraces are enabled, and
    // RUST_BACKTRACE is often set globally: keep them out of what users read. Set before any
    // thread exists; panics still honour RUST_BACKTRACE.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    http::install_crypto_provider();
    let cookie = std::env::var(cli::MAGIC_COOKIE_KEY).ok();
    if !cli::launched_by_terraform(cookie.as_deref()) {
        std::process::exit(cli::run(std::env::args_os()));
    }
    logging::init();
    #[cfg(target_os = "linux")]
    if let Err(err) = terraform_provider_expel::nodelay::hold_handshake() {
        tracing::warn!(%err, "cannot hold the handshake; the gRPC connections keep Nagle's algorithm");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("terraform-provider-expel: cannot start the async runtime: {err}");
            std::process::exit(1);
        }
    };
    let served = runtime.block_on(async {
        ignore_interrupts();
        tf_provider::serve("expel", provider::ExpelProvider::new()).await
    });
    if let Err(err) = served {
        eprintln!("terraform-provider-expel: {err}");
        std::process::exit(1);
    }
}

/// Keeps Ctrl-C from killing the provider. A terminal sends SIGINT to terraform and to its
/// providers alike; terraform then lets the requests in flight finish, records them in the
/// state and stops its providers itself. A provider that died at the signal would leave what
/// it was creating out of the state (and terraform would report "Plugin did not respond").
/// Providers built on HashiCorp's go-plugin ignore the signal the same way.
fn ignore_interrupts() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        // Registered before serving, so that no early interrupt finds the default action.
        match signal(SignalKind::interrupt()) {
            Ok(mut interrupts) => {
                tokio::spawn(async move {
                    while interrupts.recv().await.is_some() {
                        tracing::info!(
                            "interrupt received: terraform decides when the provider stops"
                        );
                    }
                });
            }
            Err(err) => {
                tracing::warn!(%err, "cannot ignore interrupts; Ctrl-C will stop the provider at once")
            }
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("interrupt received: terraform decides when the provider stops");
        }
    });
}
