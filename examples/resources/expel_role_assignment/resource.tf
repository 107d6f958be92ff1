data "expel_service_principal" "expel" {
  display_name = "Expel Microsoft 365 Integration"
}

# Reset Credentials: the app needs User Administrator.
resource "expel_role_assignment" "user_administrator" {
  principal_id = data.expel_service_principal.expel.object_id
  role         = "User Administrator"
}

# Remove Malicious Email: the app needs Security Reader, here named by its template id.
resource "expel_role_assignment" "security_reader" {
  principal_id       = data.expel_service_principal.expel.object_id
  role_definition_id = "5d6b6bb7-de71-4623-b4af-96380a352509"
}
