//===- ConvertRecurrent.cpp - torch.nn LSTM and GRU -----------------------===//
//
// aten::lstm and aten::gru (the padded-tensor overloads nn.LSTM and nn.GRU
// call) and the single-step aten::lstm_cell / aten::gru_cell decompose into
// popt ops; the sequence length is static, so the time loop is unrolled.
// Per layer and direction:
//   xp = linear(layer input, W_ih, b_ih)     all time steps at once: [T, B, G*H]
//   per step t (T-1 .. 0 for the reverse direction):
//     gh = linear(h, W_hh, b_hh)             (skipped when h is the zero state)
//     LSTM (gates i, f, g, o): s = sigmoid(xp_t + gh); g = tanh(...);
//       c = f * c + i * g;  h = o * tanh(c)
//     GRU (gates r, z, n):  r, z = sigmoid(xp_t[r,z] + gh[r,z]);
//       n = tanh(xp_t[n] + r * gh[n]);  h = (h - n) * z + n    (ATen's order)
//   the direction's output is its h_t concatenated in time order; the two
//   directions are concatenated along the features and feed the next layer.
// Refused with a message: packed sequences, LSTM proj_size, and dropout
// between layers in training mode.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

#include <ATen/ATen.h>

#include <cstdio>

using namespace mlir;
using torch::jit::Node;

namespace popt {

namespace {

enum class Cell { LSTM, GRU };

const char *cellName(Cell cell) { return cell == Cell::LSTM ? "LSTM" : "GRU"; }
int64_t gateCount(Cell cell) { return cell == Cell::LSTM ? 4 : 3; }

/// True when `v` is a compile-time tensor of zeros (nn.LSTM's default state).
bool isZeroConstant(const ImportValue &v) {
  if (!v.isConstant() || !v.constant.isTensor())
    return false;
  const at::Tensor &t = v.constant.toTensor();
  return t.numel() > 0 && !t.ne(0).any().item<bool>();
}

/// Builds the ops of one recurrent node; every helper passes null through
/// (an op that failed has recorded its error).
class Builder {
public:
  Builder(GraphImporter &im, Node *n) : im(im), n(n), b(im.builder()) {}

  Value slice(Value v, int64_t dim, int64_t start, int64_t end) {
    return v ? im.create<SliceOp>(n, v, b.getI64IntegerAttr(dim),
                                  b.getI64IntegerAttr(start),
                                  b.getI64IntegerAttr(end),
                                  b.getI64IntegerAttr(1))
             : Value();
  }
  Value add(Value x, Value y) { return x && y ? im.create<AddOp>(n, x, y) : Value(); }
  Value sub(Value x, Value y) { return x && y ? im.create<SubOp>(n, x, y) : Value(); }
  Value mul(Value x, Value y) { return x && y ? im.create<MulOp>(n, x, y) : Value(); }
  Value sigmoid(Value x) { return x ? im.create<SigmoidOp>(n, x) : Value(); }
  Value tanh(Value x) { return x ? im.create<TanhOp>(n, x) : Value(); }
  Value linear(Value x, Value w, Value bias) {
    return x && w ? im.create<LinearOp>(n, x, w, bias) : Value();
  }
  Value reshape(Value v, ArrayRef<int64_t> shape) {
    return v ? im.reshape(n, v, shape) : Value();
  }
  /// Concatenation along `dim`; one value is returned as it is.
  Value concat(ArrayRef<Value> vs, int64_t dim) {
    for (Value v : vs)
      if (!v)
        return {};
    if (vs.size() == 1)
      return vs.front();
    return im.create<ConcatOp>(n, vs, b.getI64IntegerAttr(dim));
  }

  /// The recurrent projection h W_hh^T + b_hh as [B or 1, G*H]; null for a
  /// zero state without bias (then it contributes nothing).
  Value recurrent(Value h, Value whh, Value bhh) {
    if (h)
      return linear(h, whh, bhh);
    if (!bhh)
      return {};
    return reshape(bhh, {1, GraphImporter::typeOf(bhh).getNumElements()});
  }

  /// One LSTM step: `xg` = x W_ih^T + b_ih [B, 4H]; `h`, `c` [B, H] or null
  /// for zeros. Returns (h', c').
  std::pair<Value, Value> lstmStep(Value xg, Value h, Value c, Value whh,
                                   Value bhh, int64_t hidden) {
    Value gh = recurrent(h, whh, bhh);
    Value gates = gh ? add(xg, gh) : xg;
    // i, f and o are sigmoids, g a tanh: one sigmoid over all four gates
    // costs fewer ops than three over slices.
    Value s = sigmoid(gates);
    Value i = slice(s, 1, 0, hidden), f = slice(s, 1, hidden, 2 * hidden);
    Value g = tanh(slice(gates, 1, 2 * hidden, 3 * hidden));
    Value o = slice(s, 1, 3 * hidden, 4 * hidden);
    Value ig = mul(i, g);
    Value c2 = c ? add(mul(f, c), ig) : ig;
    return {mul(o, tanh(c2)), c2};
  }

