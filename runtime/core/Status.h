//===- Status.h - result of a fallible runtime call -------------*- C++ -*-===//
//
// Every fallible runtime call returns a Status: a code that maps onto the
// tools' exit codes (docs/cli.md) and a message naming the file, tensor or
// op and what to do. Libraries never exit or abort.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_STATUS_H
#define POPT_RUNTIME_CORE_STATUS_H

#include <string>
#include <utility>

namespace popt {

enum class StatusCode : int { Ok = 0, RuntimeFailure = 1, BadInput = 2 };

class Status {
public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status badInput(std::string message) {
    return Status(StatusCode::BadInput, std::move(message));
  }
  static Status failure(std::string message) {
    return Status(StatusCode::RuntimeFailure, std::move(message));
  }

  bool isOk() const { return code_ == StatusCode::Ok; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  int exitCode() const { return static_cast<int>(code_); }
  const std::string &message() const { return message_; }

private:
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::Ok;
  std::string message_;
};

} // namespace popt

#endif // POPT_RUNTIME_CORE_STATUS_H
