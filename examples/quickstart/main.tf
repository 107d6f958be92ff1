# Quick start: `make demo` applies this against the embedded sandbox.
# Against a real tenant: set ARM_TENANT_ID, ARM_CLIENT_ID and a credential (docs/index.md),
# EXPEL_API_KEY, and TF_VAR_expel_app_client_id to the client id of the Expel Microsoft 365
# Integration app in your tenant.

terraform {
  required_providers {
    expel = {
      source = "expel/expel"
    }
  }
}

variable "expel_app_client_id" {
  description = "Client id of the Expel Microsoft 365 Integration app in your tenant."
  type        = string
}

provider "expel" {}

# Both remediations for Expel's integration app: API permission with admin consent…
resource "expel_remediation_permissions" "this" {
  for_each    = toset(["reset_credentials", "remove_malicious_email"])
  client_id   = var.expel_app_client_id
  remediation = each.key
}

# …and the directory role each one needs.
resource "expel_role_assignment" "this" {
  for_each     = expel_remediation_permissions.this
  principal_id = each.value.service_principal_id
  role         = each.value.required_directory_role
}

# The Workbench lists auto remediation consults.
resource "expel_context_list" "never_reset" {
  name         = "Never reset"
  description  = "Break-glass accounts Expel must never reset"
  context_type = "email_address"
  values       = ["breakglass@contoso.com"]
}

resource "expel_context_list" "never_remove" {
  name         = "Never remove"
  description  = "Quarantine mailboxes"
  context_type = "email_address"
  values       = ["quarantine@contoso.com"]
}

# Last: opt the organization in to both remediations in Workbench, on those lists, once the
# app has its permissions and roles.
resource "expel_auto_remediation" "reset_credentials" {
  remediation    = "reset_credentials"
  never_list_ids = [expel_context_list.never_reset.id]
  depends_on     = [expel_role_assignment.this]
}

resource "expel_auto_remediation" "remove_malicious_email" {
  remediation    = "remove_malicious_email"
  never_list_ids = [expel_context_list.never_remove.id]
  depends_on     = [expel_role_assignment.this]
}

data "expel_service_principal" "expel" {
  client_id  = var.expel_app_client_id
  depends_on = [expel_remediation_permissions.this]
}

output "expel_app_permissions" {
  value = sort([for role in data.expel_service_principal.expel.app_roles : role.value])
}

output "directory_roles" {
  value = { for k, a in expel_role_assignment.this : k => a.role }
}

output "context_lists" {
  value = [expel_context_list.never_reset.id, expel_context_list.never_remove.id]
}

output "auto_remediations" {
  value = {
    for r in [expel_auto_remediation.reset_credentials, expel_auto_remediation.remove_malicious_email] :
    r.remediation => { enabled = r.enabled, opted_in_at = r.opted_in_at }
  }
}
