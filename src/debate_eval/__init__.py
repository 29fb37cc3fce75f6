"""debate-eval: judge how balanced an article is by making AI agents debate its claims."""

__version__ = "0.1.0"
