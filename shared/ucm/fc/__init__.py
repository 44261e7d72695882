"""Function Compute layer: the registry, typed trigger events and the entry adapters."""
