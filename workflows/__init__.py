"""Temporal code: workflows, their activities and the worker."""
