#include "engine/text/jinja.h"

#include <cmath>
#include <ctime>
#include <functional>
#include <map>

#include "engine/text/unicode.h"
#include "engine/text/utf8.h"

namespace arecipe::text::jinja {

const Value* Value::get(const std::string& key) const {
  if (kind != Kind::kMap) return nullptr;
  for (const auto& [k, v] : *map)
    if (k == key) return &v;
  return nullptr;
}

void Value::set(const std::string& key, Value v) {
  for (auto& [k, old] : *map)
    if (k == key) {
      old = std::move(v);
      return;
    }
  map->emplace_back(key, std::move(v));
}

namespace {

[[noreturn]] void unsupported(const std::string& what) {
  throw std::invalid_argument("chat template: unsupported Jinja " + what);
}

// ---- template text -> segments ------------------------------------------------------------

struct Segment {
  enum Kind { kText, kExpr, kStmt } kind;
  std::string body;
};

bool is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::vector<Segment> split_template(const std::string& src) {
  std::vector<Segment> out;
  size_t pos = 0;
  bool strip_next = false, trim_newline = false;
  while (pos <= src.size()) {
    size_t open = src.size();
    for (size_t p = pos; p + 1 < src.size(); ++p)
      if (src[p] == '{' && (src[p + 1] == '{' || src[p + 1] == '%' || src[p + 1] == '#')) {
        open = p;
        break;
      }
    std::string text = src.substr(pos, open - pos);
    if (strip_next) {
      size_t b = 0;
      while (b < text.size() && is_blank_char(text[b])) ++b;
      text.erase(0, b);
    } else if (trim_newline && !text.empty() && text[0] == '\n') {
      text.erase(0, 1);  // trim_blocks
    } else if (trim_newline && text.compare(0, 2, "\r\n") == 0) {
      text.erase(0, 2);
    }
    strip_next = trim_newline = false;
    if (open == src.size()) {
      if (!text.empty()) out.push_back({Segment::kText, text});
      break;
    }
    const char type = src[open + 1];
    size_t body_start = open + 2;
    const char modifier = body_start < src.size() ? src[body_start] : 0;
    if (modifier == '-') {
      while (!text.empty() && is_blank_char(text.back())) text.pop_back();
      ++body_start;
    } else if (modifier == '+') {
      ++body_start;
    } else if (type != '{') {
      // lstrip_blocks: spaces and tabs between a line start (in the source) and a block
      // or comment tag are removed.
      size_t k = open;
      while (k > 0 && (src[k - 1] == ' ' || src[k - 1] == '\t')) --k;
      if (k == 0 || src[k - 1] == '\n') {
        size_t n = open - k;
        while (n > 0 && !text.empty() && (text.back() == ' ' || text.back() == '\t')) {
          text.pop_back();
          --n;
        }
      }
    }
    if (!text.empty()) out.push_back({Segment::kText, text});
    const char close_char = type == '{' ? '}' : type == '%' ? '%' : '#';
    size_t p = body_start;
    char quote = 0;
    size_t close = std::string::npos;
    for (; p + 1 < src.size(); ++p) {
      const char c = src[p];
      if (quote) {
        if (c == '\\') ++p;
        else if (c == quote) quote = 0;
        continue;
      }
      if (type != '#' && (c == '\'' || c == '"')) quote = c;
      else if (c == close_char && src[p + 1] == '}') {
        close = p;
        break;
      }
    }
    if (close == std::string::npos) unsupported(std::string("unterminated tag '{") + type + "'");
    size_t body_end = close;
    if (body_end > body_start && src[body_end - 1] == '-') {
      --body_end;
      strip_next = true;
    } else if (body_end > body_start && src[body_end - 1] == '+') {
      --body_end;
    } else if (type != '{') {
      trim_newline = true;
    }
    if (type == '{') out.push_back({Segment::kExpr, src.substr(body_start, body_end - body_start)});
    else if (type == '%') out.push_back({Segment::kStmt, src.substr(body_start, body_end - body_start)});
    pos = close + 2;
  }
  return out;
}

// ---- expression tokens --------------------------------------------------------------------

struct Token {
  enum Kind { kName, kString, kInt, kFloat, kOp, kEnd } kind;
  std::string text;
};

std::vector<Token> lex(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (is_blank_char(c)) {
      ++i;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Token::kName, s.substr(i, j - i)});
      i = j;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      bool is_float = false;
      if (j + 1 < s.size() && s[j] == '.' && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
        is_float = true;
        ++j;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      }
      out.push_back({is_float ? Token::kFloat : Token::kInt, s.substr(i, j - i)});
      i = j;
      continue;
    }
    if (c == '\'' || c == '"') {
      std::string v;
      size_t j = i + 1;
      while (j < s.size() && s[j] != c) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          const char e = s[++j];
          switch (e) {
            case 'n': v += '\n'; break;
            case 't': v += '\t'; break;
            case 'r': v += '\r'; break;
            case '\\': v += '\\'; break;
            case '\'': v += '\''; break;
            case '"': v += '"'; break;
            case 'u': {
              if (j + 4 >= s.size()) unsupported("string escape \\u");
              append_utf8(v, static_cast<char32_t>(std::stoul(s.substr(j + 1, 4), nullptr, 16)));
              j += 4;
              break;
            }
            default: v += '\\'; v += e;
          }
          ++j;
          continue;
        }
        v += s[j++];
      }
      if (j >= s.size()) unsupported("unterminated string literal");
      out.push_back({Token::kString, v});
      i = j + 1;
      continue;
    }
    static const char* two[] = {"==", "!=", "<=", ">=", "//", "**"};
    bool matched = false;
    for (const char* op : two)
      if (s.compare(i, 2, op) == 0) {
        out.push_back({Token::kOp, op});
        i += 2;
        matched = true;
        break;
      }
    if (matched) continue;
    if (std::string("()[]{}.,:|~+-*/%<>=").find(c) == std::string::npos)
      unsupported(std::string("character '") + c + "' in an expression");
    out.push_back({Token::kOp, std::string(1, c)});
    ++i;
  }
  out.push_back({Token::kEnd, ""});
  return out;
}

