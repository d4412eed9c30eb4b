//===- OutputFile.cpp - writing a tool's output without destroying --------===//

#include "runtime/core/OutputFile.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace popt {
namespace {

/// What a path finally names once its symbolic links are followed.
struct Target {
  std::string path; ///< the final name (the link's target, not the link)
  bool exists = false;
  struct stat st {};
};

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string baseOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string errnoText(int err) { return std::strerror(err); }

Status resolve(const std::string &path, Target &t) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) {
      if (errno != ENOENT)
        return Status::failure("cannot write " + path + ": " + errnoText(errno));
      t.path = p;
      t.exists = false;
      return Status::ok();
    }
    if (!S_ISLNK(st.st_mode)) {
      t.path = p;
      t.exists = true;
      t.st = st;
      return Status::ok();
    }
    std::string link(static_cast<size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
    ssize_t n = ::readlink(p.c_str(), link.data(), link.size());
    if (n < 0)
      return Status::failure("cannot write " + path + ": " + errnoText(errno));
    link.resize(static_cast<size_t>(n));
    p = !link.empty() && link[0] == '/' ? link : directoryOf(p) + "/" + link;
  }
  return Status::failure("cannot write " + path + ": too many levels of symbolic links");
}

bool writtenInPlace(const Target &t) {
  return t.exists && (S_ISCHR(t.st.st_mode) || S_ISBLK(t.st.st_mode) || S_ISFIFO(t.st.st_mode));
}

/// Refuses what can be neither replaced nor written in place.
Status refuseKind(const std::string &path, const Target &t) {
  if (!t.exists)
    return Status::ok();
  if (S_ISDIR(t.st.st_mode))
    return Status::failure("cannot write " + path + ": it is a directory (give a file name)");
  if (S_ISSOCK(t.st.st_mode))
    return Status::failure("cannot write " + path + ": it is a socket");
  return Status::ok();
}

/// Makes a new, unique file beside `target` (mode 0666 less the umask).
int createTemporary(const std::string &target, std::string &tmp) {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp = directoryOf(target) + "/." + baseOf(target) + ".popt-tmp-" +
          std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
          std::to_string(rd() & 0xffffff);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  errno = EEXIST;
  return -1;
}

Status writeAll(int fd, std::string_view bytes, const std::string &path) {
  const char *p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Status::failure("cannot write " + path + ": " + errnoText(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::ok();
}

Status missingDirectory(const std::string &path, const std::string &dir) {
  return Status::failure("cannot write " + path + ": the directory " + dir +
                         " does not exist (popt does not create it; make it first)");
}

} // namespace

Status checkOutputPath(const std::string &path, const std::string &flag) {
  if (path.empty())
    return Status::badInput(flag + " needs a file name");
  if (path == "-")
    return Status::ok();
  Target t;
  if (Status s = resolve(path, t); !s)
    return s.withMessage(flag + ": " + s.message());
  if (Status s = refuseKind(path, t); !s)
    return s.withMessage(flag + ": " + s.message());
  if (writtenInPlace(t)) {
    if (S_ISFIFO(t.st.st_mode))
      return Status::ok(); // opening it would wait for a reader
    int fd = ::open(t.path.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
      return Status::failure(flag + ": cannot write " + path + ": " + errnoText(errno));
    ::close(fd);
    return Status::ok();
  }
  std::string dir = directoryOf(t.path);
  struct stat dst;
  if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode)) {
    Status m = missingDirectory(path, dir);
    return m.withMessage(flag + ": " + m.message());
  }
  // A real probe: permission bits say nothing to root, and /proc or a
  // read-only mount only refuse when a file is made.
  std::string tmp;
  int fd = createTemporary(t.path, tmp);
  if (fd < 0)
    return Status::failure(flag + ": cannot write " + path + ": cannot create a file in " +
                           dir + ": " + errnoText(errno));
  ::close(fd);
  ::unlink(tmp.c_str());
  return Status::ok();
}

Status writeOutputFile(const std::string &path, std::string_view bytes) {
  if (path == "-") {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() ||
        std::fflush(stdout) != 0)
      return Status::failure("cannot write to standard output: " + errnoText(errno));
    return Status::ok();
  }
  Target t;
  if (Status s = resolve(path, t); !s)
    return s;
  if (Status s = refuseKind(path, t); !s)
    return s;
  if (writtenInPlace(t)) {
    int fd = ::open(t.path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
      return Status::failure("cannot write " + path + ": " + errnoText(errno));
    Status s = writeAll(fd, bytes, path);
    if (::close(fd) != 0 && s)
      s = Status::failure("cannot write " + path + ": " + errnoText(errno));
    return s;
  }
  std::string dir = directoryOf(t.path);
  struct stat dst;
  if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode))
    return missingDirectory(path, dir);
  std::string tmp;
  int fd = createTemporary(t.path, tmp);
  if (fd < 0)
    return Status::failure("cannot write " + path + ": cannot create a file in " + dir + ": " +
                           errnoText(errno));
  // A replaced file keeps its permission bits.
  if (t.exists)
    (void)::fchmod(fd, t.st.st_mode & 07777);
  Status s = writeAll(fd, bytes, path);
  if (::close(fd) != 0 && s)
    s = Status::failure("cannot write " + path + ": " + errnoText(errno));
  if (s && std::rename(tmp.c_str(), t.path.c_str()) != 0)
    s = Status::failure("cannot write " + path + ": " + errnoText(errno));
  if (!s)
    ::unlink(tmp.c_str());
  return s;
}

bool sameFile(const std::string &a, const std::string &b) {
  if (a.empty() || b.empty() || a == "-" || b == "-")
    return false;
  Target ta, tb;
  if (!resolve(a, ta) || !resolve(b, tb))
    return false;
  if (ta.exists && tb.exists)
    return ta.st.st_dev == tb.st.st_dev && ta.st.st_ino == tb.st.st_ino;
  std::error_code ec1, ec2;
  auto pa = std::filesystem::weakly_canonical(ta.path, ec1);
  auto pb = std::filesystem::weakly_canonical(tb.path, ec2);
  return !ec1 && !ec2 && pa == pb;
}

} // namespace popt
