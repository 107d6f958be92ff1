# The organization's Microsoft 365 device, whatever Workbench calls its vendor.
data "expel_security_device" "microsoft_365" {
  vendor = "microsoft_365"
}

# Or a device by its name in Workbench.
data "expel_security_device" "tenant" {
  name = "Contoso Microsoft 365"
}

output "microsoft_365_device_id" {
  value = data.expel_security_device.microsoft_365.id
}