// ---- expressions --------------------------------------------------------------------------

struct Expr {
  enum Kind { kLiteral, kName, kAttr, kIndex, kSlice, kCall, kFilter, kTest, kUnary, kBinary, kAnd, kOr, kNot,
              kCond, kListLit, kDictLit } kind;
  Value literal;
  std::string name;  // variable, attribute, filter, test, operator
  std::vector<std::unique_ptr<Expr>> args;  // operands / call arguments
  std::vector<std::pair<std::string, std::unique_ptr<Expr>>> kwargs;
  bool negate = false;  // kTest: "is not"
};
using ExprPtr = std::unique_ptr<Expr>;

ExprPtr make(Expr::Kind k) {
  auto e = std::make_unique<Expr>();
  e->kind = k;
  return e;
}

class ExprParser {
 public:
  explicit ExprParser(const std::string& s) : toks_(lex(s)) {}
  explicit ExprParser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  ExprPtr parse_expression() { return ternary(); }
  bool at_end() const { return toks_[i_].kind == Token::kEnd; }
  const Token& peek() const { return toks_[i_]; }
  bool is_name(const char* n) const { return peek().kind == Token::kName && peek().text == n; }
  bool is_op(const char* o) const { return peek().kind == Token::kOp && peek().text == o; }
  Token next() { return toks_[i_++]; }
  void expect_op(const char* o) {
    if (!is_op(o)) unsupported(std::string("syntax: expected '") + o + "' near '" + peek().text + "'");
    ++i_;
  }
  std::string expect_name() {
    if (peek().kind != Token::kName) unsupported("syntax: expected a name near '" + peek().text + "'");
    return next().text;
  }
  void expect_end() {
    if (!at_end()) unsupported("syntax: unexpected '" + peek().text + "'");
  }

 private:
  ExprPtr ternary() {
    ExprPtr e = or_expr();
    if (is_name("if")) {
      ++i_;
      auto c = make(Expr::kCond);
      c->args.push_back(or_expr());  // condition
      c->args.push_back(std::move(e));
      if (is_name("else")) {
        ++i_;
        c->args.push_back(ternary());
      } else {
        c->args.push_back(make(Expr::kLiteral));  // undefined
      }
      return c;
    }
    return e;
  }
  ExprPtr binary_chain(Expr::Kind kind, const char* word, ExprPtr (ExprParser::*sub)()) {
    ExprPtr left = (this->*sub)();
    while (is_name(word)) {
      ++i_;
      auto e = make(kind);
      e->args.push_back(std::move(left));
      e->args.push_back((this->*sub)());
      left = std::move(e);
    }
    return left;
  }
  ExprPtr or_expr() { return binary_chain(Expr::kOr, "or", &ExprParser::and_expr); }
  ExprPtr and_expr() { return binary_chain(Expr::kAnd, "and", &ExprParser::not_expr); }
  ExprPtr not_expr() {
    if (is_name("not")) {
      ++i_;
      auto e = make(Expr::kNot);
      e->args.push_back(not_expr());
      return e;
    }
    return compare();
  }
  ExprPtr binary(std::string op, ExprPtr a, ExprPtr b) {
    auto e = make(Expr::kBinary);
    e->name = std::move(op);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
  }
  ExprPtr compare() {
    ExprPtr left = math1();
    while (true) {
      std::string op;
      if (peek().kind == Token::kOp && (peek().text == "==" || peek().text == "!=" || peek().text == "<" ||
                                        peek().text == ">" || peek().text == "<=" || peek().text == ">=")) {
        op = next().text;
      } else if (is_name("in")) {
        ++i_;
        op = "in";
      } else if (is_name("not") && toks_[i_ + 1].kind == Token::kName && toks_[i_ + 1].text == "in") {
        i_ += 2;
        op = "not in";
      } else {
        return left;
      }
      left = binary(op, std::move(left), math1());
    }
  }
  ExprPtr math1() {
    ExprPtr left = concat();
    while (is_op("+") || is_op("-")) {
      const std::string op = next().text;
      left = binary(op, std::move(left), concat());
    }
    return left;
  }
  ExprPtr concat() {
    ExprPtr left = math2();
    while (is_op("~")) {
      ++i_;
      left = binary("~", std::move(left), math2());
    }
    return left;
  }
  ExprPtr math2() {
    ExprPtr left = power();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const std::string op = next().text;
      left = binary(op, std::move(left), power());
    }
    return left;
  }
  ExprPtr power() {
    ExprPtr left = unary();
    while (is_op("**")) {
      ++i_;
      left = binary("**", std::move(left), unary());
    }
    return left;
  }
  ExprPtr unary() {
    if (is_op("-") || is_op("+")) {
      const std::string op = next().text;
      auto e = make(Expr::kUnary);
      e->name = op;
      e->args.push_back(unary());
      return e;
    }
    ExprPtr e = postfix(primary());
    return filters(std::move(e));
  }
  void call_args(Expr& call) {
    expect_op("(");
    while (!is_op(")")) {
      if (peek().kind == Token::kName && toks_[i_ + 1].kind == Token::kOp && toks_[i_ + 1].text == "=") {
        const std::string key = next().text;
        ++i_;
        call.kwargs.emplace_back(key, parse_expression());
      } else {
        call.args.push_back(parse_expression());
      }
      if (!is_op(",")) break;
      ++i_;
    }
    expect_op(")");
  }
  ExprPtr postfix(ExprPtr e) {
    while (true) {
      if (is_op(".")) {
        ++i_;
        auto a = make(Expr::kAttr);
        a->name = expect_name();
        a->args.push_back(std::move(e));
        e = std::move(a);
      } else if (is_op("[")) {
        ++i_;
        ExprPtr parts[3];
        bool slice = false;
        int k = 0;
        while (!is_op("]")) {
          if (is_op(":")) {
            ++i_;
            slice = true;
            if (++k > 2) unsupported("slice with more than three parts");
            continue;
          }
          parts[k] = parse_expression();
        }
        expect_op("]");
        auto s = make(slice ? Expr::kSlice : Expr::kIndex);
        s->args.push_back(std::move(e));
        if (slice) {
          for (auto& p : parts) s->args.push_back(p ? std::move(p) : nullptr);
        } else {
          if (!parts[0]) unsupported("empty subscript");
          s->args.push_back(std::move(parts[0]));
        }
        e = std::move(s);
      } else if (is_op("(")) {
        auto c = make(Expr::kCall);
        c->args.push_back(std::move(e));
        call_args(*c);
        e = std::move(c);
      } else {
        return e;
      }
    }
  }
  ExprPtr filters(ExprPtr e) {
    while (true) {
      if (is_op("|")) {
        ++i_;
        auto f = make(Expr::kFilter);
        f->name = expect_name();
        f->args.push_back(std::move(e));
        if (is_op("(")) call_args(*f);
        e = std::move(f);
      } else if (is_name("is")) {
        ++i_;
        auto t = make(Expr::kTest);
        if (is_name("not")) {
          ++i_;
          t->negate = true;
        }
        t->name = expect_name();
        t->args.push_back(std::move(e));
        if (is_op("(")) call_args(*t);
        else if (peek().kind == Token::kString || peek().kind == Token::kInt) t->args.push_back(primary());
        e = std::move(t);
      } else {
        return e;
      }
    }
  }
  ExprPtr primary() {
    const Token t = next();
    auto lit = make(Expr::kLiteral);
    switch (t.kind) {
      case Token::kString: {
        std::string s = t.text;
        while (peek().kind == Token::kString) s += next().text;  // adjacent literals join
        lit->literal = Value::string(s);
        return lit;
      }
      case Token::kInt: lit->literal = Value::integer(std::stoll(t.text)); return lit;
      case Token::kFloat: lit->literal = Value::real(std::stod(t.text)); return lit;
      case Token::kName:
        if (t.text == "true" || t.text == "True") { lit->literal = Value::boolean(true); return lit; }
        if (t.text == "false" || t.text == "False") { lit->literal = Value::boolean(false); return lit; }
        if (t.text == "none" || t.text == "None") { lit->literal = Value::none(); return lit; }
        {
          auto n = make(Expr::kName);
          n->name = t.text;
          return n;
        }
      case Token::kOp:
        if (t.text == "(") {
          ExprPtr e = parse_expression();
          if (is_op(",")) unsupported("tuples");
          expect_op(")");
          return e;
        }
        if (t.text == "[") {
          auto l = make(Expr::kListLit);
          while (!is_op("]")) {
            l->args.push_back(parse_expression());
            if (!is_op(",")) break;
            ++i_;
          }
          expect_op("]");
          return l;
        }
        if (t.text == "{") {
          auto d = make(Expr::kDictLit);
          while (!is_op("}")) {
            d->args.push_back(parse_expression());
            expect_op(":");
            d->args.push_back(parse_expression());
            if (!is_op(",")) break;
            ++i_;
          }
          expect_op("}");
          return d;
        }
        unsupported("syntax: unexpected '" + t.text + "'");
      case Token::kEnd: unsupported("syntax: expression ends too early");
    }
    return lit;
  }

  std::vector<Token> toks_;
  size_t i_ = 0;
};

}  // namespace

