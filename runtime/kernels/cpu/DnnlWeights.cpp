//===- DnnlWeights.cpp - oneDNN's engine and weights in blocked layouts --===//
#include "runtime/kernels/cpu/DnnlWeights.h"

namespace popt::cpu {

using dnnl::memory;

memory::desc blockedDesc(const plan::BlockedLayout &b, memory::data_type type) {
  dnnl_memory_desc_t md{};
  md.ndims = static_cast<int>(b.dims()->size());
  md.data_type = static_cast<dnnl_data_type_t>(type);
  md.format_kind = dnnl_blocked;
  for (int i = 0; i < md.ndims; ++i) {
    md.dims[i] = b.dims()->Get(i);
    md.padded_dims[i] = b.padded_dims()->Get(i);
    md.format_desc.blocking.strides[i] = b.strides()->Get(i);
  }
  md.format_desc.blocking.inner_nblks = static_cast<int>(b.inner_blocks()->size());
  for (int i = 0; i < md.format_desc.blocking.inner_nblks; ++i) {
    md.format_desc.blocking.inner_blks[i] = b.inner_blocks()->Get(i);
    md.format_desc.blocking.inner_idxs[i] = b.inner_indices()->Get(i);
  }
  return memory::desc(md);
}

bool describeBlocked(const memory::desc &m, PackedWeight &out) {
  const dnnl_memory_desc_t &md = m.data;
  if (md.format_kind != dnnl_blocked || md.offset0 != 0 || md.extra.flags != 0 ||
      (md.data_type != dnnl_f32 && md.data_type != dnnl_bf16))
    return false;
  const dnnl_blocking_desc_t &bd = md.format_desc.blocking;
  for (int i = 0; i < md.ndims; ++i) {
    if (md.padded_offsets[i] != 0)
      return false;
    out.dims.push_back(md.dims[i]);
    out.paddedDims.push_back(md.padded_dims[i]);
    out.strides.push_back(bd.strides[i]);
  }
  for (int i = 0; i < bd.inner_nblks; ++i) {
    out.innerBlocks.push_back(bd.inner_blks[i]);
    out.innerIndices.push_back(bd.inner_idxs[i]);
  }
  out.bytes = m.get_size();
  return true;
}

dnnl::primitive_attr ownScratchpad(dnnl::primitive_attr attr) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

size_t scratchpadBytes(const dnnl::primitive &p) {
  if (!p)
    return 0;
  const dnnl_memory_desc_t *md =
      dnnl_primitive_desc_query_md(p.get_primitive_desc(), dnnl_query_scratchpad_md, 0);
  return md ? dnnl_memory_desc_get_size(md) : 0;
}

memory prepareWeights(const memory::desc &user, void *data,
                      const memory::desc &want, LargeRegion *region) {
  Dnnl &d = Dnnl::get();
  memory src(user, d.engine, data);
  if (user == want)
    return src;
  void *into = region ? region->take(want.get_size()) : nullptr;
  memory packed = into ? memory(want, d.engine, into) : memory(want, d.engine);
  dnnl::reorder(src, packed).execute(d.stream, src, packed);
  d.stream.wait();
  return packed;
}

} // namespace popt::cpu
