"""viewport"""
