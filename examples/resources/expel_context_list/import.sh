# By context entry id, or by name.
terraform import expel_context_list.never_reset 0f8c7a9e-1111-4222-8333-944455556666
terraform import expel_context_list.never_remove "name:Never remove"
