"""Demand-side models: waiting lists and queueing maths."""
