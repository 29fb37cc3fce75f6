"""Models: settings, building chat clients, calling them, choosing a backend."""
