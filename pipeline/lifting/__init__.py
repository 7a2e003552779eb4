"""Lifting: one 3D body fitted to the 2D people of many views, with scene contact and non-penetration."""
