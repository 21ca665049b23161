"""HTTP layer: one Blueprint per domain, each view parses, calls one service and serializes."""
