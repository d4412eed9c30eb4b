//===- TruncationGuard.cpp - a plan file cut short while it runs ----------===//

#include "runtime/plan/TruncationGuard.h"

#include <csignal>
#include <cstring>

#include <unistd.h>

namespace popt::plan {
namespace {

// Read by the handler: set before it is installed, never freed.
const char *gBase = nullptr;
std::string *gTool = nullptr;
size_t gSize = 0;
char gMessage[1024];
size_t gMessageLength = 0;

void onBusError(int sig, siginfo_t *info, void *) {
  const char *addr = static_cast<const char *>(info->si_addr);
  if (gBase && addr >= gBase && addr < gBase + gSize) {
    // Only async-signal-safe calls here.
    ssize_t ignored = ::write(STDERR_FILENO, gMessage, gMessageLength);
    (void)ignored;
    ::_exit(1);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

} // namespace

void enableTruncationGuard(const std::string &tool) {
  if (!gTool)
    gTool = new std::string;
  *gTool = tool;
}

void guardMappedFile(const void *base, size_t size, const std::string &path) {
  if (!gTool)
    return;
  const std::string &tool = *gTool;
  gBase = nullptr; // the handler must not see a half-written message
  std::string text = tool + ": error: " + path +
                     " changed on disk while it was in use (truncated or rewritten in "
                     "place); nothing was written. Replace a plan by renaming a new file over "
                     "it (popt-compile -o does), then run again\n";
  if (text.size() >= sizeof gMessage)
    text = tool + ": error: the plan file changed on disk while it was in use\n";
  std::memcpy(gMessage, text.data(), text.size());
  gMessageLength = text.size();
  gSize = size;
  gBase = static_cast<const char *>(base);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onBusError;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, nullptr);
}

} // namespace popt::plan