// ---- statements ---------------------------------------------------------------------------

struct Template::Node {
  enum Kind { kText, kOutput, kIf, kFor, kSet, kSetAttr, kBreak, kContinue } kind;
  std::string text;                      // kText; kSet target; kSetAttr object name
  std::string attr;                      // kSetAttr
  std::vector<std::string> loop_vars;    // kFor
  std::vector<ExprPtr> exprs;            // kOutput: value; kIf: conditions; kFor: iterable[, filter]; kSet: value
  std::vector<std::vector<std::unique_ptr<Node>>> bodies;  // kIf: one per branch (+ else); kFor: body[, else]
};

namespace {

using NodeList = std::vector<std::unique_ptr<Template::Node>>;

class StatementParser {
 public:
  explicit StatementParser(std::vector<Segment> segs) : segs_(std::move(segs)) {}

  // Parses nodes until a statement whose keyword is in `stops` (returned in `stop`).
  NodeList parse_block(const std::vector<std::string>& stops, std::string& stop, std::vector<Token>& stop_tokens) {
    NodeList out;
    while (i_ < segs_.size()) {
      const Segment& s = segs_[i_++];
      if (s.kind == Segment::kText) {
        auto n = node(Template::Node::kText);
        n->text = s.body;
        out.push_back(std::move(n));
        continue;
      }
      if (s.kind == Segment::kExpr) {
        auto n = node(Template::Node::kOutput);
        ExprParser p(s.body);
        n->exprs.push_back(p.parse_expression());
        p.expect_end();
        out.push_back(std::move(n));
        continue;
      }
      std::vector<Token> toks = lex(s.body);
      if (toks[0].kind != Token::kName) unsupported("statement '" + s.body + "'");
      const std::string kw = toks[0].text;
      for (const auto& st : stops)
        if (kw == st) {
          stop = kw;
          stop_tokens = std::move(toks);
          return out;
        }
      toks.erase(toks.begin());
      if (kw == "if") out.push_back(parse_if(std::move(toks)));
      else if (kw == "for") out.push_back(parse_for(std::move(toks)));
      else if (kw == "set") out.push_back(parse_set(std::move(toks)));
      else if (kw == "break") out.push_back(node(Template::Node::kBreak));
      else if (kw == "continue") out.push_back(node(Template::Node::kContinue));
      else if (kw == "generation" || kw == "endgeneration") continue;  // transformers' AssistantTracker: no output of its own
      else unsupported("statement '{% " + kw + " %}'");
    }
    if (!stops.empty()) unsupported("template: missing '{% " + stops.back() + " %}'");
    return out;
  }

 private:
  static std::unique_ptr<Template::Node> node(Template::Node::Kind k) {
    auto n = std::make_unique<Template::Node>();
    n->kind = k;
    return n;
  }

