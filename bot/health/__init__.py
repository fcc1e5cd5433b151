"""Camera health: offline and back, debounced, told once to the rooms that follow it."""
