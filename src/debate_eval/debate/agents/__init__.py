"""One module per role. Each node is a function: state in, partial state update out."""
