#include "engine/text/regex.h"

#include <array>
#include <stdexcept>

#include "engine/text/unicode.h"
#include "engine/text/utf8.h"

namespace arecipe::text {
namespace {

// ---- character classes ------------------------------------------------------------

enum class Property { kNone, kLetter, kNumber, kSpace };

struct ClassItem {
  char32_t lo = 0, hi = 0;          // a range, when property == kNone
  Property property = Property::kNone;
  bool negated = false;             // \S, \P{L}, ...
};

bool property_matches(Property p, char32_t c) {
  switch (p) {
    case Property::kLetter: return is_letter(c);
    case Property::kNumber: return is_number(c);
    case Property::kSpace: return is_whitespace(c);
    default: return false;
  }
}

// ASCII letters fold with their other case; Oniguruma's Unicode case folding also maps
// U+017F (long s) to 's' and U+212A (Kelvin sign) to 'k', which matters for (?i:'s).
bool same_ignoring_case(char32_t c, char32_t literal) {
  if (c == literal) return true;
  if (literal >= 'a' && literal <= 'z') {
    if (c == literal - 32) return true;
    return (literal == 's' && c == 0x17F) || (literal == 'k' && c == 0x212A);
  }
  if (literal >= 'A' && literal <= 'Z') {
    return same_ignoring_case(c, literal + 32);
  }
  return false;
}

struct CharClass {
  std::vector<ClassItem> items;
  bool negated = false;
  bool icase = false;
  std::array<bool, 128> ascii{};  // precomputed answers for ASCII

  bool slow_matches(char32_t c) const {
    bool hit = false;
    for (const auto& it : items) {
      bool m;
      if (it.property == Property::kNone) {
        m = c >= it.lo && c <= it.hi;
        if (!m && icase && c < 128) {
          const char32_t other = (c >= 'a' && c <= 'z') ? c - 32 : (c >= 'A' && c <= 'Z') ? c + 32 : c;
          m = other >= it.lo && other <= it.hi;
        }
      } else {
        m = property_matches(it.property, c);
      }
      if (m != it.negated) {
        hit = true;
        break;
      }
    }
    return hit != negated;
  }
  void finish() {
    for (char32_t c = 0; c < 128; ++c) ascii[c] = slow_matches(c);
  }
  bool matches(char32_t c) const { return c < 128 ? ascii[c] : slow_matches(c); }
};

// ---- syntax tree ----------------------------------------------------------------------

struct Node {
  enum Kind { kEmpty, kChar, kClass, kAny, kConcat, kAlt, kRepeat, kLook } kind = kEmpty;
  char32_t c = 0;
  bool icase = false;
  int cls = -1;
  int min = 0, max = -1;  // kRepeat; max -1 = unbounded
  bool greedy = true;
  bool negate = false;  // kLook
  std::vector<std::unique_ptr<Node>> kids;
};
using NodePtr = std::unique_ptr<Node>;

class Parser {
 public:
  Parser(const std::string& pattern, std::vector<CharClass>& classes)
      : classes_(classes), pattern_(pattern) {
    size_t pos = 0;
    while (pos < pattern.size()) cps_.push_back(decode_utf8_at(pattern, pos));
  }

  NodePtr parse() {
    NodePtr n = alternation(false);
    if (i_ < cps_.size()) unsupported("unbalanced ')'");
    return n;
  }

 private:
  [[noreturn]] void unsupported(const std::string& what) const {
    throw std::invalid_argument("unsupported regex construct " + what + " in pattern '" +
                                pattern_ + "'");
  }
  bool at_end() const { return i_ >= cps_.size(); }
  char32_t peek() const { return cps_[i_]; }

  NodePtr alternation(bool icase) {
    auto alt = std::make_unique<Node>();
    alt->kind = Node::kAlt;
    alt->kids.push_back(concatenation(icase));
    while (!at_end() && peek() == '|') {
      ++i_;
      alt->kids.push_back(concatenation(icase));
    }
    if (alt->kids.size() == 1) return std::move(alt->kids[0]);
    return alt;
  }

  NodePtr concatenation(bool icase) {
    auto seq = std::make_unique<Node>();
    seq->kind = Node::kConcat;
    while (!at_end() && peek() != '|' && peek() != ')') seq->kids.push_back(repetition(icase));
    return seq;
  }

