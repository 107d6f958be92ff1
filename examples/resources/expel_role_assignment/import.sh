# The role assignment id (Entra ID > Roles and administrators > the role > Assignments),
# or the azuread form /roleManagement/directory/roleAssignments/<id>.
terraform import expel_role_assignment.user_administrator lAPpYvVpN0KRkAEhdxReEJC2sEy6R_hHrhBMTXRGfFs-1
