#!/usr/bin/env python3
"""Writes small torch.export archives (.pt2) by hand, for the .pt2 importer's tests.

Usage: make_pt2.py OUT.pt2 VARIANT

The archive holds one program, y = relu(linear(x, W, b)) with W 4x3 and b
[4], x a [batch, 3] f32 input whose batch is dynamic in [1, 8] (symbol s0,
example 2), laid out as torch.export.save writes it (stored zip records
under one folder). VARIANT damages it in one way:
  ok              as described
  static          batch exported static at 2
  schema9         schema version 9.0
  missing-weight  the weight's data file absent
  unsupported     two ops popt lacks (aten.cumsum twice, aten.special_op once)
  short-weight    the weight's data file 8 bytes short
  newer           written by PyTorch 2.13.0
  malformed       a tensor argument whose name is a number
  huge-weight     the weight's config declares 10^12 x 3 elements (a 48 B record)
  bad-dim         the image program stacking along dimension 1000
  bad-range       range_constraints of s0 with min 5 > max 2
  image           another program: x [1, 2, 3, 4] -> constant_pad_nd (left 1,
                  right 2, top 1, bottom 0; value 0.5) -> leaky_relu(0.1) ->
                  upsample_nearest2d (scale 2) -> stack of two (dim 1), no weights
Reference outputs: python3 make_pt2.py --reference [--image] INPUT.npy OUT.npy
"""
import json
import struct
import sys
import zipfile

import numpy as np

W = np.arange(12, dtype=np.float32).reshape(4, 3) / 10 - 0.5
B = np.array([0.1, -0.2, 0.3, -0.4], dtype=np.float32)


def meta(shape):
    return {"dtype": 7, "sizes": [{"as_int": s} for s in shape], "requires_grad": False,
            "device": {"type": "cpu", "index": None},
            "strides": [{"as_int": int(np.prod(shape[i + 1:]))} for i in range(len(shape))],
            "storage_offset": {"as_int": 0}, "layout": 7}


def tensor(name):
    return {"as_tensor": {"name": name}}


def node(target, inputs, outputs, trace):
    return {"target": target, "inputs": [{"name": k, "arg": v, "kind": 1} for k, v in inputs],
            "outputs": [tensor(o) for o in outputs], "name": outputs[0] if outputs else "n",
            "metadata": {"stack_trace": f'File "model.py", line {trace}, in forward\n    ...'}}


def program(variant):
    batch = {"as_int": 2} if variant == "static" else \
        {"as_expr": {"expr_str": "s0", "hint": {"as_int": 2}}}
    x_meta = {"dtype": 7, "sizes": [batch, {"as_int": 3}]}
    nodes = [node("torch.ops.aten.linear.default",
                  [("input", tensor("x")), ("weight", tensor("p_w")), ("bias", tensor("p_b"))],
                  ["linear"], 10),
             node("torch.ops.aten.relu.default", [("self", tensor("linear"))], ["relu"], 11)]
    if variant == "unsupported":
        nodes += [node("torch.ops.aten.cumsum.default",
                       [("self", tensor("relu")), ("dim", {"as_int": 1})], ["c1"], 12),
                  node("torch.ops.aten.cumsum.default",
                       [("self", tensor("c1")), ("dim", {"as_int": 1})], ["c2"], 13),
                  node("torch.ops.aten.special_op.default", [("self", tensor("c2"))], ["relu2"],
                       14)]
    if variant == "malformed":
        nodes[1]["inputs"][0]["arg"] = {"as_tensor": {"name": 17}}
    out = "relu2" if variant == "unsupported" else "relu"
    return {
        "graph_module": {
            "graph": {"inputs": [tensor("p_w"), tensor("p_b"), tensor("x")],
                      "outputs": [tensor(out)], "nodes": nodes,
                      "tensor_values": {"p_w": meta([4, 3]), "p_b": meta([4]), "x": x_meta}},
            "signature": {
                "input_specs": [
                    {"parameter": {"arg": {"name": "p_w"}, "parameter_name": "fc.weight"}},
                    {"parameter": {"arg": {"name": "p_b"}, "parameter_name": "fc.bias"}},
                    {"user_input": {"arg": tensor("x")}}],
                "output_specs": [{"user_output": {"arg": tensor(out)}}]},
            "module_call_graph": [], "metadata": {}},
        "opset_version": {"aten": 10},
        "range_constraints": {} if variant == "static" else
        {"s0": {"min_val": 5, "max_val": 2}} if variant == "bad-range" else
        {"s0": {"min_val": 1, "max_val": 8}},
        "schema_version": {"major": 9 if variant == "schema9" else 8, "minor": 0},
        "torch_version": "2.13.0" if variant == "newer" else "2.11.0",
        "verifiers": ["TRAINING"]}


