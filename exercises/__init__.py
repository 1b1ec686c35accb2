"""Your attention modules: fill in every `raise NotImplementedError()` (files generated from the reference)."""
