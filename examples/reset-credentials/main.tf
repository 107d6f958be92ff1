# Reset Credentials, end to end, for Expel's integration app:
# grant User.ReadWrite.All with admin consent, assign User Administrator,
# maintain the "Never reset" / "Always reset" lists in Workbench, and opt in.
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

# Last: opt the organization in, sparing the "Never reset" accounts. (Use always_list_ids
# instead to reset only the members of the "Always reset" list; one list kind at a time.)
resource "expel_auto_remediation" "reset_credentials" {
  remediation    = "reset_credentials"
  never_list_ids = [expel_context_list.never_reset.id]
  depends_on     = [expel_role_assignment.user_administrator]
}