def image_program(stack_dim=1):
    x_meta = {"dtype": 7, "sizes": [{"as_int": s} for s in (1, 2, 3, 4)]}
    nodes = [node("torch.ops.aten.constant_pad_nd.default",
                  [("self", tensor("x")), ("pad", {"as_ints": [1, 2, 1, 0]}),
                   ("value", {"as_float": 0.5})], ["pad"], 20),
             node("torch.ops.aten.leaky_relu.default",
                  [("self", tensor("pad")), ("negative_slope", {"as_float": 0.1})], ["lr"], 21),
             node("torch.ops.aten.upsample_nearest2d.vec",
                  [("input", tensor("lr")), ("output_size", {"as_none": True}),
                   ("scale_factors", {"as_floats": [2.0, 2.0]})], ["up"], 22),
             node("torch.ops.aten.stack.default",
                  [("tensors", {"as_tensors": [{"name": "up"}, {"name": "up"}]}),
                   ("dim", {"as_int": stack_dim})], ["st"], 23)]
    return {"graph_module": {
        "graph": {"inputs": [tensor("x")], "outputs": [tensor("st")], "nodes": nodes,
                  "tensor_values": {"x": x_meta}},
        "signature": {"input_specs": [{"user_input": {"arg": tensor("x")}}],
                      "output_specs": [{"user_output": {"arg": tensor("st")}}]}},
        "range_constraints": {}, "schema_version": {"major": 8, "minor": 0},
        "torch_version": "2.11.0"}


def image_reference(x):
    y = np.pad(x, ((0, 0), (0, 0), (1, 0), (1, 2)), constant_values=0.5)
    y = np.where(y > 0, y, 0.1 * y)
    y = y.repeat(2, axis=2).repeat(2, axis=3)
    return np.stack([y, y], axis=1)


def write(path, variant):
    weights = {"fc.weight": {"path_name": "weight_0", "is_param": True, "use_pickle": False,
                             "tensor_meta": meta([4, 3])},
               "fc.bias": {"path_name": "weight_1", "is_param": True, "use_pickle": False,
                           "tensor_meta": meta([4])}}
    if variant == "huge-weight":
        weights["fc.weight"]["tensor_meta"] = meta([10**12, 3])
    w_bytes = W.tobytes()
    if variant == "short-weight":
        w_bytes = w_bytes[:-8]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("model/archive_format", "pt2")
        z.writestr("model/archive_version", "0")
        z.writestr("model/byteorder", "little")
        z.writestr("model/models/model.json",
                   json.dumps(image_program() if variant == "image" else
                              image_program(1000) if variant == "bad-dim" else program(variant)))
        z.writestr("model/data/weights/model_weights_config.json",
                   json.dumps({"config": weights}))
        if variant != "missing-weight":
            z.writestr("model/data/weights/weight_0", w_bytes)
        z.writestr("model/data/weights/weight_1", B.tobytes())
        z.writestr("model/data/constants/model_constants_config.json", '{"config": {}}')


def main():
    if sys.argv[1] == "--reference":
        image = sys.argv[2] == "--image"
        x = np.load(sys.argv[3 if image else 2]).astype(np.float32)
        y = image_reference(x) if image else np.maximum(x @ W.T + B, 0)
        np.save(sys.argv[4 if image else 3], y.astype(np.float32))
        return
    write(sys.argv[1], sys.argv[2])


if __name__ == "__main__":
    main()
