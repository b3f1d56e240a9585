variable "pw" {
  type      = string
  default   = "s3cret"
  sensitive = true
}
resource "kubernetes_manifest" "s" {
  manifest = {
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = "s", namespace = "ns" }
    stringData = { pw = var.pw, none = null }
  }
}
output "pw" {
  value     = var.pw
  sensitive = true
}
