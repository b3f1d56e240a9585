# A database for one service: a Crossplane PostgreSQLInstance claim (see
# crossplane/xrd-postgres.yaml), its connection details written to a
# Secret in the same namespace.

variable "namespace" {
  type = string
}

variable "service" {
  type = string
}

variable "tier" {
  type = string
}

variable "storage_gb" {
  type    = number
  default = 20

  validation {
    condition     = var.storage_gb >= 10 && var.storage_gb <= 1000 && floor(var.storage_gb) == var.storage_gb
    error_message = "storageGB must be a whole number from 10 to 1000."
  }
}

variable "engine_version" {
  type    = string
  default = "16"

  validation {
    condition     = contains(["14", "15", "16"], var.engine_version)
    error_message = "The PostgreSQL version must be 14, 15 or 16."
  }
}

locals {
  # "orders-service" -> "orders-db"
  claim_name = "${trimsuffix(var.service, "-service")}-db"
}

resource "kubernetes_manifest" "claim" {
  manifest = {
    apiVersion = "platform.example.com/v1alpha1"
    kind       = "PostgreSQLInstance"
    metadata = {
      name      = local.claim_name
      namespace = var.namespace
      labels = {
        "app.kubernetes.io/part-of" = var.service
        "platform.myorg.io/tier"    = var.tier
      }
    }
    spec = {
      parameters = {
        storageGB = var.storage_gb
        version   = var.engine_version
      }
      compositionSelector = {
        matchLabels = { provider = "aws" }
      }
      writeConnectionSecretToRef = {
        name = "${local.claim_name}-conn"
      }
    }
  }
}

output "claim_name" {
  value = local.claim_name
}
