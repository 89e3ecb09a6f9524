"""Misbehaving (sandbox): importing the file crashes the interpreter."""
import ctypes

ctypes.string_at(0)
