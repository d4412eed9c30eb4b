//===- ZipDirectory.cpp - the records of a zip archive --------------------===//
//
// Reads the end-of-central-directory record (and its zip64 form), then every
// central-directory entry, checking that each local header and its data lie
// inside the file and that stored (uncompressed) records declare equal sizes.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/ZipDirectory.h"

#include <vector>

namespace popt {

namespace {
uint64_t le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

bool readAt(std::istream &f, uint64_t off, unsigned char *buf, size_t n) {
  return readZipBytes(f, off, buf, n);
}
} // namespace

bool readZipBytes(std::istream &f, uint64_t offset, void *out, size_t n) {
  f.clear();
  f.seekg(static_cast<std::streamoff>(offset));
  f.read(static_cast<char *>(out), static_cast<std::streamsize>(n));
  return static_cast<size_t>(f.gcount()) == n;
}

std::string readZipDirectory(std::istream &f, std::map<std::string, ZipRecord> &records) {
  records.clear();
  f.clear();
  f.seekg(0, std::ios::end);
  const std::streamoff end = f.tellg();
  if (end < 0)
    return "cannot read file";
  const uint64_t size = static_cast<uint64_t>(end);
  if (size < 22)
    return "file too small to be a zip archive";

  // 1. Find the end-of-central-directory record in the last 64 KiB + 22.
  uint64_t tail = std::min<uint64_t>(size, 65535 + 22);
  std::vector<unsigned char> buf(tail);
  if (!readAt(f, size - tail, buf.data(), tail))
    return "cannot read file";
  int64_t eocd = -1;
  for (int64_t i = static_cast<int64_t>(tail) - 22; i >= 0; --i)
    if (le(&buf[i], 4) == 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) {
    unsigned char first[2] = {0, 0};
    if (readAt(f, 0, first, 2) && first[0] == 0x80 && first[1] >= 2 && first[1] <= 5)
      return "it is a pickle (torch.save() with _use_new_zipfile_serialization=False, or "
             "plain pickle), not TorchScript; save the model with "
             "torch.jit.script(model).save(\"model.pt\")";
    return "not a zip archive (no end-of-central-directory record)";
  }
  const unsigned char *e = &buf[eocd];
  uint64_t entries = le(e + 10, 2), cdSize = le(e + 12, 4),
           cdOffset = le(e + 16, 4);
  uint64_t eocdPos = size - tail + static_cast<uint64_t>(eocd);

  // 2. zip64: the locator sits just before the classic record.
  if (eocdPos >= 20) {
    unsigned char loc[20];
    if (readAt(f, eocdPos - 20, loc, 20) && le(loc, 4) == 0x07064b50) {
      uint64_t rec = le(loc + 8, 8);
      unsigned char z[56];
      if (size < 56 || rec > size - 56 || !readAt(f, rec, z, 56) || le(z, 4) != 0x06064b50)
        return "corrupt zip64 end-of-central-directory record";
      entries = le(z + 32, 8);
      cdSize = le(z + 40, 8);
      cdOffset = le(z + 48, 8);
    }
  }
  if (cdOffset > size || cdSize > size - cdOffset)
    return "central directory lies outside the file";
  if (entries > cdSize / 46)
    return "central directory declares more entries than it can hold";

  // 3. Every entry's local header and data must lie inside the file.
  std::vector<unsigned char> cd(cdSize);
  if (!readAt(f, cdOffset, cd.data(), cdSize))
    return "cannot read central directory";
  uint64_t pos = 0;
    for (uint64_t n = 0; n < entries; ++n) {
    if (pos + 46 > cdSize || le(&cd[pos], 4) != 0x02014b50)
      return "corrupt central directory entry " + std::to_string(n);
    const unsigned char *c = &cd[pos];
    uint64_t method = le(c + 10, 2), csize = le(c + 20, 4),
             usize = le(c + 24, 4), nameLen = le(c + 28, 2),
             extraLen = le(c + 30, 2), commentLen = le(c + 32, 2),
             local = le(c + 42, 4);
    if (pos + 46 + nameLen + extraLen + commentLen > cdSize)
      return "central directory entry " + std::to_string(n) + " overruns it";
    std::string name(reinterpret_cast<const char *>(c + 46), nameLen);
    // zip64 extra field: replaces the fields that are 0xFFFFFFFF, in order.
    const unsigned char *x = c + 46 + nameLen, *xEnd = x + extraLen;
    while (xEnd - x >= 4) {
      uint64_t id = le(x, 2), len = le(x + 2, 2);
      const unsigned char *d = x + 4;
      if (len > static_cast<uint64_t>(xEnd - d))
        return "corrupt extra field in '" + name + "'";
      if (id == 0x0001) {
        const unsigned char *q = d;
        auto take = [&](uint64_t &field) {
          if (field == 0xFFFFFFFFu && (d + len) - q >= 8) {
            field = le(q, 8);
            q += 8;
          }
        };
        take(usize);
        take(csize);
        take(local);
      }
      x = d + len;
    }
    if (method == 0 && csize != usize)
      return "stored record '" + name + "' declares " + std::to_string(usize) +
             " bytes but holds " + std::to_string(csize);
    unsigned char lh[30];
    if (local > size || size - local < 30 || !readAt(f, local, lh, 30) ||
        le(lh, 4) != 0x04034b50)
      return "record '" + name + "' has no local header inside the file";
    uint64_t dataStart = local + 30 + le(lh + 26, 2) + le(lh + 28, 2);
    if (dataStart > size || csize > size - dataStart)
      return "record '" + name + "' declares " + std::to_string(csize) +
             " bytes but the file ends first";
    records[name] = ZipRecord{method, usize, dataStart};
    pos += 46 + nameLen + extraLen + commentLen;
  }
  return "";
}

} // namespace popt
