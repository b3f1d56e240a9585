block {
  x = 1
