"""Scenes in the pipeline frame (Z-up, metres): loading and normalising files, ray and distance queries, picking, the SDF."""
