//===- Status.h - result of a fallible runtime call -------------*- C++ -*-===//
//
// Every fallible runtime call returns a Status: a code that maps onto the
// tools' exit codes (docs/cli.md) and a message naming the file, tensor or
// op and what to do. Libraries never exit or abort. Besides bad input and
// plain failure, the codes say what a caller of a multi-device run can act
// on (IREE's status codes are the model): a device or peer that is not
// there, a wait that ran out of time, memory that ran out.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_STATUS_H
#define POPT_RUNTIME_CORE_STATUS_H

#include <string>
#include <utility>

namespace popt {

enum class StatusCode : int {
  Ok = 0,
  RuntimeFailure = 1,
  BadInput = 2,
  Unavailable,       ///< a device, driver or peer the plan needs is missing
  DeadlineExceeded,  ///< a cross-device wait or a peer ran past its time
  ResourceExhausted, ///< memory (arena, device memory) could not be had
};

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
  static Status unavailable(std::string message) {
    return Status(StatusCode::Unavailable, std::move(message));
  }
  static Status deadlineExceeded(std::string message) {
    return Status(StatusCode::DeadlineExceeded, std::move(message));
  }
  static Status resourceExhausted(std::string message) {
    return Status(StatusCode::ResourceExhausted, std::move(message));
  }
  /// The same code with `message` (to add context to a callee's status).
  Status withMessage(std::string message) const {
    return Status(code_, std::move(message));
  }

  bool isOk() const { return code_ == StatusCode::Ok; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  /// The tools' exit code (docs/cli.md): 2 for bad input and for a device
  /// or driver this machine lacks (the request cannot be met here), 1 for
  /// every kind of runtime failure.
  int exitCode() const {
    if (code_ == StatusCode::Ok)
      return 0;
    return code_ == StatusCode::BadInput || code_ == StatusCode::Unavailable ? 2 : 1;
  }
  const std::string &message() const { return message_; }

private:
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::Ok;
  std::string message_;
};

} // namespace popt

#endif // POPT_RUNTIME_CORE_STATUS_H
