"""Limits on what one GraphQL request may ask for, enforced before any resolver runs:
depth, aliases, tokens, page sizes and cost (numbers.py holds every number)."""
