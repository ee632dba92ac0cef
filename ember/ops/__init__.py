"""The op library: one module per family, each op's definition, kernel and gradient together.

math_ops is imported first: the other families build their gradients on it. Families only
Keras layers or rarely used namespaces need (rnn_ops, embedding_ops, ctc_ops, sparse_ops,
...) load with the module that uses them; ``get_op`` imports them when a saved graph names
one of their ops first (docs/architecture.md, "Lazy namespaces").
"""
from ember.ops import math_ops  # noqa: F401  (first: array_ops and the rest import it)
from ember.ops import array_ops, creation_ops, reduce_ops, linalg_ops  # noqa: F401
from ember.ops import nn_ops, random_ops  # noqa: F401
from ember.ops import conv_ops, pool_ops, normalization_ops, image_ops  # noqa: F401
from ember.ops import control_flow_ops  # noqa: F401
from ember.ops import operators, variable_scatter  # noqa: F401
from ember.ops import hooks  # noqa: F401  (gives the engine the functions it calls,
#                                        and loads ops/fusions.py with the compiler)
