//===- Npy.cpp - NumPy .npy files in and out ------------------------------===//
#include "runtime/core/Npy.h"
#include "runtime/core/InputFile.h"
#include "runtime/core/OutputFile.h"

#include "runtime/core/HalfTypes.h"

#include "runtime/plan/PlanFormat.h"

#include <cstdio>
#include <cstring>
#include <algorithm>
#include <fstream>

namespace popt {

namespace {
struct Descr {
  const char *text;
  plan::DType dtype;
};
constexpr Descr kDescrs[] = {
    {"<f4", plan::DType::F32}, {"<f8", plan::DType::F64},
    {"<f2", plan::DType::F16}, {"<i8", plan::DType::I64},
    {"<i4", plan::DType::I32}, {"|i1", plan::DType::I8},
    {"|u1", plan::DType::U8},  {"|b1", plan::DType::Bool}};

/// The first `key` in `header` followed by optional white space and text
/// that `rest` accepts: what std::regex_search finds for KEY\s*REST, in
/// linear time (std::regex recurses once per character and overflows the
/// stack on a header of a few hundred kilobytes). `rest(p)` returns 1 for a
/// match at p, 0 to try the next `key`, -1 when no later one can match.
template <typename Rest>
bool findField(const std::string &header, const std::string &key, Rest rest) {
  for (size_t at = header.find(key); at != std::string::npos;
       at = header.find(key, at + 1)) {
    size_t p = header.find_first_not_of(" \t\n\v\f\r", at + key.size());
    if (p == std::string::npos)
      return false;
    if (int r = rest(p); r != 0)
      return r > 0;
  }
  return false;
}

/// `'KEY': OPEN text CLOSE`, the text without OPEN and CLOSE into `out`.
bool findDelimited(const std::string &header, const std::string &key, char open,
                   char close, std::string &out) {
  return findField(header, key, [&](size_t p) {
    if (header[p] != open)
      return 0;
    size_t end = header.find(close, p + 1);
    if (end == std::string::npos)
      return -1; // nor after any later key
    out = header.substr(p + 1, end - p - 1);
    return 1;
  });
}
} // namespace

Status readNpy(const std::string &path, NpyArray &out) {
  if (Status s = checkInputFile(path); !s)
    return s;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::badInput(path + ": cannot open");
  return readNpy(in, path, out);
}

Status readNpy(std::istream &in, const std::string &path, NpyArray &out) {
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return Status::badInput(path + ": not a .npy file (bad magic)");
  int major = static_cast<unsigned char>(magic[6]);
  uint32_t headerLen = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char *>(b), 2))
      return Status::badInput(path + ": truncated .npy header");
    headerLen = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char *>(b), 4))
      return Status::badInput(path + ": truncated .npy header");
    headerLen = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  } else {
    return Status::badInput(path + ": unsupported .npy version " +
                            std::to_string(major));
  }
  if (headerLen > (1u << 20))
    return Status::badInput(path + ": .npy header too large");
  std::string header(headerLen, '\0');
  if (!in.read(header.data(), headerLen))
    return Status::badInput(path + ": truncated .npy header");

  std::string descr;
  if (!findDelimited(header, "'descr':", '\'', '\'', descr))
    return Status::badInput(path + ": .npy header has no descr");
  bool found = false;
  for (const Descr &d : kDescrs)
    if (descr == d.text) {
      out.dtype = d.dtype;
      found = true;
    }
  if (!found)
    return Status::badInput(path + ": unsupported .npy dtype '" + descr + "'");
  bool fortran = true;
  if (!findField(header, "'fortran_order':", [&](size_t p) {
        for (bool value : {true, false})
          if (header.compare(p, value ? 4 : 5, value ? "True" : "False") == 0) {
            fortran = value;
            return 1;
          }
        return 0;
      }) ||
      fortran)
    return Status::badInput(path + ": Fortran-order .npy arrays are not "
                                   "supported; save a C-order array");
  std::string dims;
  if (!findDelimited(header, "'shape':", '(', ')', dims))
    return Status::badInput(path + ": .npy header has no shape");
  out.shape.clear();
  // A comma-separated list of non-negative integers, a trailing comma
  // allowed ("(3,)"); anything else ("(1,-3,16)") is refused, not guessed.
  int64_t numel = 1;
  size_t pos = 0;
  while (pos < dims.size()) {
    size_t comma = dims.find(',', pos);
    std::string item = dims.substr(pos, comma == std::string::npos ? std::string::npos
                                                                    : comma - pos);
    pos = comma == std::string::npos ? dims.size() : comma + 1;
    size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b == std::string::npos) {
      if (comma == std::string::npos && !out.shape.empty())
        break; // the trailing comma of "(3,)"
      return Status::badInput(path + ": .npy shape (" + dims + ") has an empty dimension");
    }
    item = item.substr(b, e - b + 1);
    if (item.find_first_not_of("0123456789") != std::string::npos)
      return Status::badInput(path + ": .npy shape (" + dims +
                              ") has a dimension that is not a non-negative integer");
    if (item.size() > 12)
      return Status::badInput(path + ": .npy dimension too large");
    int64_t d = std::stoll(item);
    out.shape.push_back(d);
    if (d > 0 && numel > (int64_t(1) << 40) / d)
      return Status::badInput(path + ": .npy array too large");
    numel *= d;
  }
  // Read in growing chunks (1 MB, doubling up to 64 MB), so that memory
  // follows the bytes the file really has: a header of a hundred bytes can
  // declare terabytes.
  const size_t bytes = size_t(numel) * plan::elementSize(out.dtype);
  out.data.clear();
  while (out.data.size() < bytes) {
    size_t at = out.data.size();
    size_t n = std::min(bytes - at, std::clamp(at, size_t(1) << 20, size_t(64) << 20));
    out.data.resize(at + n);
    if (!in.read(out.data.data() + at, static_cast<std::streamsize>(n))) {
      out.data.clear();
      return Status::badInput(path + ": .npy data shorter than its shape needs");
    }
  }
  if (in.peek() != std::char_traits<char>::eof()) {
    out.data.clear();
    return Status::badInput(path + ": trailing bytes after the .npy data its shape " +
                            shapeString(out.shape) + " needs (not a single array?)");
  }
  return Status::ok();
}

