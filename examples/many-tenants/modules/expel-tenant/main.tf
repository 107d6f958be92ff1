# One tenant's Expel Microsoft 365 auto remediations: both permissions with admin consent,
# the directory role each needs, and the Workbench lists. Called once per tenant, each call
# with that tenant's provider configuration (see ../../main.tf).

terraform {
  required_providers {
    expel = {
      source = "expel/expel"
    }
  }
}

variable "expel_app_client_id" {
  description = "Client id of the Expel Microsoft 365 Integration app in this tenant."
  type        = string
}

variable "never_reset" {
  description = "Accounts Expel must never reset (usernames or email addresses)."
  type        = set(string)
  default     = []
}

variable "never_remove" {
  description = "Mailboxes Expel must never remove email from, e.g. quarantine mailboxes."
  type        = set(string)
  default     = []
}

resource "expel_remediation_permissions" "this" {
  for_each    = toset(["reset_credentials", "remove_malicious_email"])
  client_id   = var.expel_app_client_id
  remediation = each.key
}

resource "expel_role_assignment" "this" {
  for_each     = expel_remediation_permissions.this
  principal_id = each.value.service_principal_id
  role         = each.value.required_directory_role
}

resource "expel_context_list" "never_reset" {
  name         = "Never reset"
  context_type = "email_address"
  values       = var.never_reset
}

resource "expel_context_list" "never_remove" {
  name         = "Never remove"
  context_type = "email_address"
  values       = var.never_remove
}

output "granted" {
  description = "Permission and directory role per remediation."
  value = {
    for k, p in expel_remediation_permissions.this :
    k => { permission = p.permission, role = expel_role_assignment.this[k].role }
  }
}
