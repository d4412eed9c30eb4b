//===- ZipPrecheck.h - structural check of a TorchScript archive -*- C++ -*-===//
//
// LibTorch's zip reader trusts the sizes an archive declares; a crafted file
// (a 1.8 KB archive that declares a 2.2 GB record) crashes it. Before handing
// a file to torch::jit::load, popt walks the zip central directory itself and
// refuses archives whose records do not fit inside the file.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_ZIPPRECHECK_H
#define POPT_COMPILER_FRONTEND_ZIPPRECHECK_H

#include <istream>
#include <string>

namespace popt {

/// Returns an empty string when `path` is a structurally sound zip archive
/// whose every record lies inside the file, else a description of the fault.
std::string precheckZipArchive(const std::string &path);
/// The same check of an archive read from `in` (seekable: a file or a
/// string stream).
std::string precheckZipArchive(std::istream &in);

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_ZIPPRECHECK_H