  /// One GRU step: `xg` = x W_ih^T + b_ih [B, 3H]; `h` [B, H] or null for
  /// zeros. Returns h'.
  Value gruStep(Value xg, Value h, Value whh, Value bhh, int64_t hidden) {
    Value gh = recurrent(h, whh, bhh);
    Value rzIn = slice(xg, 1, 0, 2 * hidden);
    if (gh)
      rzIn = add(rzIn, slice(gh, 1, 0, 2 * hidden));
    Value rz = sigmoid(rzIn);
    Value r = slice(rz, 1, 0, hidden), z = slice(rz, 1, hidden, 2 * hidden);
    Value nIn = slice(xg, 1, 2 * hidden, 3 * hidden);
    if (gh)
      nIn = add(nIn, mul(r, slice(gh, 1, 2 * hidden, 3 * hidden)));
    Value nn = tanh(nIn);
    // ATen: h' = (h - n) * z + n; with h = 0 that is n - n * z.
    return h ? add(mul(sub(h, nn), z), nn) : sub(nn, mul(nn, z));
  }

private:
  GraphImporter &im;
  Node *n;
  OpBuilder &b;
};

/// The initial state of layer-direction `k` from `state` [L*D, B, H]: null
/// when it is the zero constant.
Value initialState(Builder &rb, GraphImporter &im, Node *n,
                   const ImportValue &state, int64_t k, int64_t batch,
                   int64_t hidden) {
  if (isZeroConstant(state))
    return {};
  Value all = im.tensorOf(n, state);
  if (all && GraphImporter::typeOf(all).getDimSize(0) > 1)
    all = rb.slice(all, 0, k, k + 1);
  return rb.reshape(all, {batch, hidden});
}

/// Checks that a state tensor is [layers * dirs, B, H] (a constant is read
/// from its ATen tensor: the zero state is never materialised).
bool checkState(GraphImporter &im, Node *n, const ImportValue &state,
                const char *what, int64_t count, int64_t batch, int64_t hidden) {
  std::vector<int64_t> shape;
  if (state.isConstant() && state.constant.isTensor()) {
    shape = state.constant.toTensor().sizes().vec();
  } else {
    Value v = im.tensorOf(n, state);
    if (!v)
      return false;
    auto s = GraphImporter::typeOf(v).getShape();
    shape.assign(s.begin(), s.end());
  }
  if (shape == std::vector<int64_t>{count, batch, hidden})
    return true;
  std::string got;
  for (int64_t d : shape)
    got += (got.empty() ? "" : "x") + std::to_string(d);
  im.error(n, Twine(what) + " must be " + Twine(count) + "x" + Twine(batch) +
                  "x" + Twine(hidden) + " (layers * directions, batch, "
                  "hidden), got " + (got.empty() ? "a scalar" : got));
  return false;
}

/// The elements of a list argument (a compile-time list or a list built at
/// run time), or none with an error recorded.
std::vector<ImportValue> listElements(GraphImporter &im, Node *n, size_t i) {
  const ImportValue &v = im.in(n, i);
  std::vector<ImportValue> out;
  if (v.isList())
    return v.elements;
  if (v.isConstant() && v.constant.isList()) {
    for (const c10::IValue &e : v.constant.toListRef())
      out.push_back(ImportValue::constantOf(e));
    return out;
  }
  im.error(n, "argument " + Twine(i) + " is not a list of tensors");
  return out;
}

bool isPackedOverload(Node *n) {
  const c10::FunctionSchema *schema = n->maybeSchema();
  return schema && schema->overload_name() == "data";
}

LogicalResult refusePacked(GraphImporter &im, Node *n) {
  return im.fail(n, "packed sequences (nn.utils.rnn.pack_padded_sequence, "
                    "PackedSequence) are not supported; pass the padded "
                    "[T, B, *] tensor to the LSTM/GRU and mask its output");
}

/// aten::lstm.input(input, hx[], params[], has_biases, num_layers, dropout,
///   train, bidirectional, batch_first) -> (output, h_n, c_n)
/// aten::gru.input(input, hx, params[], ...) -> (output, h_n)
LogicalResult convertSequence(GraphImporter &im, Node *n, Cell cell) {
  if (isPackedOverload(n))
    return refusePacked(im, n);
  Value x = im.tensor(n, 0);
  std::vector<ImportValue> hx;
  if (cell == Cell::LSTM)
    hx = listElements(im, n, 1);
  else
    hx.push_back(im.in(n, 1));
  std::vector<Value> params = im.tensorsArg(n, 2);
  bool hasBiases = im.boolArg(n, 3);
  int64_t layers = im.intArg(n, 4);
  double dropout = im.doubleArg(n, 5);
  bool train = im.boolArg(n, 6);
  int64_t dirs = im.boolArg(n, 7) ? 2 : 1;
  bool batchFirst = im.boolArg(n, 8);
  if (!x || !im.ok())
    return failure();

  const char *name = cellName(cell);
  int64_t per = hasBiases ? 4 : 2;
  if (layers < 1)
    return im.fail(n, Twine(name) + " needs at least one layer");
  if (cell == Cell::LSTM &&
      params.size() == static_cast<size_t>(layers * dirs * (per + 1)))
    return im.fail(n, "LSTM with proj_size > 0 (a projected hidden state, "
                      "weight_hr) is not supported");
  if (params.size() != static_cast<size_t>(layers * dirs * per))
    return im.fail(n, Twine(name) + " expects " + Twine(layers * dirs * per) +
                          " weights for " + Twine(layers) + " layer(s), " +
                          Twine(dirs) + " direction(s), got " +
                          Twine(params.size()));
  if (train && dropout > 0 && layers > 1) {
    char p[32];
    std::snprintf(p, sizeof p, "%g", dropout);
    return im.fail(n, "dropout between layers in training mode (train=True, "
                      "dropout=" + Twine(p) + ") is not supported; "
                      "save the model after model.eval() (a traced model "
                      "keeps the mode it was traced in)");
  }
  if (hx.size() != (cell == Cell::LSTM ? 2u : 1u))
    return im.fail(n, Twine(name) + " expects " +
                          (cell == Cell::LSTM ? "(h_0, c_0)" : "h_0") +
                          " as its state");

  auto xt = GraphImporter::typeOf(x);
  if (xt.getRank() != 3)
    return im.fail(n, Twine(name) + " input must have 3 dimensions, got " +
                          Twine(xt.getRank()));
  int64_t seq = xt.getDimSize(batchFirst ? 1 : 0);
  int64_t batch = xt.getDimSize(batchFirst ? 0 : 1);
  if (seq < 1)
    return im.fail(n, Twine(name) + " input has an empty sequence");
  auto whhShape = GraphImporter::typeOf(params[1]).getShape();
  int64_t gates = gateCount(cell);
  if (whhShape.size() != 2 || whhShape[0] != gates * whhShape[1])
    return im.fail(n, Twine(name) + " weight_hh must be [" + Twine(gates) +
                          " * hidden, hidden]");
  int64_t hidden = whhShape[1];
  for (size_t s = 0; s < hx.size(); ++s)
    if (!checkState(im, n, hx[s], s == 0 ? "h_0" : "c_0", layers * dirs,
                    batch, hidden))
      return failure();

  Builder rb(im, n);
  int64_t gh = gates * hidden;
  Value layerIn = x;
  std::vector<Value> lastH, lastC;
  for (int64_t layer = 0; layer < layers; ++layer) {
    std::vector<Value> dirOut;
    for (int64_t dir = 0; dir < dirs; ++dir) {
      int64_t k = layer * dirs + dir;
      Value wih = params[k * per], whh = params[k * per + 1];
      Value bih = hasBiases ? params[k * per + 2] : Value();
      Value bhh = hasBiases ? params[k * per + 3] : Value();
      // Input projection of every step at once, laid out so that one step
      // is one slice: [T*B, G*H] (time first) or [B, T*G*H].
      Value xp = rb.linear(layerIn, wih, bih);
      xp = batchFirst ? rb.reshape(xp, {batch, seq * gh})
                      : rb.reshape(xp, {seq * batch, gh});
      Value h = initialState(rb, im, n, hx[0], k, batch, hidden);
      Value c = cell == Cell::LSTM
                    ? initialState(rb, im, n, hx[1], k, batch, hidden)
                    : Value();
      std::vector<Value> outs(seq);
      for (int64_t step = 0; step < seq; ++step) {
        int64_t t = dir == 0 ? step : seq - 1 - step;
        Value xg = batchFirst ? rb.slice(xp, 1, t * gh, (t + 1) * gh)
                              : rb.slice(xp, 0, t * batch, (t + 1) * batch);
        if (cell == Cell::LSTM)
          std::tie(h, c) = rb.lstmStep(xg, h, c, whh, bhh, hidden);
        else
          h = rb.gruStep(xg, h, whh, bhh, hidden);
        if (!im.ok())
          return failure();
        outs[t] = h;
      }
      // [B, H] per step: concatenated along the features (batch first) or
      // the rows (time first), that is [B, T, H] or [T, B, H] in memory.
      Value out = batchFirst ? rb.concat(outs, 1) : rb.concat(outs, 0);
      dirOut.push_back(batchFirst ? rb.reshape(out, {batch, seq, hidden})
                                  : rb.reshape(out, {seq, batch, hidden}));
      lastH.push_back(h);
      lastC.push_back(c);
    }
    layerIn = rb.concat(dirOut, 2);
    if (!im.ok())
      return failure();
  }
  auto stack = [&](ArrayRef<Value> vs) {
    return rb.reshape(rb.concat(vs, 0),
                      {static_cast<int64_t>(vs.size()), batch, hidden});
  };
  Value hN = stack(lastH);
  Value cN = cell == Cell::LSTM ? stack(lastC) : Value();
  if (!layerIn || !hN || (cell == Cell::LSTM && !cN) || !im.ok())
    return failure();
  im.setOutput(n, 0, layerIn);
  im.setOutput(n, 1, hN);
  if (cell == Cell::LSTM)
    im.setOutput(n, 2, cN);
  return success();
}

LogicalResult convertLSTM(GraphImporter &im, Node *n) {
  return convertSequence(im, n, Cell::LSTM);
}
LogicalResult convertGRU(GraphImporter &im, Node *n) {
  return convertSequence(im, n, Cell::GRU);
}

/// aten::lstm_cell(input, hx[], w_ih, w_hh, b_ih?, b_hh?) -> (h', c')
/// aten::gru_cell(input, hx, w_ih, w_hh, b_ih?, b_hh?) -> h'
LogicalResult convertCell(GraphImporter &im, Node *n, Cell cell) {
  Value x = im.tensor(n, 0);
  std::vector<ImportValue> hx;
  if (cell == Cell::LSTM)
    hx = listElements(im, n, 1);
  else
    hx.push_back(im.in(n, 1));
  Value wih = im.tensor(n, 2), whh = im.tensor(n, 3);
  Value bih = im.optTensor(n, 4), bhh = im.optTensor(n, 5);
  if (!x || !wih || !whh || !im.ok())
    return failure();
  const char *name = cell == Cell::LSTM ? "LSTMCell" : "GRUCell";
  if (hx.size() != (cell == Cell::LSTM ? 2u : 1u))
    return im.fail(n, Twine(name) + " expects " +
                          (cell == Cell::LSTM ? "(h, c)" : "h") +
                          " as its state");
  auto xt = GraphImporter::typeOf(x);
  auto whhShape = GraphImporter::typeOf(whh).getShape();
  int64_t gates = gateCount(cell);
  if (xt.getRank() != 2)
    return im.fail(n, Twine(name) + " input must have 2 dimensions, got " +
                          Twine(xt.getRank()));
  if (whhShape.size() != 2 || whhShape[0] != gates * whhShape[1])
    return im.fail(n, Twine(name) + " weight_hh must be [" + Twine(gates) +
                          " * hidden, hidden]");
  int64_t batch = xt.getDimSize(0), hidden = whhShape[1];
  Builder rb(im, n);
  std::vector<Value> state;
  for (size_t s = 0; s < hx.size(); ++s) {
    if (isZeroConstant(hx[s])) {
      state.push_back({});
      continue;
    }
    Value v = im.tensorOf(n, hx[s]);
    if (!v)
      return failure();
    if (GraphImporter::typeOf(v).getShape() != ArrayRef<int64_t>{batch, hidden})
      return im.fail(n, Twine(name) + " state must be [" + Twine(batch) +
                            ", " + Twine(hidden) + "]");
    state.push_back(v);
  }
  Value xg = rb.linear(x, wih, bih);
  if (cell == Cell::GRU)
    return im.setResult(n, rb.gruStep(xg, state[0], whh, bhh, hidden));
  auto [h, c] = rb.lstmStep(xg, state[0], state[1], whh, bhh, hidden);
  if (!h || !c || !im.ok())
    return failure();
  im.setOutput(n, 0, h);
  im.setOutput(n, 1, c);
  return success();
}

LogicalResult convertLSTMCell(GraphImporter &im, Node *n) {
  return convertCell(im, n, Cell::LSTM);
}
LogicalResult convertGRUCell(GraphImporter &im, Node *n) {
  return convertCell(im, n, Cell::GRU);
}

LogicalResult convertPackSequence(GraphImporter &im, Node *n) {
  return refusePacked(im, n);
}

} // namespace

void registerRecurrentConverters(ConverterTable &t) {
  t["aten::lstm"] = convertLSTM;
  t["aten::gru"] = convertGRU;
  t["aten::lstm_cell"] = convertLSTMCell;
  t["aten::gru_cell"] = convertGRUCell;
  t["aten::_pack_padded_sequence"] = convertPackSequence;
}

} // namespace popt
