"""The parts of TensorFlow Lite's flatbuffer schema (``schema.fbs``, file identifier
``TFL3``, schema version 3) that ember writes and reads.

Tables are described by field ids (a field with id ``i`` sits at vtable slot ``4 + 2*i``);
``tables.py`` builds and reads them with the ``flatbuffers`` runtime.
"""
from __future__ import annotations

import numpy as np

SCHEMA_VERSION = 3
FILE_IDENTIFIER = b"TFL3"

# TensorType: numpy dtype <-> code.
TENSOR_TYPES = {
    0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_,
    7: np.int16, 9: np.int8, 10: np.float64, 12: np.uint64, 15: np.uint32, 16: np.uint16,
}
TYPE_CODES = {np.dtype(t): c for c, t in TENSOR_TYPES.items()}
STRING_TYPE = 5

# BuiltinOperator codes.
BUILTIN = {
    "ADD": 0, "AVERAGE_POOL_2D": 1, "CONCATENATION": 2, "CONV_2D": 3, "DEPTHWISE_CONV_2D": 4,
    "DEQUANTIZE": 6, "FLOOR": 8, "FULLY_CONNECTED": 9, "LOGISTIC": 14, "MAX_POOL_2D": 17,
    "MUL": 18, "RELU": 19, "RELU_N1_TO_1": 20, "RELU6": 21, "RESHAPE": 22,
    "RESIZE_BILINEAR": 23, "SOFTMAX": 25, "TANH": 28, "PAD": 34, "GATHER": 36,
    "BATCH_TO_SPACE_ND": 37, "SPACE_TO_BATCH_ND": 38, "TRANSPOSE": 39, "MEAN": 40, "SUB": 41,
    "DIV": 42, "SQUEEZE": 43, "STRIDED_SLICE": 45, "EXP": 47, "TOPK_V2": 48, "SPLIT": 49,
    "LOG_SOFTMAX": 50, "CAST": 53, "PRELU": 54, "MAXIMUM": 55, "ARG_MAX": 56, "MINIMUM": 57,
    "LESS": 58, "NEG": 59, "PADV2": 60, "GREATER": 61, "GREATER_EQUAL": 62, "LESS_EQUAL": 63,
    "SELECT": 64, "SLICE": 65, "SIN": 66, "TRANSPOSE_CONV": 67, "TILE": 69, "EXPAND_DIMS": 70,
    "EQUAL": 71, "NOT_EQUAL": 72, "LOG": 73, "SUM": 74, "SQRT": 75, "RSQRT": 76, "SHAPE": 77,
    "POW": 78, "REDUCE_PROD": 81, "REDUCE_MAX": 82, "PACK": 83, "LOGICAL_OR": 84,
    "ONE_HOT": 85, "LOGICAL_AND": 86, "LOGICAL_NOT": 87, "UNPACK": 88, "REDUCE_MIN": 89,
    "FLOOR_DIV": 90, "REDUCE_ANY": 91, "SQUARE": 92, "ZEROS_LIKE": 93, "FILL": 94,
    "FLOOR_MOD": 95, "RANGE": 96, "RESIZE_NEAREST_NEIGHBOR": 97, "LEAKY_RELU": 98,
    "SQUARED_DIFFERENCE": 99, "MIRROR_PAD": 100, "ABS": 101, "SPLIT_V": 102, "CEIL": 104,
    "REVERSE_V2": 105, "GATHER_ND": 107, "COS": 108, "ELU": 111, "ROUND": 116,
    "HARD_SWISH": 117, "SELECT_V2": 123, "BATCH_MATMUL": 126, "CUMSUM": 128,
    "BROADCAST_TO": 130, "REDUCE_ALL": 140, "GELU": 150,
}
BUILTIN_NAMES = {v: k for k, v in BUILTIN.items()}
# Operators whose first registered version in TensorFlow Lite's runtime is above 1.
MIN_VERSION = {"BROADCAST_TO": 2}
PLACEHOLDER_FOR_GREATER_OP_CODES = 127

ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4}
ACTIVATION_NAMES = {v: k for k, v in ACTIVATIONS.items()}
PADDINGS = {"SAME": 0, "VALID": 1}
PADDING_NAMES = {v: k for k, v in PADDINGS.items()}

# Field kinds: "b" int8, "B" uint8, "?" bool, "i" int32, "f" float32, "[i]" int32 vector.
_POOL = [("padding", 0, "b", 0), ("stride_w", 1, "i", 0), ("stride_h", 2, "i", 0),
         ("filter_width", 3, "i", 0), ("filter_height", 4, "i", 0),
         ("fused_activation_function", 5, "b", 0)]
_ACT_ONLY = [("fused_activation_function", 0, "b", 0)]
_REDUCER = [("keep_dims", 0, "?", False)]

