"quoted" = 1