  NodePtr repetition(bool icase) {
    NodePtr atom_node = atom(icase);
    while (!at_end()) {
      int min, max;
      const char32_t q = peek();
      if (q == '?') { min = 0; max = 1; }
      else if (q == '*') { min = 0; max = -1; }
      else if (q == '+') { min = 1; max = -1; }
      else if (q == '{') {
        if (!counted(min, max)) break;  // a literal '{'
      } else {
        break;
      }
      if (q != '{') ++i_;
      auto rep = std::make_unique<Node>();
      rep->kind = Node::kRepeat;
      rep->min = min;
      rep->max = max;
      if (!at_end() && peek() == '?') {
        rep->greedy = false;
        ++i_;
      } else if (!at_end() && peek() == '+') {
        unsupported("possessive quantifier");
      }
      if (atom_node->kind == Node::kLook) unsupported("quantified look-ahead");
      rep->kids.push_back(std::move(atom_node));
      atom_node = std::move(rep);
    }
    return atom_node;
  }

  // Parses {n}, {n,}, {n,m} at i_; false (and i_ unchanged) when it is not a quantifier.
  bool counted(int& min, int& max) {
    size_t j = i_ + 1;
    auto number = [&](int& v) {
      if (j >= cps_.size() || cps_[j] < '0' || cps_[j] > '9') return false;
      v = 0;
      while (j < cps_.size() && cps_[j] >= '0' && cps_[j] <= '9') v = v * 10 + int(cps_[j++] - '0');
      return true;
    };
    if (!number(min)) return false;
    max = min;
    if (j < cps_.size() && cps_[j] == ',') {
      ++j;
      if (!number(max)) max = -1;
    }
    if (j >= cps_.size() || cps_[j] != '}') return false;
    if (max != -1 && max < min) unsupported("{n,m} with m < n");
    i_ = j + 1;
    return true;
  }

  NodePtr leaf(Node::Kind kind) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    return n;
  }

  NodePtr literal(char32_t c, bool icase) {
    if (icase && c >= 128) unsupported("case-insensitive non-ASCII literal");
    auto n = leaf(Node::kChar);
    n->c = c;
    n->icase = icase && ((c | 32) >= 'a' && (c | 32) <= 'z');
    return n;
  }

  NodePtr class_leaf(CharClass cls) {
    cls.finish();
    classes_.push_back(std::move(cls));
    auto n = leaf(Node::kClass);
    n->cls = static_cast<int>(classes_.size() - 1);
    return n;
  }

  NodePtr atom(bool icase) {
    const char32_t c = peek();
    ++i_;
    switch (c) {
      case '(': return group(icase);
      case '[': return bracket(icase);
      case '.': {
        CharClass any;
        any.items.push_back({'\n', '\n', Property::kNone, false});
        any.negated = true;
        return class_leaf(std::move(any));
      }
      case '\\': {
        ClassItem item;
        char32_t lit;
        if (escape(item, lit)) {
          CharClass cls;
          cls.items.push_back(item);
          return class_leaf(std::move(cls));
        }
        return literal(lit, icase);
      }
      case '^': unsupported("anchor '^'");
      case '$': unsupported("anchor '$'");
      case '*': case '+': case '?': unsupported("quantifier without operand");
      default: return literal(c, icase);
    }
  }

  NodePtr group(bool icase) {
    if (!at_end() && peek() == '?') {
      ++i_;
      if (at_end()) unsupported("'(?' at end");
      const char32_t k = peek();
      ++i_;
      if (k == ':') return close_group(alternation(icase));
      if (k == 'i' && !at_end() && peek() == ':') {
        ++i_;
        return close_group(alternation(true));
      }
      if (k == '=' || k == '!') {
        auto look = leaf(Node::kLook);
        look->negate = k == '!';
        look->kids.push_back(close_group(alternation(icase)));
        return look;
      }
      if (k == '<') unsupported("look-behind or named group '(?<'");
      if (k == '>') unsupported("atomic group '(?>'");
      unsupported(std::string("group flag '(?") + char(k) + "'");
    }
    return close_group(alternation(icase));
  }

