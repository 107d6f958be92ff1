variable "expel_app_client_id" {
  type        = string
  description = "appId of the Expel Microsoft 365 Integration app in your tenant."
}

resource "expel_context_list" "always_reset" {
  name         = "Always reset"
  context_type = "username"
  values       = ["kiosk@contoso.com", "shared.mailbox@contoso.com"]
}

data "expel_remediation_readiness" "reset" {
  remediation     = "reset_credentials"
  client_id       = var.expel_app_client_id
  always_list_ids = [expel_context_list.always_reset.id]

  # Graph cannot read the writeback setting with application permissions: say so yourself
  # once password writeback is on in Entra Connect (only matters for hybrid tenants).
  password_writeback_confirmed = true
}

# A warning on every plan and apply while anything is not ready.
check "reset_credentials_ready" {
  assert {
    condition     = data.expel_remediation_readiness.reset.ready
    error_message = join("\n", data.expel_remediation_readiness.reset.problems)
  }
}

# A hard stop: the opt-in is never written while the tenant is not ready.
resource "terraform_data" "enable_reset_credentials" {
  input = "reset_credentials"

  lifecycle {
    precondition {
      condition     = data.expel_remediation_readiness.reset.ready
      error_message = join("\n", data.expel_remediation_readiness.reset.problems)
    }
  }
}

output "unresettable_accounts" {
  value = data.expel_remediation_readiness.reset.unresettable_accounts
}
