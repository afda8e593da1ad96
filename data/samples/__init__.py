"""Embedded sample planning packs (shipped as package data)."""
