locals {
  with_if   = "Hello, %{ if var.name != "" }${var.name}%{ else }unnamed%{ endif }!"
  with_for  = "%{ for ip in var.ips }server ${ip}\n%{ endfor }"
  for_kv    = "%{ for k, v in var.m }${k}=${v};%{ endfor }"
  strip     = "a  ${~ var.x ~}  b"
  strip_dir = <<-EOT
    %{~ for x in var.xs ~}
    item ${x}
    %{~ endfor ~}
  EOT
  heredoc = <<EOT
line one
  line two with ${var.x}
EOT
  flush = <<-EOT
      indented
        more
      back
    EOT
  empty_heredoc = <<EOT
EOT
  only_interp = "${var.whole}"
  if_only = "%{if var.b}yes%{endif}"
}
