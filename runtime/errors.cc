#include "runtime/errors.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "absl/strings/str_cat.h"

namespace weft {
namespace {

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

}  // namespace

IncompleteReadError::IncompleteReadError(std::string partial_bytes, std::optional<size_t> expected_n)
    : std::runtime_error(absl::StrCat(partial_bytes.size(), " bytes read on a total of ",
                                      expected_n ? absl::StrCat(*expected_n) : "undefined",
                                      " expected bytes")),
      partial(std::move(partial_bytes)),
      expected(expected_n) {}

ExceptionGroup::ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions)
    : message_(std::move(message)), exceptions_(std::move(exceptions)) {
  what_ = absl::StrCat(message_, " (", exceptions_.size(), " sub-exception",
                       exceptions_.size() == 1 ? "" : "s", ")");
  for (const auto& e : exceptions_) absl::StrAppend(&what_, "\n  ", describe_exception(e));
}

std::string describe_exception(const std::exception_ptr& e) {
  if (!e) return "no exception";
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError& c) {
    return c.message().empty() ? "weft::CancelledError"
                               : absl::StrCat("weft::CancelledError: ", c.message());
  } catch (const std::exception& x) {
    return absl::StrCat(demangle(typeid(x)), ": ", x.what());
  } catch (...) {
    // Only describing: the exception stays in `e`, nothing is lost.
    return "unknown exception";
  }
}

bool is_cancelled_error(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    // Only classifying: the exception stays in `e`.
    return false;
  }
}

}  // namespace weft
