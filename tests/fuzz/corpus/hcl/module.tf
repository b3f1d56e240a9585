// A Terraform-style module: variables, locals, modules, outputs, resources.
terraform {
  required_version = ">= 1.3"
}

variable "environment" {
  type        = string
  description = "Environment name"
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environment must be dev, staging or prod."
  }
}

variable "services" {
  type = map(object({
    database = optional(bool, false)
    replicas = optional(number)
    tags     = optional(list(string), [])
  }))
  default = {}
}

variable "tiers" {
  type     = list(string)
  default  = ["small", "large"]
  nullable = false
}

/* Multi-line
   comment */
locals {
  name      = "${var.team}-${var.environment}"
  quota_cpu = var.environment == "prod" ? 16 : 4
  labels = merge(var.labels, {
    "app.kubernetes.io/managed-by" = "sluice"
    environment                    = var.environment
  })
}

module "namespace" {
  source = "./modules/k8s-namespace"
  name   = local.name
  labels = local.labels
}

module "db" {
  source   = "../rds-instance"
  for_each = { for k, v in var.services : k => v if v.database }
  name     = "${local.name}-${each.key}"
  size     = each.value.replicas
}

module "quota" {
  count  = var.enabled ? 1 : 0
  source = "./modules/resource-quota"
  cpu    = local.quota_cpu
  index  = count.index
}

resource "kubernetes_manifest" "ns" {
  manifest = {
    apiVersion = "v1"
    kind       = "Namespace"
    metadata = {
      name   = local.name
      labels = local.labels
    }
  }
}

resource "kubernetes_manifest" "policy" {
  for_each = toset(var.tiers)
  manifest = yamldecode(file("${path.module}/policy.yaml"))
}

output "namespace" {
  value     = module.namespace.name
  sensitive = false
}

output "dbs" {
  value = [for k, m in module.db : m.claim_name]
}
