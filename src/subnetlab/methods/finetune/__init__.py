"""Fine-tuning a trained target (``method=finetune``)."""
