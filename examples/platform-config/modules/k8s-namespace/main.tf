# A namespace labelled with its team and tier.

variable "name" {
  type = string
}

variable "team" {
  type = string
}

variable "tier" {
  type = string
}

variable "labels" {
  type     = map(string)
  default  = {}
  nullable = false
}

resource "kubernetes_manifest" "namespace" {
  manifest = {
    apiVersion = "v1"
    kind       = "Namespace"
    metadata = {
      name = var.name
      # `team` is what the platform's policies require on a namespace
      # (policies/gatekeeper/namespaces-need-owner.yaml).
      labels = merge(var.labels, {
        team                           = var.team
        "platform.myorg.io/team"       = var.team
        "platform.myorg.io/tier"       = var.tier
        "app.kubernetes.io/managed-by" = "sluice"
      })
    }
  }
}

output "name" {
  value = kubernetes_manifest.namespace.manifest.metadata.name
}
