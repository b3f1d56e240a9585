x = "%{ if a }b"
