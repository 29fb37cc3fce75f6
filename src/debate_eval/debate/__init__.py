"""The debate: state, prompts, agents, graph wiring and running it."""