Status writeNpy(const std::string &path, const TensorView &view) {
  if (view.dtype == plan::DType::BF16) {
    // NumPy has no bfloat16: written as f32, which holds every value exactly.
    std::vector<float> wide(size_t(view.numel));
    const auto *src = static_cast<const BFloat16 *>(view.data);
    for (int64_t i = 0; i < view.numel; ++i)
      wide[i] = src[i];
    TensorView f32 = view;
    f32.dtype = plan::DType::F32;
    f32.data = wide.data();
    f32.bytes = wide.size() * sizeof(float);
    return writeNpy(path, f32);
  }
  const char *descr = nullptr;
  for (const Descr &d : kDescrs)
    if (d.dtype == view.dtype)
      descr = d.text;
  if (!descr)
    return Status::failure(path + ": no .npy dtype for " + dtypeName(view.dtype));
  // NumPy's tuple syntax: "()", "(3,)", "(2, 3)".
  std::string shape;
  for (size_t i = 0; i < view.shape.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(view.shape[i]);
  if (view.shape.size() == 1)
    shape += ",";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string bytes;
  bytes.reserve(10 + header.size() + view.bytes);
  uint16_t len = static_cast<uint16_t>(header.size());
  bytes.append("\x93NUMPY\x01\x00", 8);
  bytes.append(reinterpret_cast<const char *>(&len), 2);
  bytes += header;
  bytes.append(static_cast<const char *>(view.data), view.bytes);
  return writeOutputFile(path, bytes);
}

} // namespace popt
