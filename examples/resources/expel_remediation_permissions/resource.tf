# Expel's integration app: admin consent only.
resource "expel_remediation_permissions" "reset_credentials" {
  client_id   = var.expel_app_client_id
  remediation = "reset_credentials"
}

# A custom app registration in this tenant: declare the permission, then consent.
resource "expel_remediation_permissions" "remove_malicious_email" {
  client_id        = var.custom_app_client_id
  remediation      = "remove_malicious_email"
  application_type = "custom"
}

# Chain into the directory role the remediation needs.
resource "expel_role_assignment" "reset_credentials" {
  principal_id = expel_remediation_permissions.reset_credentials.service_principal_id
  role         = expel_remediation_permissions.reset_credentials.required_directory_role
}

variable "expel_app_client_id" {
  type = string
}

variable "custom_app_client_id" {
  type = string
}
