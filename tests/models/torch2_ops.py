"""ATen operators of PyTorch 2.x, made callable in Debian's PyTorch 1.13.

Models that PyTorch 2.x saves call operators 1.13 lacks (the first one a
user meets: aten::scaled_dot_product_attention). To test popt's support for
such archives here, this module declares those operators with PyTorch 2.x's
schemas and gives them reference implementations in plain tensor math, so
that 1.13 can trace a model calling them and write an archive whose code
reads exactly as 2.x writes it (`torch.scaled_dot_product_attention(q, k,
v, None, 0., True)`). A process that has not imported this module cannot
load such an archive, which is the case popt-compile's importer solves
(compiler/frontend/NewerAtenSchemas.cpp).

Import it before tracing, scripting or loading such models.
"""
import math
from typing import Optional

import torch

_SCHEMAS = {
    "scaled_dot_product_attention":
        "scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, "
        "Tensor? attn_mask=None, float dropout_p=0.0, bool is_causal=False, *, "
        "float? scale=None, bool enable_gqa=False) -> Tensor",
    "rms_norm":
        "rms_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, "
        "float? eps=None) -> Tensor",
    "_safe_softmax": "_safe_softmax(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
}


def _sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
          enable_gqa=False):
    if k.shape[-3] != q.shape[-3] and q.dim() >= 3:  # grouped-query heads
        rep = q.shape[-3] // k.shape[-3]
        k = k.repeat_interleave(rep, dim=-3)
        v = v.repeat_interleave(rep, dim=-3)
    s = q @ k.transpose(-2, -1) * (scale if scale is not None else 1 / math.sqrt(q.shape[-1]))
    if is_causal:
        keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        s = s.masked_fill(~keep, float("-inf"))
    if attn_mask is not None:
        s = s.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool \
            else s + attn_mask
    return _safe_softmax(s, -1) @ v


def _rms_norm(x, normalized_shape, weight=None, eps=None):
    if eps is None:
        eps = torch.finfo(x.dtype).eps
    dims = tuple(range(x.dim() - len(normalized_shape), x.dim()))
    y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
    return y * weight if weight is not None else y


def _safe_softmax(x, dim, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    y = torch.softmax(x, dim)
    dead = (x == float("-inf")).all(dim, keepdim=True)
    return y.masked_fill(dead, 0.0)


_IMPLS = {"scaled_dot_product_attention": _sdpa, "rms_norm": _rms_norm,
          "_safe_softmax": _safe_softmax}
_LIBS = []


def _register():
    frag = torch._C._dispatch_library("FRAGMENT", "aten", "", __file__, 0)
    impl = torch.library.Library("aten", "IMPL")
    for name, schema in _SCHEMAS.items():
        if hasattr(torch.ops.aten, name):
            continue  # a PyTorch that has the operator already
        frag.def_(schema)
        impl.impl(name, _IMPLS[name], "CPU")
    _LIBS.extend([frag, impl])


_register()


def sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
         mask: Optional[torch.Tensor] = None, causal: bool = False,
         scale: Optional[float] = None) -> torch.Tensor:
    """torch.ops.aten.scaled_dot_product_attention as PyTorch 2.x calls it
    (scriptable)."""
    return torch.ops.aten.scaled_dot_product_attention(q, k, v, mask, 0.0, causal,
                                                       scale=scale)