  std::unique_ptr<Template::Node> parse_if(std::vector<Token> toks) {
    auto n = node(Template::Node::kIf);
    while (true) {
      ExprParser p(std::move(toks));
      n->exprs.push_back(p.parse_expression());
      p.expect_end();
      std::string stop;
      std::vector<Token> stop_toks;
      n->bodies.push_back(parse_block({"elif", "else", "endif"}, stop, stop_toks));
      if (stop == "elif") {
        stop_toks.erase(stop_toks.begin());
        toks = std::move(stop_toks);
        continue;
      }
      if (stop == "else") {
        std::string end;
        std::vector<Token> end_toks;
        n->bodies.push_back(parse_block({"endif"}, end, end_toks));
      }
      return n;
    }
  }

  std::unique_ptr<Template::Node> parse_for(std::vector<Token> toks) {
    auto n = node(Template::Node::kFor);
    ExprParser p(std::move(toks));
    n->loop_vars.push_back(p.expect_name());
    while (p.is_op(",")) {
      p.next();
      n->loop_vars.push_back(p.expect_name());
    }
    if (!p.is_name("in")) unsupported("syntax: 'for' without 'in'");
    p.next();
    // The iterable stops before an inline "if" filter: parse it without the ternary.
    n->exprs.push_back(p.parse_expression());
    if (n->exprs[0]->kind == Expr::kCond) {
      // "for x in xs if cond" parsed as a conditional expression without else: split it.
      auto cond = std::move(n->exprs[0]);
      n->exprs[0] = std::move(cond->args[1]);
      n->exprs.push_back(std::move(cond->args[0]));
    }
    if (p.is_name("recursive")) unsupported("recursive for loops");
    p.expect_end();
    std::string stop;
    std::vector<Token> stop_toks;
    n->bodies.push_back(parse_block({"else", "endfor"}, stop, stop_toks));
    if (stop == "else") {
      std::string end;
      std::vector<Token> end_toks;
      n->bodies.push_back(parse_block({"endfor"}, end, end_toks));
    }
    return n;
  }

  std::unique_ptr<Template::Node> parse_set(std::vector<Token> toks) {
    ExprParser p(std::move(toks));
    const std::string target = p.expect_name();
    std::unique_ptr<Template::Node> n;
    if (p.is_op(".")) {
      p.next();
      n = node(Template::Node::kSetAttr);
      n->text = target;
      n->attr = p.expect_name();
    } else {
      n = node(Template::Node::kSet);
      n->text = target;
    }
    if (p.is_op(",")) unsupported("'set' with several targets");
    if (!p.is_op("=")) unsupported("block 'set' (without '=')");
    p.next();
    n->exprs.push_back(p.parse_expression());
    p.expect_end();
    return n;
  }

  std::vector<Segment> segs_;
  size_t i_ = 0;
};

// ---- values -------------------------------------------------------------------------------

using K = Value::Kind;

bool truthy(const Value& v) {
  switch (v.kind) {
    case K::kUndefined: case K::kNone: return false;
    case K::kBool: return v.b;
    case K::kInt: return v.i != 0;
    case K::kFloat: return v.f != 0;
    case K::kString: return !v.s.empty();
    case K::kList: return !v.list->empty();
    case K::kMap: return !v.map->empty();
  }
  return false;
}

std::string py_repr(const Value& v);

std::string to_str(const Value& v) {
  switch (v.kind) {
    case K::kUndefined: return "";
    case K::kNone: return "None";
    case K::kBool: return v.b ? "True" : "False";
    case K::kInt: return std::to_string(v.i);
    case K::kFloat: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v.f);
      for (int prec = 1; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, v.f);
        if (std::stod(buf) == v.f) break;
      }
      std::string s = buf;
      if (s.find_first_of(".en") == std::string::npos) s += ".0";
      return s;
    }
    case K::kString: return v.s;
    case K::kList: {
      std::string s = "[";
      for (size_t i = 0; i < v.list->size(); ++i) s += (i ? ", " : "") + py_repr((*v.list)[i]);
      return s + "]";
    }
    case K::kMap: {
      std::string s = "{";
      for (size_t i = 0; i < v.map->size(); ++i)
        s += (i ? ", " : "") + py_repr(Value::string((*v.map)[i].first)) + ": " + py_repr((*v.map)[i].second);
      return s + "}";
    }
  }
  return "";
}

std::string py_repr(const Value& v) {
  if (v.kind != K::kString) return to_str(v);
  const char q = v.s.find('\'') != std::string::npos && v.s.find('"') == std::string::npos ? '"' : '\'';
  std::string s(1, q);
  for (char c : v.s) {
    if (c == q || c == '\\') s += '\\';
    if (c == '\n') s += "\\n";
    else s += c;
  }
  return s + q;
}

// json.dumps(x, ensure_ascii=False) with Python's default separators, or indent.
void to_json(const Value& v, std::string& out, int indent, int depth) {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * d), ' ');
  };
  const char* item_sep = indent < 0 ? ", " : ",";
  switch (v.kind) {
    case K::kUndefined: case K::kNone: out += "null"; return;
    case K::kBool: out += v.b ? "true" : "false"; return;
    case K::kInt: case K::kFloat: out += to_str(v); return;
    case K::kString:
      out += '"';
      for (unsigned char c : v.s) {
        switch (c) {
          case '"': out += "\\\""; break;
          case '\\': out += "\\\\"; break;
          case '\n': out += "\\n"; break;
          case '\r': out += "\\r"; break;
          case '\t': out += "\\t"; break;
          case '\b': out += "\\b"; break;
          case '\f': out += "\\f"; break;
          default:
            if (c < 0x20) {
              char buf[8];
              std::snprintf(buf, sizeof buf, "\\u%04x", c);
              out += buf;
            } else {
              out += static_cast<char>(c);
            }
        }
      }
      out += '"';
      return;
    case K::kList:
      out += '[';
      for (size_t i = 0; i < v.list->size(); ++i) {
        if (i) out += item_sep;
        newline(depth + 1);
        to_json((*v.list)[i], out, indent, depth + 1);
      }
      if (!v.list->empty()) newline(depth);
      out += ']';
      return;
    case K::kMap:
      out += '{';
      for (size_t i = 0; i < v.map->size(); ++i) {
        if (i) out += item_sep;
        newline(depth + 1);
        to_json(Value::string((*v.map)[i].first), out, indent, depth + 1);
        out += ": ";
        to_json((*v.map)[i].second, out, indent, depth + 1);
      }
      if (!v.map->empty()) newline(depth);
      out += '}';
      return;
  }
}