  NodePtr close_group(NodePtr inner) {
    if (at_end() || peek() != ')') unsupported("missing ')'");
    ++i_;
    return inner;
  }

  // An escape after '\'; true with `item` for a class escape, false with `lit`.
  bool escape(ClassItem& item, char32_t& lit) {
    if (at_end()) unsupported("trailing '\\'");
    const char32_t e = cps_[i_++];
    switch (e) {
      case 's': item = {0, 0, Property::kSpace, false}; return true;
      case 'S': item = {0, 0, Property::kSpace, true}; return true;
      case 'p': case 'P': {
        item.property = property_name();
        item.negated = e == 'P';
        return true;
      }
      case 'n': lit = '\n'; return false;
      case 'r': lit = '\r'; return false;
      case 't': lit = '\t'; return false;
      case 'f': lit = '\f'; return false;
      case 'v': lit = '\v'; return false;
      case 'd': case 'D': case 'w': case 'W': case 'b': case 'B':
        unsupported(std::string("'\\") + char(e) + "' (needs Unicode tables we do not carry)");
      default:
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
          unsupported(std::string("escape '\\") + char(e) + "'");
        lit = e;  // escaped punctuation stands for itself
        return false;
    }
  }

  Property property_name() {
    std::string name;
    if (!at_end() && peek() == '{') {
      ++i_;
      while (!at_end() && peek() != '}') name.push_back(static_cast<char>(cps_[i_++]));
      if (at_end()) unsupported("unterminated \\p{");
      ++i_;
    } else if (!at_end()) {
      name.push_back(static_cast<char>(cps_[i_++]));
    }
    if (name == "L" || name == "Letter") return Property::kLetter;
    if (name == "N" || name == "Number") return Property::kNumber;
    unsupported("Unicode property \\p{" + name + "}");
  }

  NodePtr bracket(bool icase) {
    CharClass cls;
    cls.icase = icase;
    if (!at_end() && peek() == '^') {
      cls.negated = true;
      ++i_;
    }
    bool first = true;
    while (true) {
      if (at_end()) unsupported("unterminated '['");
      char32_t c = peek();
      if (c == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      ++i_;
      if (c == '[') unsupported("nested class or POSIX class inside '[...]'");
      char32_t lo;
      if (c == '\\') {
        ClassItem item;
        if (escape(item, lo)) {
          cls.items.push_back(item);
          continue;
        }
      } else {
        lo = c;
      }
      char32_t hi = lo;
      if (i_ + 1 < cps_.size() && peek() == '-' && cps_[i_ + 1] != ']') {
        ++i_;
        hi = cps_[i_++];
        if (hi == '\\') {
          ClassItem item;
          if (escape(item, hi)) unsupported("class escape as range end");
        }
        if (hi < lo) unsupported("reversed range in '[...]'");
      }
      if (icase && (lo >= 128 || hi >= 128)) unsupported("case-insensitive non-ASCII class");
      cls.items.push_back({lo, hi, Property::kNone, false});
    }
    return class_leaf(std::move(cls));
  }

  std::vector<CharClass>& classes_;
  const std::string& pattern_;
  std::vector<char32_t> cps_;
  size_t i_ = 0;
};

bool nullable(const Node& n) {
  switch (n.kind) {
    case Node::kEmpty: case Node::kLook: return true;
    case Node::kChar: case Node::kClass: case Node::kAny: return false;
    case Node::kConcat:
      for (const auto& k : n.kids) if (!nullable(*k)) return false;
      return true;
    case Node::kAlt:
      for (const auto& k : n.kids) if (nullable(*k)) return true;
      return false;
    case Node::kRepeat: return n.min == 0 || nullable(*n.kids[0]);
  }
  return true;
}

// ---- program --------------------------------------------------------------------------

enum class Op : uint8_t { kChar, kClass, kRun, kSplit, kJmp, kLook, kMatch };

struct Inst {
  Op op;
  bool icase = false;   // kChar / kRun of a char
  bool greedy = true;   // kRun
  bool negate = false;  // kLook
  bool run_is_char = false;
  char32_t c = 0;
  int x = 0, y = 0;     // kSplit: preferred / alternative; kJmp: x; kLook: x = sub start
  int cls = -1;
  int min = 0, max = -1;
};

class Compiler {
 public:
  explicit Compiler(std::vector<Inst>& code) : code_(code) {}

