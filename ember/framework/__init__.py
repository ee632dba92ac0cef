"""The engine: dtypes, shapes, tensors, variables, the op contract and dispatcher, tapes."""
