# Reset Credentials, end to end, for Expel's integration app:
# grant User.ReadWrite.All with admin consent, assign User Administrator,
# and maintain the "Never reset" / "Always reset" lists in Workbench.
# Limit: privileged/admin accounts cannot have their credentials reset.

terraform {
  required_providers {
    expel = {
      source = "expel/expel"
    }
  }
}

provider "expel" {}

variable "expel_app_client_id" {
  description = "Client id of the Expel Microsoft 365 Integration app in your tenant."
  type        = string
}

resource "expel_remediation_permissions" "reset_credentials" {
  client_id   = var.expel_app_client_id
  remediation = "reset_credentials"
}

resource "expel_role_assignment" "user_administrator" {
  principal_id = expel_remediation_permissions.reset_credentials.service_principal_id
  role         = expel_remediation_permissions.reset_credentials.required_directory_role
}

resource "expel_context_list" "never_reset" {
  name         = "Never reset"
  context_type = "username"
  values       = ["breakglass@contoso.com"]
}

resource "expel_context_list" "always_reset" {
  name         = "Always reset"
  context_type = "username"
  values       = ["shared-kiosk@contoso.com"]
}
