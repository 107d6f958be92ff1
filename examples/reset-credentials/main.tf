# Reset Credentials, end to end: grant Microsoft Graph User.ReadWrite.All with admin consent
# (declaring it first on a custom app registration), assign User Administrator to the app's
# service principal, and keep the "Never reset" / "Always reset" lists in Workbench, then opt in.
# Guide: docs/guides/reset-credentials.md. Limit: privileged and admin accounts cannot have
# their credentials reset, whatever the lists say.

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

variable "never_reset" {
  description = "Accounts Expel must never reset (usernames or email addresses), e.g. break-glass accounts."
  type        = set(string)
  default     = []
}

variable "always_reset" {
  description = "Accounts Expel resets without asking when they are compromised."
  type        = set(string)
  default     = []
  validation {
    condition     = length(setintersection(var.always_reset, var.never_reset)) == 0
    error_message = "An account cannot be in both always_reset and never_reset."
  }
}

resource "expel_remediation_permissions" "reset_credentials" {
  client_id        = var.client_id
  remediation      = "reset_credentials"
  application_type = var.application_type
}

resource "expel_role_assignment" "user_administrator" {
  principal_id = expel_remediation_permissions.reset_credentials.service_principal_id
  role         = expel_remediation_permissions.reset_credentials.required_directory_role
}

resource "expel_context_list" "never_reset" {
  name         = "Never reset"
  description  = "Accounts Expel must never reset"
  context_type = "username"
  values       = var.never_reset
}

resource "expel_context_list" "always_reset" {
  name         = "Always reset"
  description  = "Accounts Expel resets when compromised"
  context_type = "username"
  values       = var.always_reset
}

output "service_principal_id" {
  description = "Object id of the app's service principal."
  value       = expel_remediation_permissions.reset_credentials.service_principal_id
}

output "granted" {
  description = "The permission granted and the directory role assigned."
  value = {
    permission = expel_remediation_permissions.reset_credentials.permission
    role       = expel_role_assignment.user_administrator.role
  }
}

output "context_list_ids" {
  description = "Workbench ids of the lists, for the auto remediation setting."
  value = {
    never_reset  = expel_context_list.never_reset.id
    always_reset = expel_context_list.always_reset.id
  }
}

# Last: opt the organization in, sparing the "Never reset" accounts. (Use always_list_ids
# instead to reset only the members of the "Always reset" list; one list kind at a time.)
resource "expel_auto_remediation" "reset_credentials" {
  remediation    = "reset_credentials"
  never_list_ids = [expel_context_list.never_reset.id]
  depends_on     = [expel_role_assignment.user_administrator]
}
