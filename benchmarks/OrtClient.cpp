//===- OrtClient.cpp - ONNX Runtime through Node.js, for the benchmarks ---===//
#include "OrtClient.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char **environ;

namespace popt::bench {
namespace {
constexpr const char *kPackage = "onnxruntime-node@1.30.0";

bool exists(const std::string &path) { return access(path.c_str(), F_OK) == 0; }

std::string join(const std::vector<int64_t> &dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}
} // namespace

std::unique_ptr<OrtClient> OrtClient::start(const std::string &buildDir, std::string &why) {
  if (std::system("node --version >/dev/null 2>&1") != 0) {
    why = "Node.js (Debian's nodejs) is not installed";
    return nullptr;
  }
  std::string prefix = buildDir + "/ort";
  std::string modules = prefix + "/node_modules";
  if (!exists(modules + "/onnxruntime-node/package.json")) {
    std::fprintf(stderr, "bench-runtime: installing %s into %s (first use; its install "
                         "script, which fetches GPU builds, is skipped)\n",
                 kPackage, prefix.c_str());
    // Bounded waits: without a registry the install fails in minutes, not
    // after npm's default retries.
    std::string cmd = "mkdir -p '" + prefix + "' && ONNXRUNTIME_NODE_INSTALL=skip npm install "
                      "--prefix '" + prefix + "' --no-audit --no-fund --silent "
                      "--fetch-timeout=60000 --fetch-retries=1 " + kPackage + " >&2";
    if (std::system(cmd.c_str()) != 0 || !exists(modules + "/onnxruntime-node/package.json")) {
      why = "npm install " + std::string(kPackage) + " failed";
      return nullptr;
    }
  }
  // A server that dies mid-request must fail the request, not the benchmark.
  std::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    why = std::string("pipe: ") + std::strerror(errno);
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::string script = std::string(POPT_SOURCE_DIR) + "/benchmarks/ort/ort_server.js";
  std::vector<std::string> env{"NODE_PATH=" + modules};
  for (char **e = environ; *e; ++e)
    if (std::strncmp(*e, "NODE_PATH=", 10) != 0)
      env.emplace_back(*e);
  std::vector<char *> envp, argv{const_cast<char *>("node"), script.data(), nullptr};
  for (auto &e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  auto client = std::unique_ptr<OrtClient>(new OrtClient());
  int rc = posix_spawnp(&client->pid_, "node", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  client->toServer_ = in[1];
  client->fromServer_ = fdopen(out[0], "r");
  if (rc != 0) {
    client->pid_ = -1;
    close(client->toServer_);
    std::fclose(client->fromServer_);
    client->toServer_ = -1;
    client->fromServer_ = nullptr;
    why = std::string("cannot start node: ") + std::strerror(rc);
    return nullptr;
  }
  char line[256];
  if (!std::fgets(line, sizeof line, client->fromServer_) || std::strncmp(line, "ready ", 6)) {
    why = "the ONNX Runtime server did not start (" + script + ")";
    return nullptr;
  }
  client->version_ = std::string(line + 6);
  while (!client->version_.empty() && client->version_.back() == '\n')
    client->version_.pop_back();
  return client;
}

OrtClient::~OrtClient() { quit(); }

long OrtClient::peakRssKiB() {
  std::string answer, error;
  return ask("memory", answer, error) ? std::atol(answer.c_str()) : -1;
}

void OrtClient::quit() {
  if (pid_ < 0)
    return;
  if (toServer_ >= 0) {
    (void)!write(toServer_, "quit\n", 5);
    close(toServer_);
    toServer_ = -1;
  }
  if (fromServer_) {
    std::fclose(fromServer_);
    fromServer_ = nullptr;
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool OrtClient::ask(const std::string &line, std::string &answer, std::string &error) {
  std::string request = line + "\n";
  if (toServer_ < 0 || write(toServer_, request.data(), request.size()) !=
                           static_cast<ssize_t>(request.size())) {
    error = "the ONNX Runtime server is gone";
    return false;
  }
  answer.clear();
  char buf[1 << 16];
  while (std::fgets(buf, sizeof buf, fromServer_)) {
    answer += buf;
    if (!answer.empty() && answer.back() == '\n')
      break;
  }
  if (answer.empty()) {
    error = "the ONNX Runtime server ended";
    return false;
  }
  answer.pop_back();
  if (answer.rfind("ok", 0) == 0) {
    answer = answer.size() > 3 ? answer.substr(3) : "";
    return true;
  }
  error = answer.rfind("error ", 0) == 0 ? answer.substr(6) : answer;
  return false;
}

bool OrtClient::load(const std::string &id, const std::string &onnx, int threads,
                     double &createMs, std::string &error, const std::string &profilePrefix) {
  std::string answer;
  if (!ask("load " + id + " " + onnx + " " + std::to_string(threads) +
               (profilePrefix.empty() ? "" : " " + profilePrefix),
           answer, error))
    return false;
  createMs = std::atof(answer.c_str());
  return true;
}

bool OrtClient::input(const std::string &id, const std::string &name, const std::string &dtype,
                      const std::vector<int64_t> &dims, const std::string &file,
                      std::string &error) {
  std::string answer;
  return ask("input " + id + " " + name + " " + dtype + " " + join(dims) + " " + file, answer,
             error);
}

bool OrtClient::run(const std::string &id, int n, std::vector<double> &ms, std::string &error) {
  std::string answer;
  if (!ask("run " + id + " " + std::to_string(n), answer, error))
    return false;
  std::istringstream in(answer);
  ms.clear();
  for (double t; in >> t;)
    ms.push_back(t);
  if (static_cast<int>(ms.size()) != n) {
    error = "the ONNX Runtime server answered " + std::to_string(ms.size()) + " times for " +
            std::to_string(n) + " calls";
    return false;
  }
  return true;
}

bool OrtClient::endProfiling(const std::string &id, std::string &file, std::string &error) {
  return ask("profile " + id, file, error);
}

bool OrtClient::drop(const std::string &id, std::string &error) {
  std::string answer;
  return ask("drop " + id, answer, error);
}

} // namespace popt::bench
