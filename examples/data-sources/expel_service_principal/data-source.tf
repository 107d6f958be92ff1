data "expel_service_principal" "expel" {
  display_name = "Expel Microsoft 365 Integration"
}

output "expel_permissions" {
  value = [for role in data.expel_service_principal.expel.app_roles : role.value]
}
