"""Core types: dtypes, shapes, Tensor, Variable, errors, nest, seeds, the op contract
(``Op``, ``Spec``, ``OpCall``, the registry ``get_op``), the execution context and the hooks
through which upper layers plug in. Imports nothing else from ember (docs/architecture.md)."""
