b { x = 1 } y
