"""Compiler options for weft's own code, in one place (STYLE.md, Bazel)."""

WEFT_COPTS = [
    "-Wall",
    "-Wextra",
]
