//! `terraform-provider-expel`: serves the Terraform plugin protocol (tfplugin6).

use terraform_provider_expel::{http, logging, provider};

#[tokio::main]
async fn main() {
    http::install_crypto_provider();
    logging::init();
    if let Err(err) = tf_provider::serve("expel", provider::ExpelProvider::new()).await {
        eprintln!("terraform-provider-expel: {err}");
        std::process::exit(1);
    }
}
