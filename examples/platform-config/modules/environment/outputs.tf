output "namespace" {
  description = "The environment's namespace."
  value       = module.namespace.name
}

output "quota" {
  description = "CPU and memory granted to the namespace."
  value       = module.quota.hard
}

output "databases" {
  description = "Database claim name per service."
  value       = { for svc, db in module.database : svc => db.claim_name }
}
