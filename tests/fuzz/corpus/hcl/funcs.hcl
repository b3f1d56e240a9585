x = cidrsubnets("10.0.0.0/8", 4, 4)
y = regexall("(\\w+)", "a b")
z = format("%05.1f", 3.14)
