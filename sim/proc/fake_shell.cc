#include "sim/proc/fake_shell.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim/proc/process_table.h"

namespace weft::sim {
namespace {

// ---- Syntax ----

struct Part {
  std::string text;
  bool var = false;     // text is a parameter name
  bool quoted = false;  // inside quotes or escaped
};

struct Word {
  std::vector<Part> parts;
  bool any_quoted = false;
  bool has_var = false;
};

struct Redirect {
  int fd;           // 0, 1 or 2
  bool devnull;     // else a copy of `target`
  int target = 0;   // 1 or 2
};

struct Command {
  std::vector<Word> words;
  std::vector<Redirect> redirects;
  bool empty() const { return words.empty() && redirects.empty(); }
};

enum class Connector { kAlways, kIfSuccess, kIfFailure };

struct Step {
  Connector connector;
  Command command;
};

class SyntaxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Unsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool ends_word(char c) {
  return is_blank(c) || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' ||
         c == '(' || c == ')';
}

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src) {}

  std::vector<Step> parse() {
    while (true) {
      skip_blanks();
      if (at_end()) break;
      const char c = src_[i_];
      if (c == '#') {
        while (!at_end() && src_[i_] != '\n') ++i_;
      } else if (c == '\n' || c == ';') {
        ++i_;
        end_command(c == ';' ? ";" : "newline", Connector::kAlways);
      } else if (c == '&') {
        if (peek(1) != '&') throw Unsupported("background jobs (&)");
        i_ += 2;
        end_command("&&", Connector::kIfSuccess);
      } else if (c == '|') {
        if (peek(1) != '|') throw Unsupported("pipelines (|)");
        i_ += 2;
        end_command("||", Connector::kIfFailure);
      } else if (c == '(' || c == ')') {
        throw Unsupported("subshells");
      } else if (c == '<' || c == '>') {
        parse_redirect(c == '<' ? 0 : 1);
      } else {
        Word w = parse_word();
        if (!w.any_quoted && w.parts.size() == 1 && w.parts[0].text.size() == 1 &&
            !w.parts[0].var && std::isdigit(static_cast<unsigned char>(w.parts[0].text[0])) &&
            (peek(0) == '<' || peek(0) == '>')) {
          parse_redirect(w.parts[0].text[0] - '0');
        } else {
          current_.words.push_back(std::move(w));
        }
      }
    }
    if (!current_.empty()) {
      steps_.push_back(Step{next_, std::move(current_)});
    } else if (next_ != Connector::kAlways) {
      throw SyntaxError("end of file unexpected");
    }
    return std::move(steps_);
  }

 private:
  bool at_end() const { return i_ >= src_.size(); }
  char peek(size_t ahead) const { return i_ + ahead < src_.size() ? src_[i_ + ahead] : '\0'; }
  void skip_blanks() {
    while (!at_end() && is_blank(src_[i_])) ++i_;
  }

  void end_command(const char* op, Connector connector) {
    if (current_.empty()) {
      // A blank line, or a newline after "&&" / "||", is fine; ";" or "&&" with no command is not.
      if (std::string_view(op) == "newline") return;
      throw SyntaxError(absl::StrCat("\"", op, "\" unexpected"));
    }
    steps_.push_back(Step{next_, std::move(current_)});
    current_ = Command{};
    next_ = connector;
  }

  static void add_literal(Word& w, char c, bool quoted) {
    if (w.parts.empty() || w.parts.back().var || w.parts.back().quoted != quoted) {
      w.parts.push_back(Part{"", false, quoted});
    }
    w.parts.back().text.push_back(c);
  }

  void parse_dollar(Word& w, bool quoted) {
    ++i_;  // '$'
    const char c = peek(0);
    std::string name;
    if (c == '{') {
      ++i_;
      while (!at_end() && src_[i_] != '}') name.push_back(src_[i_++]);
      if (at_end()) throw SyntaxError("Missing '}'");
      ++i_;
      const bool valid = (!name.empty() && is_name_start(name[0]) &&
                          std::all_of(name.begin(), name.end(), is_name_char)) ||
                         (name.size() == 1 && std::string_view("?#$@*0123456789").find(name[0]) !=
                                                  std::string_view::npos);
      if (!valid) throw Unsupported(absl::StrCat("the parameter expansion ${", name, "}"));
    } else if (c == '(') {
      throw Unsupported("command substitution");
    } else if (is_name_start(c)) {
      while (!at_end() && is_name_char(src_[i_])) name.push_back(src_[i_++]);
    } else if (c != '\0' && std::string_view("?#$@*0123456789").find(c) != std::string_view::npos) {
      name.push_back(c);
      ++i_;
    } else {
      add_literal(w, '$', quoted);
      return;
    }
    w.parts.push_back(Part{std::move(name), true, quoted});
    w.has_var = true;
  }

