resource "expel_context_list" "never_reset" {
  name         = "Never reset"
  context_type = "email_address"
  values       = ["breakglass@contoso.com"]
}

resource "expel_context_list" "never_remove" {
  name         = "Never remove"
  context_type = "email_address"
  values       = ["quarantine@contoso.com"]
}

# Reset Credentials for everyone but the break-glass accounts.
resource "expel_auto_remediation" "reset_credentials" {
  remediation    = "reset_credentials"
  never_list_ids = [expel_context_list.never_reset.id]
}

# Remove Malicious Email, never from the quarantine mailboxes.
resource "expel_auto_remediation" "remove_malicious_email" {
  remediation    = "remove_malicious_email"
  never_list_ids = [expel_context_list.never_remove.id]
}