std::u32string code_points(const std::string& s) {
  std::u32string out;
  size_t p = 0;
  while (p < s.size()) out.push_back(decode_utf8_at(s, p));
  return out;
}

std::string from_code_points(const std::u32string& cps) {
  std::string out;
  for (char32_t c : cps) append_utf8(out, c);
  return out;
}

// Python str.strip / lstrip / rstrip, with `chars` or whitespace.
std::string py_strip(const std::string& s, const Value* chars, bool left, bool right) {
  const std::u32string cps = code_points(s);
  const std::u32string set = chars && chars->kind == K::kString ? code_points(chars->s) : std::u32string();
  auto strip_it = [&](char32_t c) {
    return chars && chars->kind == K::kString ? set.find(c) != std::u32string::npos : is_python_space(c);
  };
  size_t b = 0, e = cps.size();
  if (left) while (b < e && strip_it(cps[b])) ++b;
  if (right) while (e > b && strip_it(cps[e - 1])) --e;
  return from_code_points(cps.substr(b, e - b));
}

Value py_split(const std::string& s, const Value* sep, int64_t maxsplit) {
  List parts;
  if (!sep || sep->kind == K::kNone) {
    const std::u32string cps = code_points(s);
    size_t i = 0;
    while (i < cps.size()) {
      while (i < cps.size() && is_python_space(cps[i])) ++i;
      if (i >= cps.size()) break;
      size_t j = i;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        j = cps.size();
        std::u32string rest = cps.substr(i);
        while (!rest.empty() && is_python_space(rest.back())) rest.pop_back();
        parts.push_back(Value::string(from_code_points(rest)));
        break;
      }
      while (j < cps.size() && !is_python_space(cps[j])) ++j;
      parts.push_back(Value::string(from_code_points(cps.substr(i, j - i))));
      i = j;
    }
    return Value::make_list(std::move(parts));
  }
  if (sep->kind != K::kString || sep->s.empty()) throw TemplateError("split: empty separator");
  size_t pos = 0;
  while (true) {
    const size_t hit = s.find(sep->s, pos);
    if (hit == std::string::npos || (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit)) break;
    parts.push_back(Value::string(s.substr(pos, hit - pos)));
    pos = hit + sep->s.size();
  }
  parts.push_back(Value::string(s.substr(pos)));
  return Value::make_list(std::move(parts));
}

bool values_equal(const Value& a, const Value& b) {
  const bool an = a.kind == K::kInt || a.kind == K::kFloat || a.kind == K::kBool;
  const bool bn = b.kind == K::kInt || b.kind == K::kFloat || b.kind == K::kBool;
  if (an && bn) {
    auto num = [](const Value& v) { return v.kind == K::kFloat ? v.f : v.kind == K::kInt ? double(v.i) : double(v.b); };
    return num(a) == num(b);
  }
  if (a.kind != b.kind) {
    return (a.kind == K::kUndefined || a.kind == K::kNone) && (b.kind == K::kUndefined || b.kind == K::kNone) &&
           a.kind == b.kind;
  }
  switch (a.kind) {
    case K::kUndefined: case K::kNone: return true;
    case K::kString: return a.s == b.s;
    case K::kList:
      if (a.list->size() != b.list->size()) return false;
      for (size_t i = 0; i < a.list->size(); ++i)
        if (!values_equal((*a.list)[i], (*b.list)[i])) return false;
      return true;
    case K::kMap: return a.map == b.map;
    default: return false;
  }
}

double as_number(const Value& v, const char* what) {
  if (v.kind == K::kInt) return double(v.i);
  if (v.kind == K::kFloat) return v.f;
  if (v.kind == K::kBool) return v.b;
  throw TemplateError(std::string(what) + ": not a number");
}

int64_t length_of(const Value& v) {
  switch (v.kind) {
    case K::kString: return static_cast<int64_t>(code_points(v.s).size());
    case K::kList: return static_cast<int64_t>(v.list->size());
    case K::kMap: return static_cast<int64_t>(v.map->size());
    case K::kUndefined: return 0;
    default: throw TemplateError("length of a value that has none");
  }
}

List items_of(const Value& v) {
  switch (v.kind) {
    case K::kList: return *v.list;
    case K::kMap: {
      List keys;
      for (const auto& kv : *v.map) keys.push_back(Value::string(kv.first));
      return keys;
    }
    case K::kString: {
      List chars;
      for (char32_t c : code_points(v.s)) chars.push_back(Value::string(from_code_points(std::u32string(1, c))));
      return chars;
    }
    case K::kUndefined: case K::kNone: return {};
    default: throw TemplateError("iterating over a value that is not iterable");
  }
}

// ---- evaluation ---------------------------------------------------------------------------

enum class Flow { kNormal, kBreak, kContinue };

class Renderer {
 public:
  explicit Renderer(std::map<std::string, Value> globals) { scopes_.push_back(std::move(globals)); }

