"""Triton model configuration: built from the ONNX graph, validated against Triton's own schema.

The schema is the ``model_config.proto`` that the ``tritonclient`` package ships (compiled into
``tritonclient/grpc/model_config_pb2.py``). That generated module refuses to import under a protobuf runtime
older than the one it was generated with (tritonclient 2.73 needs protobuf 6.33, while pulumi-policy pins 5.29),
and importing ``tritonclient.grpc`` pulls in grpc. So the serialized file descriptor is read from the module's
source and loaded into a private descriptor pool: same schema, no version coupling, no grpc.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PackagingError

#: numpy dtype name -> Triton data type.
TRITON_TYPES: dict[str, str] = {
    "float32": "TYPE_FP32",
    "float16": "TYPE_FP16",
    "float64": "TYPE_FP64",
    "bfloat16": "TYPE_BF16",
    "int8": "TYPE_INT8",
    "int16": "TYPE_INT16",
    "int32": "TYPE_INT32",
    "int64": "TYPE_INT64",
    "uint8": "TYPE_UINT8",
    "uint16": "TYPE_UINT16",
    "uint32": "TYPE_UINT32",
    "uint64": "TYPE_UINT64",
    "bool": "TYPE_BOOL",
    "object": "TYPE_STRING",
    "str": "TYPE_STRING",
}


@functools.lru_cache(maxsize=1)
def model_config_class() -> Any:
    """The ``inference.ModelConfig`` message class from tritonclient's shipped schema."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    spec = importlib.util.find_spec("tritonclient")
    if spec is None or not spec.submodule_search_locations:
        raise PackagingError("validating config.pbtxt needs tritonclient: pip install 'mlinfra[packaging]'")
    source = Path(next(iter(spec.submodule_search_locations))) / "grpc" / "model_config_pb2.py"
    serialized = _serialized_descriptor(source.read_text())
    fdp = descriptor_pb2.FileDescriptorProto.FromString(serialized)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("inference.ModelConfig"))


def _serialized_descriptor(source: str) -> bytes:
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, bytes)
        ):
            return node.args[0].value
    raise PackagingError(
        "tritonclient's model_config_pb2.py has no serialized descriptor (unexpected version)"
    )


def parse_config(text: str) -> Any:
    """Parse config.pbtxt text with Triton's schema; a PackagingError names the problem."""
    from google.protobuf import text_format

    msg = model_config_class()()
    try:
        text_format.Parse(text, msg)
    except text_format.ParseError as exc:
        raise PackagingError(f"config.pbtxt does not parse with Triton's model-config schema: {exc}") from exc
    return msg


@dataclass(frozen=True)
class TensorInfo:
    """One graph input or output: name, numpy dtype name, shape (ints; -1 or a name for dynamic dims)."""

    name: str
    dtype: str
    shape: tuple[int | str, ...]


def graph_tensors(path: Path) -> tuple[list[TensorInfo], list[TensorInfo]]:
    """Inputs (initializers excluded) and outputs of an ONNX graph."""
    import numpy as np
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}

    def info(vi: Any) -> TensorInfo:
        t = vi.type.tensor_type
        if t.elem_type == onnx.TensorProto.STRING:
            dtype = "object"
        else:
            dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.elem_type)).name
        shape = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or -1) for d in t.shape.dim)
        return TensorInfo(vi.name, dtype, shape)

    inputs = [info(v) for v in model.graph.input if v.name not in inits]
    outputs = [info(v) for v in model.graph.output]
    return inputs, outputs


def _dynamic(dim: int | str) -> bool:
    return isinstance(dim, str) or dim <= 0


def batchable(inputs: list[TensorInfo], outputs: list[TensorInfo]) -> bool:
    """True when every input and output has a dynamic first axis (Triton may then batch)."""
    return all(t.shape and _dynamic(t.shape[0]) for t in inputs + outputs)


def build_config(
    name: str,
    model_path: Path,
    *,
    max_batch_size: int,
    kind: str = "KIND_CPU",
    instance_count: int = 1,
    dynamic_batching: bool = True,
    max_queue_delay_us: int = 100,
    openvino: bool = False,
) -> tuple[str, Any]:
    """The config.pbtxt text for ``model_path`` and its parsed message.

    ``max_batch_size`` > 0 needs a dynamic first axis on every tensor (otherwise 0 is used); dims then exclude
    the batch axis, and a tensor of shape ``[batch]`` is declared as ``dims: [1]`` with ``reshape: {shape: []}``.
    The text is produced from the schema's message and parsed back, so it is valid by construction and checked.
    """
    from google.protobuf import text_format

    inputs, outputs = graph_tensors(model_path)
    if max_batch_size > 0 and not batchable(inputs, outputs):
        max_batch_size = 0
    cfg = model_config_class()()
    cfg.name = name
    cfg.platform = "onnxruntime_onnx"
    cfg.backend = "onnxruntime"
    cfg.max_batch_size = max_batch_size
    for tensors, field in ((inputs, cfg.input), (outputs, cfg.output)):
        for t in tensors:
            if t.dtype not in TRITON_TYPES:
                raise PackagingError(f"tensor {t.name!r} has dtype {t.dtype}, which Triton cannot serve")
            entry = field.add()
            entry.name = t.name
            entry.data_type = (
                cfg.DESCRIPTOR.fields_by_name["input"]
                .message_type.fields_by_name["data_type"]
                .enum_type.values_by_name[TRITON_TYPES[t.dtype]]
                .number
            )
            dims = list(t.shape[1:] if max_batch_size > 0 else t.shape)
            dims_int = [d if isinstance(d, int) and d > 0 else -1 for d in dims]
            if dims_int:
                entry.dims.extend(dims_int)
            else:
                entry.dims.append(1)
                entry.reshape.SetInParent()
    if max_batch_size > 0 and dynamic_batching:
        cfg.dynamic_batching.max_queue_delay_microseconds = max_queue_delay_us
    group = cfg.instance_group.add()
    group.count = instance_count
    group.kind = group.DESCRIPTOR.fields_by_name["kind"].enum_type.values_by_name[kind].number
    if openvino and kind == "KIND_CPU":
        acc = cfg.optimization.execution_accelerators.cpu_execution_accelerator.add()
        acc.name = "openvino"
    text = text_format.MessageToString(cfg)
    parsed = parse_config(text)
    check_config_matches(parsed, model_path)
    return text, parsed


def check_config_matches(cfg: Any, model_path: Path) -> None:
    """Refuse a config whose inputs/outputs (names, types, dims) differ from the graph's."""
    inputs, outputs = graph_tensors(model_path)
    enum = cfg.DESCRIPTOR.fields_by_name["input"].message_type.fields_by_name["data_type"].enum_type
    for label, tensors, declared in (("input", inputs, cfg.input), ("output", outputs, cfg.output)):
        if [t.name for t in tensors] != [d.name for d in declared]:
            raise PackagingError(
                f"config.pbtxt {label}s {[d.name for d in declared]} != graph {[t.name for t in tensors]}"
            )
        for t, d in zip(tensors, declared, strict=True):
            if enum.values_by_number[d.data_type].name != TRITON_TYPES.get(t.dtype):
                raise PackagingError(
                    f"config.pbtxt {label} {t.name!r} type differs from the graph ({t.dtype})"
                )
            shape = t.shape[1:] if cfg.max_batch_size > 0 else t.shape
            want = [s if isinstance(s, int) and s > 0 else -1 for s in shape] or [1]
            if list(d.dims) != want:
                raise PackagingError(f"config.pbtxt {label} {t.name!r} dims {list(d.dims)} != graph {want}")
