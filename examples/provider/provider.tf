terraform {
  required_providers {
    expel = {
      source = "expel/expel"
    }
  }
}

# Credentials usually come from the environment (ARM_TENANT_ID, ARM_CLIENT_ID,
# ARM_CLIENT_SECRET or ARM_CLIENT_CERTIFICATE_PATH or ARM_USE_OIDC, EXPEL_API_KEY).
provider "expel" {
  tenant_id = "00000000-0000-0000-0000-000000000000"
  client_id = "00000000-0000-0000-0000-000000000000"
}
