# A custom app for both remediations, created in the same configuration: the app registration
# and its service principal with azuread, then the permissions, roles and lists with expel.
# CI cannot download azuread, so this example is checked with `terraform fmt -check` only; the
# sandbox acceptance tests cover the same shape (a service principal created during the apply).

terraform {
  required_version = ">= 1.5"
  required_providers {
    azuread = {
      source  = "hashicorp/azuread"
      version = ">= 2.47"
    }
    expel = {
      source = "expel/expel"
    }
  }
}

provider "azuread" {}
provider "expel" {}

variable "display_name" {
  description = "Display name of the app registration Expel will act as."
  type        = string
  default     = "Expel Custom Integration"
}

resource "azuread_application" "expel" {
  display_name = var.display_name
  # The API permissions are declared by expel_remediation_permissions (application_type =
  # "custom"), which edits only its own entries; keep azuread from fighting over them.
  lifecycle {
    ignore_changes = [required_resource_access]
  }
}

resource "azuread_service_principal" "expel" {
  client_id = azuread_application.expel.client_id
}

resource "expel_remediation_permissions" "this" {
  for_each         = toset(["reset_credentials", "remove_malicious_email"])
  client_id        = azuread_service_principal.expel.client_id
  remediation      = each.key
  application_type = "custom"
}

resource "expel_role_assignment" "this" {
  for_each     = expel_remediation_permissions.this
  principal_id = each.value.service_principal_id
  role         = each.value.required_directory_role
}

output "client_id" {
  description = "Give this client id (and a credential of the app) to Expel."
  value       = azuread_application.expel.client_id
}
