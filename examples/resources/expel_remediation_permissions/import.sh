# <service_principal_id>/<remediation>, with /custom appended for a custom app registration.
terraform import expel_remediation_permissions.reset_credentials 3f2a6b1c-0d4e-4f5a-9b8c-7d6e5f4a3b2c/reset_credentials
terraform import expel_remediation_permissions.remove_malicious_email 3f2a6b1c-0d4e-4f5a-9b8c-7d6e5f4a3b2c/remove_malicious_email/custom
