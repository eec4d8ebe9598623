"""商居议事会: a platform for merchant-resident street councils."""
