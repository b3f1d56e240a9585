# One team environment: a namespace with the team's labels, a default-deny
# network policy, a per-tier resource quota and a database claim for every
# service that asks for one.

locals {
  namespace = "${var.team}-${var.tier}"
  labels = merge(
    { "platform.myorg.io/environment" = var.name },
    var.ttl == null ? {} : { "platform.myorg.io/ttl" = var.ttl },
  )
  databases = { for s in var.services : s.name => s.database if s.database != null }
}

module "namespace" {
  source = "../k8s-namespace"

  name   = local.namespace
  team   = var.team
  tier   = var.tier
  labels = local.labels
}

module "network_policy" {
  source = "../network-policy"

  namespace = module.namespace.name
}

module "quota" {
  source = "../resource-quota"

  namespace = module.namespace.name
  tier      = var.tier
}

module "database" {
  source   = "../rds-instance"
  for_each = local.databases

  namespace  = module.namespace.name
  service    = each.key
  tier       = var.tier
  storage_gb = each.value.storageGB
  engine_version = each.value.version
}
