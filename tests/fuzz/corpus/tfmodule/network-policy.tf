# Default-deny for a namespace: no ingress, no egress except DNS to
# kube-system.

variable "namespace" {
  type = string
}

variable "allow_dns" {
  type    = bool
  default = true
}

resource "kubernetes_manifest" "default_deny" {
  manifest = {
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata = {
      name      = "default-deny-all"
      namespace = var.namespace
      labels    = { "platform.myorg.io/managed" = "true" }
    }
    spec = {
      podSelector = {}
      policyTypes = ["Ingress", "Egress"]
      egress = var.allow_dns ? [{
        to = [{ namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = "kube-system" } } }]
        ports = [for proto in ["UDP", "TCP"] : { protocol = proto, port = 53 }]
      }] : []
    }
  }
}
