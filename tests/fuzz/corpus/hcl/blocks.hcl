# Blocks: labels quoted and bare, nesting, one-line blocks, repeats.
a {}
b { x = 1 }
c "one" {}
c "two" { y = "z" }
d bare "quoted" label3 {
  inner {
    deeper {
      v = true
    }
  }
  inner {
    v = false
  }
}
service "web" {
  port = 80
  health { path = "/healthz" }
  env = {
    KEY = "value"
  }
}
service "api" {
  port = 8080
}
attr_after_blocks = "last"
