"""Theory: rank notions and their witnesses, bounds, exact constructions and their precision limits."""
