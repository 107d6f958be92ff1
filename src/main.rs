//! `terraform-provider-expel`: serves the Terraform plugin protocol (tfplugin6).

use terraform_provider_expel::{http, logging, provider};

fn main() {
    // tf-provider captures a backtrace into every diagnostic when backtraces are enabled, and
    // RUST_BACKTRACE is often set globally: keep them out of what users read. Set before any
    // thread exists; panics still honour RUST_BACKTRACE.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    http::install_crypto_provider();
    logging::init();
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
    if let Err(err) = runtime.block_on(tf_provider::serve("expel", provider::ExpelProvider::new()))
    {
        eprintln!("terraform-provider-expel: {err}");
        std::process::exit(1);
    }
}