  Word parse_word() {
    Word w;
    while (!at_end() && !ends_word(src_[i_])) {
      const char c = src_[i_];
      if (c == '\'') {
        ++i_;
        w.any_quoted = true;
        w.parts.push_back(Part{"", false, true});
        while (!at_end() && src_[i_] != '\'') w.parts.back().text.push_back(src_[i_++]);
        if (at_end()) throw SyntaxError("Unterminated quoted string");
        ++i_;
      } else if (c == '"') {
        ++i_;
        w.any_quoted = true;
        w.parts.push_back(Part{"", false, true});
        while (true) {
          if (at_end()) throw SyntaxError("Unterminated quoted string");
          const char d = src_[i_];
          if (d == '"') {
            ++i_;
            break;
          }
          if (d == '\\' && std::string_view("$`\"\\\n").find(peek(1)) != std::string_view::npos &&
              peek(1) != '\0') {
            if (peek(1) != '\n') add_literal(w, peek(1), true);
            i_ += 2;
          } else if (d == '$') {
            parse_dollar(w, true);
          } else if (d == '`') {
            throw Unsupported("command substitution");
          } else {
            add_literal(w, d, true);
            ++i_;
          }
        }
      } else if (c == '\\') {
        if (peek(1) == '\0') {
          add_literal(w, '\\', false);
          ++i_;
        } else {
          if (peek(1) != '\n') {
            add_literal(w, peek(1), true);
            w.any_quoted = true;
          }
          i_ += 2;
        }
      } else if (c == '$') {
        parse_dollar(w, false);
      } else if (c == '`') {
        throw Unsupported("command substitution");
      } else {
        add_literal(w, c, false);
        ++i_;
      }
    }
    return w;
  }

  void parse_redirect(int fd) {
    const char op = src_[i_++];
    if (op == '>' && (peek(0) == '>' || peek(0) == '|')) ++i_;
    if (op == '<' && fd != 0) throw Unsupported("input redirection of descriptors other than 0");
    if (op == '>' && fd != 1 && fd != 2) throw Unsupported("descriptors other than 0, 1 and 2");
    if (peek(0) == '&') {
      ++i_;
      if (op == '<') throw Unsupported("<& redirections");
      const char t = peek(0);
      if (t != '1' && t != '2') throw Unsupported("redirections to descriptors other than 1 and 2");
      ++i_;
      current_.redirects.push_back(Redirect{fd, false, t - '0'});
      return;
    }
    skip_blanks();
    if (at_end() || ends_word(src_[i_])) {
      throw SyntaxError(at_end() ? "end of file unexpected" : "redirection unexpected");
    }
    Word target = parse_word();
    std::string path;
    for (const auto& p : target.parts) {
      if (p.var) throw Unsupported("expansions in redirection targets");
      path += p.text;
    }
    if (path != "/dev/null") throw Unsupported(absl::StrCat("redirection to files ('", path, "')"));
    current_.redirects.push_back(Redirect{fd, true, 0});
  }

  std::string_view src_;
  size_t i_ = 0;
  std::vector<Step> steps_;
  Command current_;
  Connector next_ = Connector::kAlways;
};

// ---- Execution ----

bool valid_name(std::string_view s) {
  return !s.empty() && is_name_start(s[0]) && std::all_of(s.begin(), s.end(), is_name_char);
}

std::string join_path(const std::string& base, const std::string& dir) {
  if (dir.empty() || dir[0] == '/') return dir;
  if (base.empty() || base.back() == '/') return base + dir;
  return base + "/" + dir;
}

class Shell {
 public:
  explicit Shell(ProgramContext& ctx) : ctx_(ctx), env_(ctx.env()), cwd_(ctx.cwd()) {
    const auto& argv = ctx.argv();
    name_ = argv[0];
    if (argv.size() > 3) {
      params_.assign(argv.begin() + 3, argv.end());  // $0 $1 ...
    } else {
      params_.push_back(argv[0]);
    }
    null_in_.feed_eof();
  }

