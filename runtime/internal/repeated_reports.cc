#include "runtime/internal/repeated_reports.h"

#include "absl/strings/str_cat.h"
#include "runtime/errors.h"

namespace weft::internal {
namespace {

// "weft::ConnectionResetError" out of describe_exception's "Type: what".
std::string type_of(const std::exception_ptr& e) {
  if (!e) return "";
  std::string d = describe_exception(e);
  return d.substr(0, d.find(": "));
}

// 10003 -> "10,003".
std::string with_commas(size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

bool RepeatedReports::first(const std::string& message, const std::exception_ptr& exception) {
  std::string type = type_of(exception);
  for (Kind& k : kinds_) {
    if (k.message == message && k.type == type) {
      ++k.repeats;
      return false;
    }
  }
  kinds_.push_back({message, std::move(type), 0});
  return true;
}

std::vector<std::string> RepeatedReports::take_summary() {
  std::vector<std::string> lines;
  for (const Kind& k : kinds_) {
    if (k.repeats == 0) continue;
    std::string line = absl::StrCat("weft: ", k.message);
    if (!k.type.empty()) absl::StrAppend(&line, ": ", k.type);
    absl::StrAppend(&line, " (and ", with_commas(k.repeats), " more like it)");
    lines.push_back(std::move(line));
  }
  kinds_.clear();
  return lines;
}

}  // namespace weft::internal
