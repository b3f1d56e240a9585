variable "names" {
  type    = set(string)
  default = ["a", "b"]
}

locals {
  prefix = "x"
  all    = [for n in var.names : "${local.prefix}-${n}"]
}

module "one" {
  source = "./child"
  name   = local.prefix
}

module "many" {
  source   = "./child"
  for_each = var.names
  name     = each.key
  n        = 2
}

module "counted" {
  source = "./child"
  count  = 2
  name   = "c${count.index}"
}

resource "kubernetes_manifest" "summary" {
  manifest = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "summary", namespace = "ns" }
    data = {
      one  = module.one.name
      many = "%{for k, m in module.many}${k}=${m.name};%{endfor}"
      all  = "%{for a in local.all}${a},%{endfor}"
    }
  }
}

output "names" {
  value = [for m in module.counted : m.name]
}
