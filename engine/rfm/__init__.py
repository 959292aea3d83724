"""RFM: score members by Recency, Frequency and Monetary value and name their segments.

`scoring` and `segments` are pure functions over numbers (no database); `recompute` reads orders and stores a run.
"""