  const std::string& name() const { return name_; }

  Task<int> run(std::vector<Step> steps) {
    for (auto& step : steps) {
      if (step.connector == Connector::kIfSuccess && status_ != 0) continue;
      if (step.connector == Connector::kIfFailure && status_ == 0) continue;
      std::optional<int> exit_code;
      Task<void> command = run_command(step.command, exit_code);
      co_await std::move(command);
      if (exit_code) co_return *exit_code & 0xff;
    }
    co_return status_;
  }

 private:
  std::optional<std::string> lookup(const std::string& name) const {
    if (name == "?") return std::to_string(status_);
    if (name == "$") return std::to_string(ctx_.pid());
    if (name == "#") return std::to_string(params_.size() - 1);
    if (name == "@" || name == "*") {
      return absl::StrJoin(params_.begin() + 1, params_.end(), " ");
    }
    if (std::isdigit(static_cast<unsigned char>(name[0]))) {
      const size_t n = static_cast<size_t>(name[0] - '0');
      if (n < params_.size()) return params_[n];
      return std::nullopt;
    }
    if (auto it = locals_.find(name); it != locals_.end()) return it->second;
    for (const auto& e : env_) {
      if (e.size() > name.size() && e[name.size()] == '=' && e.compare(0, name.size(), name) == 0) {
        return e.substr(name.size() + 1);
      }
    }
    return std::nullopt;
  }

  std::string expand(const std::vector<Part>& parts, size_t first = 0, size_t skip = 0) const {
    std::string out;
    for (size_t i = first; i < parts.size(); ++i) {
      if (parts[i].var) {
        out += lookup(parts[i].text).value_or("");
      } else {
        out += parts[i].text.substr(i == first ? skip : 0);
      }
    }
    return out;
  }

  static void set_entry(std::vector<std::string>& env, const std::string& name,
                        const std::string& value) {
    const std::string entry = name + "=" + value;
    for (auto& e : env) {
      if (e.size() > name.size() && e[name.size()] == '=' && e.compare(0, name.size(), name) == 0) {
        e = entry;
        return;
      }
    }
    env.push_back(entry);
  }
  bool exported(const std::string& name) const {
    for (const auto& e : env_) {
      if (e.size() > name.size() && e[name.size()] == '=' && e.compare(0, name.size(), name) == 0) {
        return true;
      }
    }
    return false;
  }
  void assign(const std::string& name, const std::string& value) {
    if (exported(name)) {
      set_entry(env_, name, value);
    } else {
      locals_[name] = value;
    }
  }
  void unset(const std::string& name) {
    locals_.erase(name);
    for (auto it = env_.begin(); it != env_.end(); ++it) {
      if (it->size() > name.size() && (*it)[name.size()] == '=' &&
          it->compare(0, name.size(), name) == 0) {
        env_.erase(it);
        return;
      }
    }
  }

  // Splits "NAME=value" off an unquoted word; null when the word is no assignment.
  std::optional<std::pair<std::string, std::string>> as_assignment(const Word& w) const {
    if (w.parts.empty() || w.parts[0].var || w.parts[0].quoted) return std::nullopt;
    const std::string& head = w.parts[0].text;
    const size_t eq = head.find('=');
    if (eq == std::string::npos || !valid_name(std::string_view(head).substr(0, eq))) {
      return std::nullopt;
    }
    return std::make_pair(head.substr(0, eq), expand(w.parts, 0, eq + 1));
  }

