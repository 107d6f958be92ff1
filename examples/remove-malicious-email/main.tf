# Remove Malicious Email, end to end, for a custom app registration:
# declare and consent Exchange.ManageAsApp, assign Security Reader,
# keep quarantine mailboxes on the "Never remove" list, and opt in.
# Limits: Message Trace must be enabled; customers onboarded with the Expel app before
# 2026-03-12 must grant consent again for Exchange.ManageAsApp.

terraform {
  required_providers {
    expel = {
      source = "expel/expel"
    }
  }
}

provider "expel" {}

variable "custom_app_client_id" {
  description = "Client id of your own app registration used by Expel."
  type        = string
}

resource "expel_remediation_permissions" "remove_malicious_email" {
  client_id        = var.custom_app_client_id
  remediation      = "remove_malicious_email"
  application_type = "custom"
}

resource "expel_role_assignment" "security_reader" {
  principal_id = expel_remediation_permissions.remove_malicious_email.service_principal_id
  role         = expel_remediation_permissions.remove_malicious_email.required_directory_role
}

resource "expel_context_list" "never_remove" {
  name         = "Never remove"
  context_type = "email_address"
  values       = ["quarantine@contoso.com"]
}

# Last: opt the organization in, never removing from the quarantine mailboxes.
resource "expel_auto_remediation" "remove_malicious_email" {
  remediation    = "remove_malicious_email"
  never_list_ids = [expel_context_list.never_remove.id]
  depends_on     = [expel_role_assignment.security_reader]
}