# BuiltinOptions union: table name -> (union type code, fields).
OPTIONS = {
    "Conv2DOptions": (1, [("padding", 0, "b", 0), ("stride_w", 1, "i", 0),
                          ("stride_h", 2, "i", 0), ("fused_activation_function", 3, "b", 0),
                          ("dilation_w_factor", 4, "i", 1), ("dilation_h_factor", 5, "i", 1)]),
    "DepthwiseConv2DOptions": (2, [("padding", 0, "b", 0), ("stride_w", 1, "i", 0),
                                   ("stride_h", 2, "i", 0), ("depth_multiplier", 3, "i", 0),
                                   ("fused_activation_function", 4, "b", 0),
                                   ("dilation_w_factor", 5, "i", 1),
                                   ("dilation_h_factor", 6, "i", 1)]),
    "Pool2DOptions": (5, _POOL),
    "FullyConnectedOptions": (8, [("fused_activation_function", 0, "b", 0),
                                  ("weights_format", 1, "b", 0),
                                  ("keep_num_dims", 2, "?", False),
                                  ("asymmetric_quantize_inputs", 3, "?", False)]),
    "SoftmaxOptions": (9, [("beta", 0, "f", 0.0)]),
    "ConcatenationOptions": (10, [("axis", 0, "i", 0), ("fused_activation_function", 1, "b", 0)]),
    "AddOptions": (11, [("fused_activation_function", 0, "b", 0),
                        ("pot_scale_int16", 1, "?", True)]),
    "ResizeBilinearOptions": (15, [("align_corners", 2, "?", False),     # 0, 1: deprecated
                                   ("half_pixel_centers", 3, "?", False)]),
    "ResizeNearestNeighborOptions": (74, [("align_corners", 0, "?", False),
                                          ("half_pixel_centers", 1, "?", False)]),
    "ReshapeOptions": (17, [("new_shape", 0, "[i]", None)]),
    "MulOptions": (21, _ACT_ONLY),
    "PadOptions": (22, []),
    "GatherOptions": (23, [("axis", 0, "i", 0), ("batch_dims", 1, "i", 0)]),
    "BatchToSpaceNDOptions": (24, []),
    "SpaceToBatchNDOptions": (25, []),
    "TransposeOptions": (26, []),
    "ReducerOptions": (27, _REDUCER),
    "SubOptions": (28, [("fused_activation_function", 0, "b", 0),
                        ("pot_scale_int16", 1, "?", True)]),
    "DivOptions": (29, _ACT_ONLY),
    "SqueezeOptions": (30, [("squeeze_dims", 0, "[i]", None)]),
    "StridedSliceOptions": (32, [("begin_mask", 0, "i", 0), ("end_mask", 1, "i", 0),
                                 ("ellipsis_mask", 2, "i", 0), ("new_axis_mask", 3, "i", 0),
                                 ("shrink_axis_mask", 4, "i", 0), ("offset", 5, "?", False)]),
    "ExpOptions": (33, []),
    "LogSoftmaxOptions": (36, []),
    "CastOptions": (37, [("in_data_type", 0, "b", 0), ("out_data_type", 1, "b", 0)]),
    "DequantizeOptions": (38, []),
    "MaximumMinimumOptions": (39, []),
    "ArgMaxOptions": (40, [("output_type", 0, "b", 0)]),
    "NegOptions": (42, []),
    "PadV2Options": (43, []),
    "SliceOptions": (48, []),
    "TransposeConvOptions": (49, [("padding", 0, "b", 0), ("stride_w", 1, "i", 0),
                                  ("stride_h", 2, "i", 0),
                                  ("fused_activation_function", 3, "b", 0)]),
    "TileOptions": (51, []),
    "ExpandDimsOptions": (52, []),
    "ShapeOptions": (55, [("out_type", 0, "b", 0)]),
    "PowOptions": (56, []),
    "PackOptions": (59, [("values_count", 0, "i", 0), ("axis", 1, "i", 0)]),
    "SquareOptions": (66, []),
    "FillOptions": (68, []),
    "LeakyReluOptions": (75, [("alpha", 0, "f", 0.0)]),
    "SquaredDifferenceOptions": (76, []),
    "AbsOptions": (78, []),
    "HardSwishOptions": (91, []),
    "BatchMatMulOptions": (101, [("adj_x", 0, "?", False), ("adj_y", 1, "?", False),
                                 ("asymmetric_quantize_inputs", 2, "?", False)]),
    "LessOptions": (41, []), "GreaterOptions": (44, []), "GreaterEqualOptions": (45, []),
    "LessEqualOptions": (46, []), "SelectOptions": (47, []), "EqualOptions": (53, []),
    "NotEqualOptions": (54, []), "SelectV2Options": (98, []), "LogicalOrOptions": (60, []),
    "LogicalAndOptions": (62, []), "LogicalNotOptions": (63, []),
    "FloorDivOptions": (65, []), "FloorModOptions": (72, []),
    "SplitOptions": (35, [("num_splits", 0, "i", 0)]),
    "SplitVOptions": (79, [("num_splits", 0, "i", 0)]),
    "UnpackOptions": (64, [("num", 0, "i", 0), ("axis", 1, "i", 0)]),
    "MirrorPadOptions": (77, [("mode", 0, "b", 0)]),
    "CumsumOptions": (102, [("exclusive", 0, "?", False), ("reverse", 1, "?", False)]),
    "ZerosLikeOptions": (67, []), "RangeOptions": (73, []),
    "BroadcastToOptions": (104, []), "ReverseV2Options": (81, []),
    "GatherNdOptions": (83, []), "TopKV2Options": (34, []),
    "OneHotOptions": (61, [("axis", 0, "i", 0)]),
    "GeluOptions": (116, [("approximate", 0, "?", False)]),
}
OPTIONS_BY_CODE = {code: name for name, (code, _) in OPTIONS.items()}

