"""Plain supervised training of target networks (the models' recipes)."""
