//===- InputFile.cpp - refusing input paths that are not files ------------===//

#include "runtime/core/InputFile.h"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>

namespace popt {

Status checkInputFile(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return Status::badInput(path + ": cannot open: " + std::strerror(errno));
  if (S_ISREG(st.st_mode))
    return Status::ok();
  const char *what = S_ISDIR(st.st_mode)    ? "a directory"
                     : S_ISFIFO(st.st_mode) ? "a FIFO (popt reads files, not pipes)"
                     : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                     : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                                  : "not a regular file";
  return Status::badInput(path + ": cannot read it: it is " + std::string(what) +
                          "; give a regular file");
}

} // namespace popt