# Which options table each operator carries (none: the operator has no options).
OP_OPTIONS = {
    "ABS": "AbsOptions", "ADD": "AddOptions", "ARG_MAX": "ArgMaxOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions", "BATCH_MATMUL": "BatchMatMulOptions",
    "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions", "BROADCAST_TO": "BroadcastToOptions",
    "CAST": "CastOptions", "CONCATENATION": "ConcatenationOptions", "CONV_2D": "Conv2DOptions",
    "CUMSUM": "CumsumOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "DEQUANTIZE": "DequantizeOptions", "DIV": "DivOptions", "EQUAL": "EqualOptions",
    "EXP": "ExpOptions", "EXPAND_DIMS": "ExpandDimsOptions", "FILL": "FillOptions",
    "FLOOR_DIV": "FloorDivOptions", "FLOOR_MOD": "FloorModOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions", "GATHER": "GatherOptions",
    "GATHER_ND": "GatherNdOptions", "GELU": "GeluOptions", "GREATER": "GreaterOptions",
    "GREATER_EQUAL": "GreaterEqualOptions", "HARD_SWISH": "HardSwishOptions",
    "LEAKY_RELU": "LeakyReluOptions", "LESS": "LessOptions", "LESS_EQUAL": "LessEqualOptions",
    "LOGICAL_AND": "LogicalAndOptions", "LOGICAL_NOT": "LogicalNotOptions",
    "LOGICAL_OR": "LogicalOrOptions", "LOG_SOFTMAX": "LogSoftmaxOptions",
    "MAXIMUM": "MaximumMinimumOptions", "MAX_POOL_2D": "Pool2DOptions",
    "MEAN": "ReducerOptions", "MINIMUM": "MaximumMinimumOptions",
    "MIRROR_PAD": "MirrorPadOptions", "MUL": "MulOptions", "NEG": "NegOptions",
    "NOT_EQUAL": "NotEqualOptions", "ONE_HOT": "OneHotOptions", "PACK": "PackOptions",
    "PAD": "PadOptions", "PADV2": "PadV2Options", "POW": "PowOptions", "RANGE": "RangeOptions",
    "REDUCE_ALL": "ReducerOptions", "REDUCE_ANY": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions", "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions", "RESHAPE": "ReshapeOptions",
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
    "REVERSE_V2": "ReverseV2Options", "SELECT": "SelectOptions",
    "SELECT_V2": "SelectV2Options", "SHAPE": "ShapeOptions", "SLICE": "SliceOptions",
    "SOFTMAX": "SoftmaxOptions", "SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions",
    "SPLIT": "SplitOptions", "SPLIT_V": "SplitVOptions", "SQUARE": "SquareOptions",
    "SQUARED_DIFFERENCE": "SquaredDifferenceOptions", "SQUEEZE": "SqueezeOptions",
    "STRIDED_SLICE": "StridedSliceOptions", "SUB": "SubOptions", "SUM": "ReducerOptions",
    "TILE": "TileOptions", "TOPK_V2": "TopKV2Options", "TRANSPOSE": "TransposeOptions",
    "TRANSPOSE_CONV": "TransposeConvOptions", "UNPACK": "UnpackOptions",
    "ZEROS_LIKE": "ZerosLikeOptions",
}


def option_defaults(op_name: str) -> dict:
    """The options an operator gets when a field is absent from the file."""
    table = OP_OPTIONS.get(op_name)
    if table is None:
        return {}
    return {name: default for name, _, _, default in OPTIONS[table][1]}
