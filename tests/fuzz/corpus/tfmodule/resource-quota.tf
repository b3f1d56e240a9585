# A ResourceQuota sized by tier: dev and staging get 4 CPUs and 8Gi of
# memory, prod 16 CPUs and 32Gi.

variable "namespace" {
  type = string
}

variable "tier" {
  type = string

  validation {
    condition     = contains(keys(local.quotas), var.tier)
    error_message = "No quota is defined for this tier."
  }
}

locals {
  quotas = {
    dev     = { cpu = 4, memory = "8Gi", pods = 20 }
    staging = { cpu = 4, memory = "8Gi", pods = 40 }
    prod    = { cpu = 16, memory = "32Gi", pods = 200 }
  }
  quota = local.quotas[var.tier]
}

resource "kubernetes_manifest" "quota" {
  manifest = {
    apiVersion = "v1"
    kind       = "ResourceQuota"
    metadata = {
      name      = "compute"
      namespace = var.namespace
    }
    spec = {
      hard = {
        "requests.cpu"    = tostring(local.quota.cpu)
        "requests.memory" = local.quota.memory
        "limits.cpu"      = tostring(local.quota.cpu)
        "limits.memory"   = local.quota.memory
        pods              = tostring(local.quota.pods)
      }
    }
  }
}

output "hard" {
  value = { cpu = local.quota.cpu, memory = local.quota.memory }
}
