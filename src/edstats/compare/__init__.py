"""Importers for DfE's published files and the comparison maths."""
