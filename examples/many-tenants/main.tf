# Two tenants in one configuration: one provider alias and one module call per tenant.
# Each tenant's credentials come from its own variable (in CI, from its own OIDC federation
# or secret store; see docs/guides/many-tenants.md). For one state per tenant instead, give
# each tenant its own root module (or workspace) calling the same module.

terraform {
  required_providers {
    expel = {
      source = "expel/expel"
    }
  }
}

variable "contoso" {
  description = "Contoso's tenant, Workbench organization and Expel app."
  sensitive   = true
  type = object({
    tenant_id           = string
    client_id           = string
    client_secret       = string
    api_key             = string
    expel_app_client_id = string
    graph_endpoint      = optional(string)
    authority_host      = optional(string)
    workbench_url       = optional(string)
  })
}

variable "fabrikam" {
  description = "Fabrikam's tenant, Workbench organization and Expel app."
  sensitive   = true
  type = object({
    tenant_id           = string
    client_id           = string
    client_secret       = string
    api_key             = string
    expel_app_client_id = string
    graph_endpoint      = optional(string)
    authority_host      = optional(string)
    workbench_url       = optional(string)
  })
}

provider "expel" {
  alias          = "contoso"
  tenant_id      = var.contoso.tenant_id
  client_id      = var.contoso.client_id
  client_secret  = var.contoso.client_secret
  api_key        = var.contoso.api_key
  graph_endpoint = var.contoso.graph_endpoint
  authority_host = var.contoso.authority_host
  workbench_url  = var.contoso.workbench_url
  use_cli        = false
}

provider "expel" {
  alias          = "fabrikam"
  tenant_id      = var.fabrikam.tenant_id
  client_id      = var.fabrikam.client_id
  client_secret  = var.fabrikam.client_secret
  api_key        = var.fabrikam.api_key
  graph_endpoint = var.fabrikam.graph_endpoint
  authority_host = var.fabrikam.authority_host
  workbench_url  = var.fabrikam.workbench_url
  use_cli        = false
}

module "contoso" {
  source              = "./modules/expel-tenant"
  providers           = { expel = expel.contoso }
  expel_app_client_id = nonsensitive(var.contoso.expel_app_client_id)
  never_reset         = ["breakglass@contoso.com"]
  never_remove        = ["quarantine@contoso.com"]
}

module "fabrikam" {
  source              = "./modules/expel-tenant"
  providers           = { expel = expel.fabrikam }
  expel_app_client_id = nonsensitive(var.fabrikam.expel_app_client_id)
  never_reset         = ["breakglass@fabrikam.com"]
  never_remove        = ["quarantine@fabrikam.com"]
}

output "granted" {
  description = "What each tenant was granted."
  value = {
    contoso  = module.contoso.granted
    fabrikam = module.fabrikam.granted
  }
}
