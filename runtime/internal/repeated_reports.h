// RepeatedReports: keeps the default exception handler from flooding stderr. The first report
// of each kind (message and exception type) is printed in full; later ones are only counted,
// and the loop prints one summary line per repeated kind when it closes.
#ifndef WEFT_RUNTIME_INTERNAL_REPEATED_REPORTS_H_
#define WEFT_RUNTIME_INTERNAL_REPEATED_REPORTS_H_

#include <cstddef>
#include <exception>
#include <string>
#include <vector>

namespace weft::internal {

class RepeatedReports {
 public:
  // True the first time this kind is seen (print it); false afterwards (it is counted).
  bool first(const std::string& message, const std::exception_ptr& exception);
  // "weft: <message>: <Type> (and 10,003 more like it)" per kind seen more than once, in the
  // order the kinds first came; then forgets everything.
  std::vector<std::string> take_summary();

 private:
  struct Kind {
    std::string message;
    std::string type;
    size_t repeats = 0;
  };
  std::vector<Kind> kinds_;  // few kinds: a linear search, in first-seen order
};

}  // namespace weft::internal

#endif  // WEFT_RUNTIME_INTERNAL_REPEATED_REPORTS_H_
