//! Turns API errors into Terraform diagnostics that say what failed, on
//! which object, and what to do.

use tf_provider::{AttributePath, Diagnostics};

use crate::graph::GraphError;
use crate::workbench::WorkbenchError;

/// What the user can do about a Graph error.
pub fn graph_advice(err: &GraphError) -> String {
    match err {
        GraphError::Forbidden { permission, .. } => format!(
            "Grant the provider's identity the Microsoft Graph application permission {permission} with admin consent, then run again."
        ),
        GraphError::Authentication(_) | GraphError::Unauthorized(_) => "Check tenant_id, client_id and the credential (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET / ARM_CLIENT_CERTIFICATE_PATH / ARM_OIDC_TOKEN).".into(),
        GraphError::Throttled(_) | GraphError::Transient(_) => "Microsoft Graph is throttling or failing; run again later, or raise the operation's timeout.".into(),
        GraphError::NotFound(_) => "Check the id; the object may have been deleted.".into(),
        GraphError::NotReplicated { .. } => "If the object was created in this apply, Entra ID is slow to replicate it: run the apply again (or raise the operation's timeout). Otherwise check the id.".into(),
        _ => String::new(),
    }
}

/// Reports a Graph failure of `action` (e.g. "reading service principal X").
pub fn graph_error(
    diags: &mut Diagnostics,
    action: &str,
    err: &GraphError,
    attribute: Option<&'static str>,
) {
    let summary = format!("Failed {action}");
    let advice = graph_advice(err);
    let detail = if advice.is_empty() {
        err.to_string()
    } else {
        format!("{err}\n\n{advice}")
    };
    match attribute {
        Some(name) => diags.error(summary, detail, AttributePath::new(name)),
        None => diags.root_error(summary, detail),
    }
}

/// Reports a Workbench failure of `action`.
pub fn workbench_error(
    diags: &mut Diagnostics,
    action: &str,
    err: &WorkbenchError,
    attribute: Option<&'static str>,
) {
    let summary = format!("Failed {action}");
    let detail = err.to_string();
    match attribute {
        Some(name) => diags.error(summary, detail, AttributePath::new(name)),
        None => diags.root_error(summary, detail),
    }
}
