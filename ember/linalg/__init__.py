"""ember.linalg: matrix products, norms, inverses, determinants and decompositions, as
tf.linalg. The LinearOperators, the less common decompositions and ``experimental`` load
on first use (see ember/framework/lazy.py)."""
from ember.framework import lazy as _lazy
from ember.ops.linalg_ops import *  # noqa: F401,F403
from ember.ops import creation_ops as _creation_ops, nn_ops as _nn_ops

for _name, _module in (("eye", _creation_ops), ("l2_normalize", _nn_ops)):
    if getattr(_module, _name, None) is not None:
        globals()[_name] = getattr(_module, _name)
del _name, _module

tensor_diag = diag  # noqa: F405
tensor_diag_part = diag_part  # noqa: F405
from ember.ops.clip_ops import global_norm  # noqa: F401,E402

_LAZY_SUBMODULES = ("experimental",)
_LAZY_ATTRIBUTES = {
    **_lazy.names_in("ember.ops.linalg_extra_ops", "banded_triangular_solve", "cross", "eig",
        "eigh_tridiagonal", "eigvals", "expm", "logm", "lstsq", "lu", "lu_matrix_inverse",
        "lu_reconstruct", "lu_solve", "matrix_rank", "normalize", "pinv", "set_diag", "sqrtm",
        "tridiagonal_matmul", "tridiagonal_solve"),
    **_lazy.names_in("ember.ops.linear_operator", "LinearOperator", "LinearOperatorAdjoint",
        "LinearOperatorComposition", "LinearOperatorDiag", "LinearOperatorFullMatrix",
        "LinearOperatorIdentity", "LinearOperatorInversion", "LinearOperatorLowerTriangular",
        "LinearOperatorScaledIdentity", "LinearOperatorZeros"),
    **_lazy.names_in("ember.ops.linear_operator_structured", "LinearOperatorBlockDiag",
        "LinearOperatorBlockLowerTriangular", "LinearOperatorCirculant",
        "LinearOperatorCirculant2D", "LinearOperatorCirculant3D", "LinearOperatorHouseholder",
        "LinearOperatorKronecker", "LinearOperatorLowRankUpdate", "LinearOperatorPermutation",
        "LinearOperatorToeplitz", "LinearOperatorTridiag"),
}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)
__all__ = _lazy.star_names(globals(), _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)
