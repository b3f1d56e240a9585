#!/usr/bin/env python3
"""gen_hcl.py SIZE_MB > corpus.tf: a large Terraform-style file of variable,
locals, module and resource blocks (the shapes a platform repo has), for the
HCL parse benchmark (bench/hcl_parse.sh). Deterministic."""
import sys

target = float(sys.argv[1]) * 1e6 if len(sys.argv) > 1 else 2e6
out = sys.stdout
n = 0
size = 0
while size < target:
    chunk = f'''variable "service_{n}_config" {{
  description = "Configuration of service {n} (replicas, database, tags)"
  type = object({{
    replicas = optional(number, {n % 5 + 1})
    database = optional(bool, false)
    tags     = optional(map(string), {{}})
  }})
  default = {{
    replicas = {n % 7 + 1}
    tags     = {{ team = "team-{n % 13}", tier = "{'prod' if n % 3 == 0 else 'dev'}" }}
  }}
  validation {{
    condition     = var.service_{n}_config.replicas >= 1 && var.service_{n}_config.replicas <= 50
    error_message = "Service {n} needs between 1 and 50 replicas."
  }}
}}

locals {{
  svc_{n}_name   = "${{var.team}}-${{var.environment}}-svc{n}"
  svc_{n}_labels = merge(local.common_labels, {{ "app.kubernetes.io/name" = "svc{n}" }})
  svc_{n}_ports  = [for p in [80, 443, {8000 + n % 1000}] : {{ port = p, name = "p${{p}}" }}]
}}

module "service_{n}" {{
  source    = "./modules/service"
  count     = var.service_{n}_config.replicas > 0 ? 1 : 0
  name      = local.svc_{n}_name
  namespace = module.namespace.name
  labels    = local.svc_{n}_labels
  cpu       = var.environment == "prod" ? "{n % 4 + 1}" : "500m"
  memory    = "${{{n % 8 + 1} * 512}}Mi"
  ports     = local.svc_{n}_ports
  database  = var.service_{n}_config.database ? {{ engine = "postgres", size = "db.t3.{'large' if n % 2 else 'small'}" }} : null
}}

resource "kubernetes_manifest" "svc_{n}_quota" {{
  for_each = toset(var.tiers)
  manifest = {{
    apiVersion = "v1"
    kind       = "ResourceQuota"
    metadata   = {{ name = "q-${{each.key}}-{n}", namespace = module.namespace.name }}
    spec       = {{ hard = {{ "requests.cpu" = each.key == "large" ? "16" : "4" }} }}
  }}
}}

'''
    out.write(chunk)
    size += len(chunk.encode())
    n += 1
