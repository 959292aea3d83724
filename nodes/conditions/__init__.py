"""Condition kinds, one module each: questions a branch asks about a member."""
