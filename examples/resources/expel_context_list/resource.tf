resource "expel_context_list" "never_reset" {
  name         = "Never reset"
  description  = "Break-glass accounts Expel must never reset"
  context_type = "email_address"
  values       = ["breakglass1@contoso.com", "breakglass2@contoso.com"]
}

resource "expel_context_list" "never_remove" {
  name         = "Never remove"
  context_type = "email_address"
  values       = ["quarantine@contoso.com"]
}
