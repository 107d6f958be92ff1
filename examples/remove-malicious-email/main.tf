# Remove Malicious Email, end to end: grant Office 365 Exchange Online Exchange.ManageAsApp
# with admin consent (declaring it first on a custom app registration), assign Security Reader
# to the app's service principal, keep the "Never remove" list in Workbench, then opt in.
# Guide: docs/guides/remove-malicious-email.md. Limits: Message Trace must be enabled; tenants
# onboarded with the Expel app before 2026-03-12 must consent again for Exchange.ManageAsApp,
# which applying this does (an existing consent is adopted).

terraform {
  required_version = ">= 1.5"
  required_providers {
    expel = {
      source = "expel/expel"
    }
  }
}

provider "expel" {}

variable "client_id" {
  description = "Application (client) id of the app Expel acts as: the Expel Microsoft 365 Integration app in your tenant, or your own app registration."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", var.client_id))
    error_message = "client_id must be a GUID: the app's Application (client) ID."
  }
}

variable "application_type" {
  description = "expel: Expel's multi-tenant integration app (admin consent only). custom: your own app registration (the permission is declared on it, then consented)."
  type        = string
  default     = "expel"
  validation {
    condition     = contains(["expel", "custom"], var.application_type)
    error_message = "application_type must be expel or custom."
  }
}

variable "never_remove" {
  description = "Mailboxes Expel must never remove email from (email addresses), e.g. quarantine mailboxes."
  type        = set(string)
  default     = []
  validation {
    condition     = alltrue([for m in var.never_remove : can(regex("^[^@\\s]+@[^@\\s]+$", m))])
    error_message = "never_remove holds email addresses."
  }
}

resource "expel_remediation_permissions" "remove_malicious_email" {
  client_id        = var.client_id
  remediation      = "remove_malicious_email"
  application_type = var.application_type
}

resource "expel_role_assignment" "security_reader" {
  principal_id = expel_remediation_permissions.remove_malicious_email.service_principal_id
  role         = expel_remediation_permissions.remove_malicious_email.required_directory_role
}

resource "expel_context_list" "never_remove" {
  name         = "Never remove"
  description  = "Mailboxes Expel must never remove email from"
  context_type = "email_address"
  values       = var.never_remove
}

output "service_principal_id" {
  description = "Object id of the app's service principal."
  value       = expel_remediation_permissions.remove_malicious_email.service_principal_id
}

output "granted" {
  description = "The permission granted and the directory role assigned."
  value = {
    permission = expel_remediation_permissions.remove_malicious_email.permission
    role       = expel_role_assignment.security_reader.role
  }
}

output "never_remove_list_id" {
  description = "Workbench id of the list, for the auto remediation setting."
  value       = expel_context_list.never_remove.id
}

# Last: opt the organization in, never removing from the quarantine mailboxes.
resource "expel_auto_remediation" "remove_malicious_email" {
  remediation    = "remove_malicious_email"
  never_list_ids = [expel_context_list.never_remove.id]
  depends_on     = [expel_role_assignment.security_reader]
}
