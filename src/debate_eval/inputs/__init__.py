"""Inputs: reading articles from files, URLs and documents; planted-instruction checks."""
