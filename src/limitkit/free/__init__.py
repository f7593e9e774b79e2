"""Free embedding: vectors as free parameters, optimised directly; critical-n search and its store."""
