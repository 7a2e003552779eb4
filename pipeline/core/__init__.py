"""Shared foundations of every stage: progress events and cancel, devices, out-of-memory back-off, rotations, external tools."""
