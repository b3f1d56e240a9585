x = a[*
