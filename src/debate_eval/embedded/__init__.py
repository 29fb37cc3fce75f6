"""The embedded backend: a local GGUF model from PyPI packages, served by llama.cpp on loopback."""