  Task<void> run_command(const Command& command, std::optional<int>& exit_code) {
    std::vector<std::pair<std::string, std::string>> assignments;
    std::vector<std::string> words;
    for (const auto& w : command.words) {
      if (words.empty()) {
        if (auto a = as_assignment(w)) {
          assignments.push_back(std::move(*a));
          continue;
        }
      }
      std::string value = expand(w.parts);
      if (value.empty() && !w.any_quoted && w.has_var) continue;  // an empty expansion vanishes
      words.push_back(std::move(value));
    }

    StreamReader* in = &ctx_.stdin_stream();
    ProgramOutput* fds[3] = {nullptr, &ctx_.stdout_stream(), &ctx_.stderr_stream()};
    for (const auto& r : command.redirects) {
      if (r.devnull) {
        if (r.fd == 0) {
          in = &null_in_;
        } else {
          fds[r.fd] = &null_out_;
        }
      } else {
        fds[r.fd] = fds[r.target];
      }
    }
    ProgramOutput& out = *fds[1];
    ProgramOutput& err = *fds[2];

    if (words.empty()) {
      for (auto& [k, v] : assignments) assign(k, v);
      status_ = 0;
      co_return;
    }
    const std::string& cmd = words[0];
    if (cmd == "exit") {
      int code = status_;
      if (words.size() > 1 && (!absl::SimpleAtoi(words[1], &code) || code < 0)) {
        std::string msg = absl::StrCat(name_, ": 1: exit: Illegal number: ", words[1], "\n");
        co_await err.write(msg);
        code = 2;
      }
      exit_code = code;
      co_return;
    }
    if (cmd == "true" || cmd == ":") {
      status_ = 0;
      co_return;
    }
    if (cmd == "false") {
      status_ = 1;
      co_return;
    }
    if (cmd == "echo") {
      size_t first = 1;
      bool newline = true;
      if (words.size() > 1 && words[1] == "-n") {
        newline = false;
        first = 2;
      }
      std::string text = absl::StrJoin(words.begin() + static_cast<long>(first), words.end(), " ");
      if (newline) text.push_back('\n');
      co_await out.write(text);
      status_ = 0;
      co_return;
    }
    if (cmd == "pwd") {
      std::string text = cwd_ + "\n";
      co_await out.write(text);
      status_ = 0;
      co_return;
    }
    if (cmd == "cd") {
      std::string dir = words.size() > 1 ? words[1] : lookup("HOME").value_or("/");
      cwd_ = join_path(cwd_, dir);
      status_ = 0;
      co_return;
    }
    if (cmd == "export" || cmd == "unset") {
      for (size_t i = 1; i < words.size(); ++i) {
        const std::string& arg = words[i];
        const size_t eq = arg.find('=');
        const std::string key = arg.substr(0, eq);
        if (cmd == "unset") {
          unset(key);
        } else if (eq != std::string::npos) {
          locals_.erase(key);
          set_entry(env_, key, arg.substr(eq + 1));
        } else if (auto it = locals_.find(key); it != locals_.end()) {
          set_entry(env_, key, it->second);
          locals_.erase(it);
        }
      }
      status_ = 0;
      co_return;
    }

    const Program* found = ctx_.table().resolve(cmd);
    if (!found) {
      std::string msg = absl::StrCat(name_, ": 1: ", cmd, ": not found\n");
      co_await err.write(msg);
      status_ = 127;
      co_return;
    }
    Program program = *found;  // a copy: a define() while it runs must not free it
    std::vector<std::string> env = env_;
    for (auto& [k, v] : assignments) set_entry(env, k, v);
    ProgramContext sub = ctx_.derive(words, std::move(env), cwd_, {in, &out, &err});
    std::optional<std::string> failure;
    try {
      Task<int> body = program(sub);
      status_ = (co_await std::move(body)) & 0xff;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (failure) {
      std::string msg = absl::StrCat(cmd, ": uncaught exception: ", *failure, "\n");
      co_await err.write(msg);
      status_ = 1;
    }
  }

  ProgramContext& ctx_;
  std::string name_;
  std::vector<std::string> params_;
  std::vector<std::string> env_;
  std::map<std::string, std::string> locals_;
  std::string cwd_;
  int status_ = 0;
  ProgramOutput null_out_;
  StreamReader null_in_;
};

}  // namespace

Task<int> fake_shell(ProgramContext& ctx) {
  const auto& argv = ctx.argv();
  if (argv.size() < 3 || argv[1] != "-c") {
    std::string msg = absl::StrCat(argv[0], ": the simulated shell only runs 'sh -c <command>'\n");
    co_await ctx.stderr_stream().write(msg);
    co_return 2;
  }
  std::vector<Step> steps;
  std::string error;
  try {
    steps = Parser(argv[2]).parse();
  } catch (const SyntaxError& e) {
    error = absl::StrCat(argv[0], ": 1: Syntax error: ", e.what(), "\n");
  } catch (const Unsupported& e) {
    error = absl::StrCat(argv[0], ": sim shell does not support ", e.what(), "\n");
  }
  if (!error.empty()) {
    co_await ctx.stderr_stream().write(error);
    co_return 2;
  }
  Shell shell(ctx);
  Task<int> run = shell.run(std::move(steps));
  co_return co_await std::move(run);
}

}  // namespace weft::sim
