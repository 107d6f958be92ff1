data "expel_context_list" "always_reset" {
  name = "Always reset"
}

output "always_reset_count" {
  value = length(data.expel_context_list.always_reset.values)
}