  void emit_program(const Node& root) {
    std::vector<std::pair<int, const Node*>> looks;
    pending_looks_ = &looks;
    emit(root);
    code_.push_back({Op::kMatch});
    // Look-ahead bodies are separate sub-programs appended after the main one.
    for (size_t k = 0; k < looks.size(); ++k) {
      code_[looks[k].first].x = static_cast<int>(code_.size());
      emit(*looks[k].second);
      code_.push_back({Op::kMatch});
    }
  }

 private:
  int here() const { return static_cast<int>(code_.size()); }

  void emit(const Node& n) {
    switch (n.kind) {
      case Node::kEmpty: return;
      case Node::kChar: {
        Inst i{Op::kChar};
        i.c = n.c;
        i.icase = n.icase;
        code_.push_back(i);
        return;
      }
      case Node::kClass: case Node::kAny: {
        Inst i{Op::kClass};
        i.cls = n.cls;
        code_.push_back(i);
        return;
      }
      case Node::kConcat:
        for (const auto& k : n.kids) emit(*k);
        return;
      case Node::kAlt: {
        std::vector<int> exits;
        for (size_t k = 0; k + 1 < n.kids.size(); ++k) {
          const int split = here();
          code_.push_back({Op::kSplit});
          code_[split].x = here();
          emit(*n.kids[k]);
          exits.push_back(here());
          code_.push_back({Op::kJmp});
          code_[split].y = here();
        }
        emit(*n.kids.back());
        for (int e : exits) code_[e].x = here();
        return;
      }
      case Node::kLook: {
        Inst i{Op::kLook};
        i.negate = n.negate;
        pending_looks_->push_back({here(), n.kids[0].get()});
        code_.push_back(i);
        return;
      }
      case Node::kRepeat: emit_repeat(n); return;
    }
  }

  void emit_repeat(const Node& n) {
    const Node& body = *n.kids[0];
    if (body.kind == Node::kChar || body.kind == Node::kClass) {
      // A repeated single character: one instruction that counts the run and backtracks
      // by giving characters back, instead of one backtrack entry per character.
      Inst i{Op::kRun};
      i.run_is_char = body.kind == Node::kChar;
      i.c = body.c;
      i.icase = body.icase;
      i.cls = body.cls;
      i.min = n.min;
      i.max = n.max;
      i.greedy = n.greedy;
      code_.push_back(i);
      return;
    }
    if (nullable(body) && n.max != n.min) {
      throw std::invalid_argument("unsupported regex construct: repetition of a sub-pattern "
                                  "that can match empty");
    }
    for (int k = 0; k < n.min; ++k) emit(body);
    if (n.max == -1) {
      const int loop = here();
      code_.push_back({Op::kSplit});
      const int body_start = here();
      emit(body);
      Inst jmp{Op::kJmp};
      jmp.x = loop;
      code_.push_back(jmp);
      set_split(loop, body_start, here(), n.greedy);
      return;
    }
    std::vector<int> splits;
    for (int k = n.min; k < n.max; ++k) {
      splits.push_back(here());
      code_.push_back({Op::kSplit});
      code_.back().x = here();
      emit(body);
    }
    for (int s : splits) set_split(s, s + 1, here(), n.greedy);
  }

  void set_split(int at, int body, int exit, bool greedy) {
    code_[at].x = greedy ? body : exit;
    code_[at].y = greedy ? exit : body;
  }

  std::vector<Inst>& code_;
  std::vector<std::pair<int, const Node*>>* pending_looks_ = nullptr;
};

}  // namespace

struct Regex::Program {
  std::vector<CharClass> classes;
  std::vector<Inst> code;

  bool one_matches(const Inst& in, char32_t ch) const {
    if (in.run_is_char) return in.icase ? same_ignoring_case(ch, in.c) : ch == in.c;
    return classes[in.cls].matches(ch);
  }

  struct Backtrack {
    int pc;
    uint32_t pos;   // for runs: where the run started
    int32_t count;  // for runs: how many characters the next attempt takes; -1 otherwise
    int run_pc;     // the kRun instruction (runs only)
  };

