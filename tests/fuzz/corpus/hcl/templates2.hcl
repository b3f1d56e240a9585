a = "%{ if true }${1}%{ else }x%{ endif }${~ 2 ~}"
b = <<-EOT
  x
 EOT
