# Expressions of every kind hcl2json writes back as "${...}".
locals {
  whole    = 42
  frac     = 3.25
  big      = 123456789012345678901234567890
  expo     = 1e3
  neg      = -7
  notb     = !true
  str      = "plain string"
  escaped  = "tab\tquote\" backslash\\ unicode \u00e9 dollar $${x} percent %%{y}"
  interp   = "hello ${var.name}!"
  nested   = "a ${"b ${var.c} d"} e"
  cond     = var.enabled ? "on" : "off"
  arith    = 1 + 2 * 3 - 4 / 5 % 6
  logic    = a && b || !c
  cmp      = a == b != (c < d) && e >= f
  paren    = (1 + 2) * 3
  call     = join(",", ["a", "b"])
  expand   = max(var.numbers...)
  nscall   = provider::aws::arn_parse("x")
  idx      = var.list[0]
  idx_str  = var.map["key"]
  idx_expr = var.list[count.index]
  legacy   = var.list.0.name
  attr     = module.net.outputs.vpc_id
  splat    = var.items[*].id
  splat2   = var.items.*.id
  fulls    = var.items[*].tags["Name"]
  tuple    = [1, "two", true, null, [3], { k = "v" }]
  object   = { a = 1, "b" = 2, (local.k) = 3, c : 4 }
  multi = {
    one = 1
    two = 2,
    three = 3
  }
  list_for = [for s in var.list : upper(s) if s != ""]
  obj_for  = { for k, v in var.map : k => v }
  grouped  = { for v in var.list : v.kind => v.name... }
  chained  = var.a.b[0].c["d"].e
  dollar   = "$${not_interp}"
}