  // Runs the program from `pc` at `pos`; end of the first (highest-priority) match or -1.
  long run(const std::vector<char32_t>& text, int pc, size_t pos,
           std::vector<std::vector<Backtrack>>& stacks, size_t depth) const {
    if (stacks.size() <= depth) stacks.resize(depth + 1);
    auto& stack = stacks[depth];
    const size_t base = 0;
    stack.clear();
    const size_t n = text.size();
    while (true) {
      const Inst& in = code[pc];
      bool ok = true;
      switch (in.op) {
        case Op::kChar:
          ok = pos < n && (in.icase ? same_ignoring_case(text[pos], in.c) : text[pos] == in.c);
          if (ok) { ++pos; ++pc; }
          break;
        case Op::kClass:
          ok = pos < n && classes[in.cls].matches(text[pos]);
          if (ok) { ++pos; ++pc; }
          break;
        case Op::kRun: {
          const size_t limit = in.max < 0 ? n - pos : std::min<size_t>(n - pos, in.max);
          if (in.greedy) {
            size_t k = 0;
            while (k < limit && one_matches(in, text[pos + k])) ++k;
            if (k < static_cast<size_t>(in.min)) { ok = false; break; }
            if (k > static_cast<size_t>(in.min))
              stack.push_back({pc + 1, static_cast<uint32_t>(pos), static_cast<int32_t>(k - 1), pc});
            pos += k;
          } else {
            size_t k = 0;
            while (k < static_cast<size_t>(in.min) && k < limit && one_matches(in, text[pos + k])) ++k;
            if (k < static_cast<size_t>(in.min)) { ok = false; break; }
            if (k < limit)
              stack.push_back({pc + 1, static_cast<uint32_t>(pos), static_cast<int32_t>(k + 1), pc});
            pos += k;
          }
          ++pc;
          break;
        }
        case Op::kSplit:
          stack.push_back({in.y, static_cast<uint32_t>(pos), -1, 0});
          pc = in.x;
          break;
        case Op::kJmp:
          pc = in.x;
          break;
        case Op::kLook: {
          const bool found = run(text, in.x, pos, stacks, depth + 1) >= 0;
          ok = found != in.negate;
          if (ok) ++pc;
          break;
        }
        case Op::kMatch:
          return static_cast<long>(pos);
      }
      if (ok) continue;
      // Backtrack to the most recent alternative.
      while (true) {
        if (stack.size() == base) return -1;
        Backtrack b = stack.back();
        stack.pop_back();
        if (b.count < 0) {
          pc = b.pc;
          pos = b.pos;
          break;
        }
        const Inst& r = code[b.run_pc];
        const size_t k = static_cast<size_t>(b.count);
        if (r.greedy) {
          if (k > static_cast<size_t>(r.min)) stack.push_back({b.pc, b.pos, b.count - 1, b.run_pc});
        } else {
          // Lazy: take one more character, if it matches.
          if (!one_matches(r, text[b.pos + k - 1])) continue;
          const size_t limit = r.max < 0 ? n - b.pos : std::min<size_t>(n - b.pos, r.max);
          if (k < limit) stack.push_back({b.pc, b.pos, b.count + 1, b.run_pc});
        }
        pc = b.pc;
        pos = b.pos + k;
        break;
      }
    }
  }
};

Regex::Regex(const std::string& pattern) : pattern_(pattern), program_(new Program) {
  Parser parser(pattern, program_->classes);
  NodePtr root = parser.parse();
  Compiler(program_->code).emit_program(*root);
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

void Regex::find_all(const std::vector<char32_t>& text, std::vector<Match>& out) const {
  out.clear();
  std::vector<std::vector<Program::Backtrack>> stacks(2);
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    long end = -1;
    size_t start = pos;
    for (; start < n; ++start) {
      end = program_->run(text, 0, start, stacks, 0);
      if (end > static_cast<long>(start)) break;  // empty matches are skipped
    }
    if (start >= n) break;
    out.push_back({start, static_cast<size_t>(end)});
    pos = static_cast<size_t>(end);
  }
}

}  // namespace arecipe::text