  Flow run(const NodeList& nodes, std::string& out) {
    for (const auto& n : nodes) {
      const Flow f = run_one(*n, out);
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

 private:
  Flow run_one(const Template::Node& n, std::string& out) {
    using N = Template::Node;
    switch (n.kind) {
      case N::kText: out += n.text; return Flow::kNormal;
      case N::kOutput: out += to_str(eval(*n.exprs[0])); return Flow::kNormal;
      case N::kIf:
        for (size_t b = 0; b < n.bodies.size(); ++b)
          if (b >= n.exprs.size() || truthy(eval(*n.exprs[b]))) return run(n.bodies[b], out);
        return Flow::kNormal;
      case N::kSet: scopes_.back()[n.text] = eval(*n.exprs[0]); return Flow::kNormal;
      case N::kSetAttr: {
        Value target = lookup(n.text);
        if (target.kind != K::kMap) throw TemplateError("cannot set attribute '" + n.attr + "' of '" + n.text + "'");
        target.set(n.attr, eval(*n.exprs[0]));
        return Flow::kNormal;
      }
      case N::kBreak: return Flow::kBreak;
      case N::kContinue: return Flow::kContinue;
      case N::kFor: return run_for(n, out);
    }
    return Flow::kNormal;
  }

  Flow run_for(const Template::Node& n, std::string& out) {
    List items = items_of(eval(*n.exprs[0]));
    if (n.exprs.size() > 1) {  // inline filter: for x in xs if cond
      List kept;
      for (auto& it : items) {
        scopes_.emplace_back();
        bind(n.loop_vars, it);
        if (truthy(eval(*n.exprs[1]))) kept.push_back(it);
        scopes_.pop_back();
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      if (n.bodies.size() > 1) run(n.bodies[1], out);
      return Flow::kNormal;
    }
    const auto len = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < len; ++i) {
      scopes_.emplace_back();
      bind(n.loop_vars, items[i]);
      Value loop = Value::make_map();
      loop.set("index0", Value::integer(i));
      loop.set("index", Value::integer(i + 1));
      loop.set("revindex0", Value::integer(len - i - 1));
      loop.set("revindex", Value::integer(len - i));
      loop.set("first", Value::boolean(i == 0));
      loop.set("last", Value::boolean(i == len - 1));
      loop.set("length", Value::integer(len));
      loop.set("previtem", i > 0 ? items[i - 1] : Value());
      loop.set("nextitem", i + 1 < len ? items[i + 1] : Value());
      scopes_.back()["loop"] = loop;
      const Flow f = run(n.bodies[0], out);
      scopes_.pop_back();
      if (f == Flow::kBreak) break;
    }
    return Flow::kNormal;
  }

  void bind(const std::vector<std::string>& vars, const Value& item) {
    if (vars.size() == 1) {
      scopes_.back()[vars[0]] = item;
      return;
    }
    if (item.kind != K::kList || item.list->size() != vars.size())
      throw TemplateError("cannot unpack a loop item into " + std::to_string(vars.size()) + " names");
    for (size_t k = 0; k < vars.size(); ++k) scopes_.back()[vars[k]] = (*item.list)[k];
  }

  Value lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      const auto f = it->find(name);
      if (f != it->end()) return f->second;
    }
    return Value();
  }

  Value attribute(const Value& obj, const std::string& name) const {
    if (obj.kind == K::kUndefined) throw TemplateError("'" + name + "' of an undefined value");
    if (const Value* v = obj.get(name)) return *v;
    return Value();
  }

