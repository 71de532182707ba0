"""PainRewire: a pain clinic's platform for treating chronic back pain by retraining the brain."""

__version__ = "0.1.0"
