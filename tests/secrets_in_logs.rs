//! No secret reaches a log line, even at TRACE for every crate.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{quick_retry, Reply, ScriptedServer, SECRET, TOKEN};
use secrecy::SecretString;
use serde_json::json;
use terraform_provider_expel::workbench::WorkbenchClient;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const API_KEY: &str = "wb-api-key-5c9d";

#[tokio::test(flavor = "current_thread")]
async fn trace_logs_hold_no_secret_token_or_api_key() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = ScriptedServer::start(|seen, index| {
        if seen.path_and_query.starts_with("/api/v2") {
            return Reply::json(
                401,
                json!({"errors": [{"status": "401", "detail": "bad key"}]}),
            );
        }
        match index {
            0 => Reply::json(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "x"}}),
            )
            .header("Retry-After", "0"),
            _ => Reply::json(200, json!({"value": []})),
        }
    })
    .await;
    server
        .graph(quick_retry())
        .find_service_principal_by_app_id(
            "00000003-0000-0000-c000-000000000000",
            terraform_provider_expel::graph::Consistency::IMMEDIATE,
        )
        .await
        .unwrap();
    let workbench = WorkbenchClient::new(
        terraform_provider_expel::http::client().unwrap(),
        &server.url,
        SecretString::from(API_KEY.to_string()),
        None,
        quick_retry(),
    )
    .unwrap();
    let _ = workbench.list_context_lists().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("graph response"),
        "TRACE logging was captured:\n{logs}"
    );
    for secret in [SECRET, TOKEN, API_KEY] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}
