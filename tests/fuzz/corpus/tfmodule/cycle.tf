locals {
  a = local.b
  b = module.x.name
}
module "x" {
  source = "./child"
  name   = local.a
}
