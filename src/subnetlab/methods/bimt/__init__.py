"""Brain-inspired modular training: neurons placed in space, wiring-length L1, neuron swaps."""
