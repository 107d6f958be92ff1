# By Workbench setting id, or by remediation.
terraform import expel_auto_remediation.reset_credentials 6f1d2c3b-1111-4222-8333-944455556666
terraform import expel_auto_remediation.remove_malicious_email "remediation:remove_malicious_email"
