# Quick start: run `make demo` to apply this against the embedded sandbox.
# Against a real tenant, set ARM_TENANT_ID, ARM_CLIENT_ID and a credential (see docs/index.md),
# EXPEL_API_KEY, and the client id of your Expel integration app below.

terraform {
  required_providers {
    expel = {
      source = "expel/expel"
    }
  }
}

variable "expel_app_client_id" {
  description = "Client id of the Expel Microsoft 365 Integration app (or of your custom app)."
  type        = string
  default     = null
}

provider "expel" {}

# The provider's own identity must be able to read service principals and grant permissions.
data "expel_service_principal" "microsoft_graph" {
  client_id = "00000003-0000-0000-c000-000000000000"
}

data "expel_service_principal" "exchange_online" {
  client_id = "00000002-0000-0ff1-ce00-000000000000"
}

data "expel_service_principal" "expel" {
  display_name = var.expel_app_client_id == null ? "Expel Microsoft 365 Integration" : null
  client_id    = var.expel_app_client_id
}

output "microsoft_graph_service_principal_id" {
  value = data.expel_service_principal.microsoft_graph.object_id
}

output "exchange_online_service_principal_id" {
  value = data.expel_service_principal.exchange_online.object_id
}

output "expel_app" {
  value = {
    object_id   = data.expel_service_principal.expel.object_id
    client_id   = data.expel_service_principal.expel.client_id
    permissions = [for role in data.expel_service_principal.expel.app_roles : role.value]
  }
}
