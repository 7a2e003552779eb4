"""Populating a design: many people in one job, on this machine or on a Ray cluster."""