  Value eval(const Expr& e) {
    switch (e.kind) {
      case Expr::kLiteral: return e.literal;
      case Expr::kName: return lookup(e.name);
      case Expr::kAttr: return attribute(eval(*e.args[0]), e.name);
      case Expr::kIndex: return index(eval(*e.args[0]), eval(*e.args[1]));
      case Expr::kSlice: return slice(e);
      case Expr::kCall: return call(e);
      case Expr::kFilter: return filter(e);
      case Expr::kTest: return Value::boolean(test(e) != e.negate);
      case Expr::kUnary: {
        const Value v = eval(*e.args[0]);
        if (e.name == "+") return v;
        if (v.kind == K::kInt) return Value::integer(-v.i);
        return Value::real(-as_number(v, "unary minus"));
      }
      case Expr::kNot: return Value::boolean(!truthy(eval(*e.args[0])));
      case Expr::kAnd: {
        Value a = eval(*e.args[0]);
        return truthy(a) ? eval(*e.args[1]) : a;
      }
      case Expr::kOr: {
        Value a = eval(*e.args[0]);
        return truthy(a) ? a : eval(*e.args[1]);
      }
      case Expr::kCond: return truthy(eval(*e.args[0])) ? eval(*e.args[1]) : eval(*e.args[2]);
      case Expr::kBinary: return binary(e.name, eval(*e.args[0]), eval(*e.args[1]));
      case Expr::kListLit: {
        List l;
        for (const auto& a : e.args) l.push_back(eval(*a));
        return Value::make_list(std::move(l));
      }
      case Expr::kDictLit: {
        Value m = Value::make_map();
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) m.set(to_str(eval(*e.args[i])), eval(*e.args[i + 1]));
        return m;
      }
    }
    return Value();
  }

  Value index(const Value& obj, const Value& key) const {
    if (obj.kind == K::kMap) {
      const Value* v = obj.get(to_str(key));
      return v ? *v : Value();
    }
    if (obj.kind == K::kList || obj.kind == K::kString) {
      if (key.kind != K::kInt) throw TemplateError("list index must be an integer");
      const List items = obj.kind == K::kList ? *obj.list : items_of(obj);
      int64_t i = key.i;
      if (i < 0) i += static_cast<int64_t>(items.size());
      if (i < 0 || i >= static_cast<int64_t>(items.size())) return Value();  // Jinja: undefined
      return items[static_cast<size_t>(i)];
    }
    if (obj.kind == K::kUndefined) throw TemplateError("subscript of an undefined value");
    return Value();
  }

  Value slice(const Expr& e) {
    const Value obj = eval(*e.args[0]);
    auto opt = [&](size_t k) -> std::optional<int64_t> {
      if (!e.args[k]) return std::nullopt;
      const Value v = eval(*e.args[k]);
      if (v.kind == K::kNone) return std::nullopt;
      if (v.kind != K::kInt) throw TemplateError("slice bounds must be integers");
      return v.i;
    };
    const auto start = opt(1), stop = opt(2), step_v = opt(3);
    const int64_t step = step_v.value_or(1);
    if (step == 0) throw TemplateError("slice step cannot be zero");
    const List items = items_of(obj);
    const auto n = static_cast<int64_t>(items.size());
    auto norm = [&](std::optional<int64_t> v, int64_t dflt, int64_t lo, int64_t hi) {
      if (!v) return dflt;
      int64_t x = *v < 0 ? *v + n : *v;
      return std::clamp(x, lo, hi);
    };
    List out;
    if (step > 0) {
      for (int64_t i = norm(start, 0, 0, n), end = norm(stop, n, 0, n); i < end; i += step) out.push_back(items[i]);
    } else {
      for (int64_t i = norm(start, n - 1, -1, n - 1), end = norm(stop, -1, -1, n - 1); i > end; i += step)
        out.push_back(items[i]);
    }
    if (obj.kind == K::kString) {
      std::string s;
      for (const auto& c : out) s += c.s;
      return Value::string(s);
    }
    return Value::make_list(std::move(out));
  }

  Value binary(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return Value::boolean(values_equal(a, b));
    if (op == "!=") return Value::boolean(!values_equal(a, b));
    if (op == "~") return Value::string(to_str(a) + to_str(b));
    if (op == "in" || op == "not in") {
      bool found = false;
      if (b.kind == K::kString) found = b.s.find(to_str(a)) != std::string::npos;
      else if (b.kind == K::kMap) found = b.get(to_str(a)) != nullptr;
      else for (const auto& x : items_of(b)) found = found || values_equal(a, x);
      return Value::boolean(found != (op == "not in"));
    }
    if (op == "+" && a.kind == K::kString && b.kind == K::kString) return Value::string(a.s + b.s);
    if (op == "+" && a.kind == K::kList && b.kind == K::kList) {
      List l = *a.list;
      l.insert(l.end(), b.list->begin(), b.list->end());
      return Value::make_list(std::move(l));
    }
    if (op == "<" || op == ">" || op == "<=" || op == ">=") {
      int cmp;
      if (a.kind == K::kString && b.kind == K::kString) cmp = a.s.compare(b.s);
      else {
        const double x = as_number(a, op.c_str()), y = as_number(b, op.c_str());
        cmp = x < y ? -1 : x > y ? 1 : 0;
      }
      return Value::boolean(op == "<" ? cmp < 0 : op == ">" ? cmp > 0 : op == "<=" ? cmp <= 0 : cmp >= 0);
    }
    if (op == "*" && a.kind == K::kString && b.kind == K::kInt) {
      std::string s;
      for (int64_t i = 0; i < b.i; ++i) s += a.s;
      return Value::string(s);
    }
    const bool ints = (a.kind == K::kInt || a.kind == K::kBool) && (b.kind == K::kInt || b.kind == K::kBool);
    const double x = as_number(a, op.c_str()), y = as_number(b, op.c_str());
    if (op == "/") return Value::real(x / y);
    if (ints) {
      const int64_t p = static_cast<int64_t>(x), q = static_cast<int64_t>(y);
      if (op == "+") return Value::integer(p + q);
      if (op == "-") return Value::integer(p - q);
      if (op == "*") return Value::integer(p * q);
      if (q == 0 && (op == "//" || op == "%")) throw TemplateError("division by zero");
      if (op == "//") return Value::integer(p / q - ((p % q != 0) && ((p < 0) != (q < 0))));
      if (op == "%") return Value::integer(((p % q) + q) % q);
      if (op == "**") return Value::integer(static_cast<int64_t>(std::pow(x, y)));
    }
    if (op == "+") return Value::real(x + y);
    if (op == "-") return Value::real(x - y);
    if (op == "*") return Value::real(x * y);
    if (op == "//") return Value::real(std::floor(x / y));
    if (op == "%") return Value::real(x - std::floor(x / y) * y);
    if (op == "**") return Value::real(std::pow(x, y));
    unsupported("operator '" + op + "'");
  }

  std::vector<Value> eval_args(const Expr& e, size_t skip) {
    std::vector<Value> v;
    for (size_t i = skip; i < e.args.size(); ++i) v.push_back(eval(*e.args[i]));
    return v;
  }

  Value call(const Expr& e) {
    const Expr& callee = *e.args[0];
    std::vector<Value> args = eval_args(e, 1);
    if (callee.kind == Expr::kAttr) return method(eval(*callee.args[0]), callee.name, args);
    if (callee.kind != Expr::kName) unsupported("call of a computed value");
    const std::string& f = callee.name;
    if (f == "namespace") {
      Value ns = Value::make_map();
      for (const auto& [k, v] : e.kwargs) ns.set(k, eval(*v));
      return ns;
    }
    if (f == "raise_exception") throw TemplateError(args.empty() ? "raise_exception" : to_str(args[0]));
    if (f == "range") {
      int64_t start = 0, stop = 0, step = 1;
      if (args.size() == 1) stop = args[0].i;
      else if (args.size() >= 2) { start = args[0].i; stop = args[1].i; if (args.size() > 2) step = args[2].i; }
      if (step == 0) throw TemplateError("range step cannot be zero");
      List l;
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) l.push_back(Value::integer(i));
      return Value::make_list(std::move(l));
    }
    if (f == "strftime_now") {  // transformers provides it: the current local time
      const std::time_t t = std::time(nullptr);
      char buf[256];
      std::strftime(buf, sizeof buf, args.empty() ? "%Y-%m-%d" : to_str(args[0]).c_str(), std::localtime(&t));
      return Value::string(buf);
    }
    unsupported("function '" + f + "()'");
  }

  Value method(const Value& obj, const std::string& name, const std::vector<Value>& args) {
    const Value* a0 = args.size() > 0 ? &args[0] : nullptr;
    if (obj.kind == K::kString) {
      const std::string& s = obj.s;
      if (name == "startswith" || name == "endswith") {
        if (!a0) throw TemplateError(name + " needs an argument");
        List options = a0->kind == K::kList ? *a0->list : List{*a0};
        for (const auto& o : options) {
          const std::string& p = o.s;
          const bool hit = name == "startswith" ? s.compare(0, p.size(), p) == 0
                                                : s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
          if (hit) return Value::boolean(true);
        }
        return Value::boolean(false);
      }
      if (name == "strip") return Value::string(py_strip(s, a0, true, true));
      if (name == "lstrip") return Value::string(py_strip(s, a0, true, false));
      if (name == "rstrip") return Value::string(py_strip(s, a0, false, true));
      if (name == "split") return py_split(s, a0, args.size() > 1 ? args[1].i : -1);
      if (name == "upper" || name == "lower") {
        std::string r = s;
        for (auto& c : r) c = static_cast<char>(name == "upper" ? std::toupper(static_cast<unsigned char>(c))
                                                                 : std::tolower(static_cast<unsigned char>(c)));
        return Value::string(r);
      }
      if (name == "replace") {
        if (args.size() < 2) throw TemplateError("replace needs two arguments");
        std::string r;
        size_t pos = 0;
        int64_t left = args.size() > 2 ? args[2].i : -1;
        while (left != 0) {
          const size_t hit = args[0].s.empty() ? std::string::npos : s.find(args[0].s, pos);
          if (hit == std::string::npos) break;
          r += s.substr(pos, hit - pos) + args[1].s;
          pos = hit + args[0].s.size();
          if (left > 0) --left;
        }
        return Value::string(r + s.substr(pos));
      }
      if (name == "join") {
        std::string r;
        const List items = a0 ? items_of(*a0) : List{};
        for (size_t i = 0; i < items.size(); ++i) r += (i ? s : "") + to_str(items[i]);
        return Value::string(r);
      }
    }
    if (obj.kind == K::kMap) {
      if (name == "items" || name == "keys" || name == "values") {
        List l;
        for (const auto& [k, v] : *obj.map) {
          if (name == "items") l.push_back(Value::make_list({Value::string(k), v}));
          else if (name == "keys") l.push_back(Value::string(k));
          else l.push_back(v);
        }
        return Value::make_list(std::move(l));
      }
      if (name == "get") {
        const Value* v = a0 ? obj.get(to_str(*a0)) : nullptr;
        return v ? *v : (args.size() > 1 ? args[1] : Value::none());
      }
    }
    unsupported("method '." + name + "()' on this value");
  }

  Value filter(const Expr& e) {
    const Value v = eval(*e.args[0]);
    const std::vector<Value> args = eval_args(e, 1);
    const std::string& f = e.name;
    if (f == "length" || f == "count") return Value::integer(length_of(v));
    if (f == "tojson") {
      int indent = -1;
      for (const auto& [k, x] : e.kwargs)
        if (k == "indent") indent = static_cast<int>(eval(*x).i);
      if (!args.empty()) indent = static_cast<int>(args[0].i);
      std::string out;
      to_json(v, out, indent, 0);
      return Value::string(out);
    }
    if (f == "trim") return Value::string(py_strip(to_str(v), args.empty() ? nullptr : &args[0], true, true));
    if (f == "string") return Value::string(to_str(v));
    if (f == "upper" || f == "lower") return method(Value::string(to_str(v)), f, {});
    if (f == "first" || f == "last") {
      const List items = items_of(v);
      if (items.empty()) return Value();
      return f == "first" ? items.front() : items.back();
    }
    if (f == "list") return Value::make_list(items_of(v));
    if (f == "reverse") {
      List items = items_of(v);
      std::reverse(items.begin(), items.end());
      if (v.kind == K::kString) {
        std::string s;
        for (const auto& c : items) s += c.s;
        return Value::string(s);
      }
      return Value::make_list(std::move(items));
    }
    if (f == "join") {
      std::string r;
      const List items = items_of(v);
      const std::string sep = args.empty() ? "" : to_str(args[0]);
      for (size_t i = 0; i < items.size(); ++i) r += (i ? sep : "") + to_str(items[i]);
      return Value::string(r);
    }
    if (f == "default" || f == "d") {
      const bool boolean = args.size() > 1 && truthy(args[1]);
      if (v.kind == K::kUndefined || (boolean && !truthy(v))) return args.empty() ? Value::string("") : args[0];
      return v;
    }
    if (f == "int") {
      if (v.kind == K::kString) return Value::integer(std::stoll(v.s));
      return Value::integer(static_cast<int64_t>(as_number(v, "int")));
    }
    if (f == "items") return method(v, "items", {});
    if (f == "capitalize" && v.kind == K::kString) {
      std::string s = v.s;
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
      return Value::string(s);
    }
    unsupported("filter '|" + f + "'");
  }

  bool test(const Expr& e) {
    const std::string& t = e.name;
    if (t == "defined") return eval(*e.args[0]).kind != K::kUndefined;
    if (t == "undefined") return eval(*e.args[0]).kind == K::kUndefined;
    const Value v = eval(*e.args[0]);
    if (t == "none") return v.kind == K::kNone;
    if (t == "string") return v.kind == K::kString;
    if (t == "number") return v.kind == K::kInt || v.kind == K::kFloat;
    if (t == "integer") return v.kind == K::kInt;
    if (t == "float") return v.kind == K::kFloat;
    if (t == "boolean") return v.kind == K::kBool;
    if (t == "true") return v.kind == K::kBool && v.b;
    if (t == "false") return v.kind == K::kBool && !v.b;
    if (t == "mapping") return v.kind == K::kMap;
    if (t == "sequence" || t == "iterable") return v.kind == K::kList || v.kind == K::kString || v.kind == K::kMap;
    if (t == "odd" || t == "even") return v.kind == K::kInt && ((v.i % 2 != 0) == (t == "odd"));
    if (t == "equalto" || t == "eq" || t == "sameas") {
      if (e.args.size() < 2) throw TemplateError(t + " needs an argument");
      return values_equal(v, eval(*e.args[1]));
    }
    unsupported("test 'is " + t + "'");
  }

  std::vector<std::map<std::string, Value>> scopes_;
};

}  // namespace

Template::Template(const std::string& source) {
  StatementParser parser(split_template(source));
  std::string stop;
  std::vector<Token> stop_tokens;
  body_ = parser.parse_block({}, stop, stop_tokens);
}

Template::~Template() = default;

std::string Template::render(const Map& globals) const {
  std::map<std::string, Value> scope;
  for (const auto& [k, v] : globals) scope[k] = v;
  Renderer renderer(std::move(scope));
  std::string out;
  renderer.run(body_, out);
  return out;
}

}  // namespace arecipe::text::jinja
