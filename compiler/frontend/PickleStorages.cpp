//===- PickleStorages.cpp - tensor storages a TorchScript pickle names ----===//
//
// A stack machine over pickle opcodes that keeps only what a persistent id
// needs (strings, integers, globals, small tuples) and treats every other
// object as opaque. Nothing is constructed or called; every read is bounds
// checked; stack, memo and tuple sizes are capped.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/PickleStorages.h"

#include <cstring>
#include <map>

namespace popt {
namespace {

struct Value {
  enum Kind { Other, Mark, Str, Int, Global, Tuple } kind = Other;
  std::string s;            ///< Str: the text; Global: "module\nname"
  int64_t i = 0;            ///< Int
  std::vector<Value> items; ///< Tuple (at most kMaxTupleItems)
};

constexpr size_t kMaxStack = 1 << 20;
constexpr size_t kMaxMemo = 1 << 22;
constexpr size_t kMaxTupleItems = 8;
constexpr size_t kMaxKeptString = 4096;

class Scanner {
public:
  explicit Scanner(std::string_view b) : bytes(b) {}

  bool run(std::vector<PickleStorage> &out) {
    while (pos < bytes.size()) {
      uint8_t op = static_cast<uint8_t>(bytes[pos++]);
      if (op == '.')
        return true; // STOP
      if (!step(op, out))
        return false;
    }
    return false; // no STOP
  }

private:
  std::string_view bytes;
  size_t pos = 0;
  std::vector<Value> stack;
  std::map<uint64_t, Value> memo;

  bool take(size_t n, const char *&p) {
    if (n > bytes.size() - pos)
      return false;
    p = bytes.data() + pos;
    pos += n;
    return true;
  }
  bool unsignedLE(size_t n, uint64_t &v) {
    const char *p;
    if (!take(n, p))
      return false;
    v = 0;
    for (size_t k = n; k-- > 0;)
      v = (v << 8) | static_cast<uint8_t>(p[k]);
    return true;
  }
  bool line(std::string &s) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos)
      return false;
    s.assign(bytes.substr(pos, nl - pos));
    pos = nl + 1;
    return true;
  }
  bool push(Value v) {
    if (stack.size() >= kMaxStack)
      return false;
    stack.push_back(std::move(v));
    return true;
  }
  bool pop(Value &v) {
    if (stack.empty())
      return false;
    v = std::move(stack.back());
    stack.pop_back();
    return true;
  }
  /// Pops everything above the topmost mark (and the mark).
  bool popToMark(std::vector<Value> &items) {
    size_t m = stack.size();
    while (m > 0 && stack[m - 1].kind != Value::Mark)
      --m;
    if (m == 0)
      return false;
    items.assign(std::make_move_iterator(stack.begin() + m),
                 std::make_move_iterator(stack.end()));
    stack.resize(m - 1);
    return true;
  }
  bool pushString(size_t n) {
    const char *p;
    if (!take(n, p))
      return false;
    Value v;
    if (n <= kMaxKeptString) {
      v.kind = Value::Str;
      v.s.assign(p, n);
    }
    return push(std::move(v));
  }
  bool pushInt(int64_t i) {
    Value v;
    v.kind = Value::Int;
    v.i = i;
    return push(std::move(v));
  }
  /// Tuples keep one level (a persistent id's items are plain values), so a
  /// memoized tuple of tuples cannot grow copies exponentially.
  bool pushTuple(std::vector<Value> items) {
    Value v;
    for (Value &item : items)
      if (item.kind == Value::Tuple)
        item = Value();
    if (items.size() <= kMaxTupleItems) {
      v.kind = Value::Tuple;
      v.items = std::move(items);
    }
    return push(std::move(v));
  }
  bool tupleOf(size_t n) {
    if (stack.size() < n)
      return false;
    std::vector<Value> items(std::make_move_iterator(stack.end() - n),
                             std::make_move_iterator(stack.end()));
    stack.resize(stack.size() - n);
    return pushTuple(std::move(items));
  }
  bool memoize(uint64_t key) {
    if (stack.empty() || (memo.size() >= kMaxMemo && !memo.count(key)))
      return false;
    memo[key] = stack.back();
    return true;
  }
  bool recall(uint64_t key) {
    auto it = memo.find(key);
    return it != memo.end() && push(it->second);
  }
  /// Pops `n` values and pushes one opaque object (a call's result).
  bool replace(size_t n) {
    if (stack.size() < n)
      return false;
    stack.resize(stack.size() - n);
    return push(Value());
  }
  bool persistentId(std::vector<PickleStorage> &out) {
    Value id;
    if (!pop(id))
      return false;
    const std::vector<Value> &t = id.items;
    if (id.kind == Value::Tuple && t.size() == 5 && t[0].kind == Value::Str &&
        t[0].s == "storage" && t[1].kind == Value::Global && t[2].kind == Value::Str &&
        t[4].kind == Value::Int && t[4].i >= 0) {
      std::string_view g = t[1].s;
      size_t nl = g.find('\n');
      out.push_back({t[2].s, std::string(g.substr(nl + 1)), static_cast<uint64_t>(t[4].i)});
    }
    return push(Value());
  }

  bool step(uint8_t op, std::vector<PickleStorage> &out) {
    uint64_t n = 0;
    const char *p = nullptr;
    Value a, b;
    std::vector<Value> items;
    switch (op) {
    case 0x80: return unsignedLE(1, n);                  // PROTO
    case 0x95: return unsignedLE(8, n);                  // FRAME
    case '(': { Value m; m.kind = Value::Mark; return push(m); }
    case ')': return pushTuple({});                      // EMPTY_TUPLE
    case 't': return popToMark(items) && pushTuple(std::move(items));
    case 0x85: return tupleOf(1);
    case 0x86: return tupleOf(2);
    case 0x87: return tupleOf(3);
    case ']': case '}': case 'N': case 0x88: case 0x89:  // empty list/dict, None, bools
      return push(Value());
    case 'l': case 'd':                                  // LIST, DICT
      return popToMark(items) && push(Value());
    case 'a': return pop(a);                             // APPEND
    case 's': return pop(a) && pop(b);                   // SETITEM
    case 'e': case 'u': return popToMark(items);         // APPENDS, SETITEMS
    case 'J':
      if (!unsignedLE(4, n)) return false;
      return pushInt(static_cast<int32_t>(static_cast<uint32_t>(n)));
    case 'K': return unsignedLE(1, n) && pushInt(static_cast<int64_t>(n));
    case 'M': return unsignedLE(2, n) && pushInt(static_cast<int64_t>(n));
    case 0x8a: {                                         // LONG1
      if (!unsignedLE(1, n) || !take(n, p)) return false;
      if (n == 0) return pushInt(0);
      if (n > 8) return push(Value());
      uint64_t v = 0;
      for (size_t k = n; k-- > 0;)
        v = (v << 8) | static_cast<uint8_t>(p[k]);
      if (n < 8 && (static_cast<uint8_t>(p[n - 1]) & 0x80))
        v |= ~uint64_t(0) << (8 * n); // sign-extend
      return pushInt(static_cast<int64_t>(v));
    }
    case 'I': case 'L': {                                // INT, LONG (text)
      std::string s;
      if (!line(s)) return false;
      char *end = nullptr;
      long long v = std::strtoll(s.c_str(), &end, 10);
      return (end && (*end == '\0' || *end == 'L')) ? pushInt(v) : push(Value());
    }
    case 'G': return take(8, p) && push(Value());        // BINFLOAT
    case 'X': return unsignedLE(4, n) && pushString(n);  // BINUNICODE
    case 0x8c: return unsignedLE(1, n) && pushString(n); // SHORT_BINUNICODE
    case 0x8d: return unsignedLE(8, n) && pushString(n); // BINUNICODE8
    case 'T': case 'B': return unsignedLE(4, n) && pushString(n); // BINSTRING, BINBYTES
    case 'U': case 'C': return unsignedLE(1, n) && pushString(n); // SHORT_*
    case 'c': {                                          // GLOBAL
      std::string module, name;
      if (!line(module) || !line(name)) return false;
      Value g;
      g.kind = Value::Global;
      g.s = module + "\n" + name;
      return push(std::move(g));
    }
    case 0x93: {                                         // STACK_GLOBAL
      if (!pop(b) || !pop(a)) return false;
      Value g;
      if (a.kind == Value::Str && b.kind == Value::Str) {
        g.kind = Value::Global;
        g.s = a.s + "\n" + b.s;
      }
      return push(std::move(g));
    }
    case 'q': return unsignedLE(1, n) && memoize(n);     // BINPUT
    case 'r': return unsignedLE(4, n) && memoize(n);     // LONG_BINPUT
    case 0x94: return memoize(memo.size());              // MEMOIZE
    case 'h': return unsignedLE(1, n) && recall(n);      // BINGET
    case 'j': return unsignedLE(4, n) && recall(n);      // LONG_BINGET
    case 'R': case 0x81: return replace(2);              // REDUCE, NEWOBJ
    case 'b': return pop(a);                             // BUILD
    case '0': return pop(a);                             // POP
    case '2': return !stack.empty() && push(stack.back()); // DUP
    case '1': return popToMark(items);                   // POP_MARK
    case 'Q': return persistentId(out);                  // BINPERSID
    default: return false;
    }
  }
};

} // namespace

bool scanPickleStorages(std::string_view pickle, std::vector<PickleStorage> &out) {
  std::vector<PickleStorage> found;
  if (!Scanner(pickle).run(found))
    return false;
  out.insert(out.end(), found.begin(), found.end());
  return true;
}

uint64_t storageElementBytes(const std::string &typeName) {
  static const std::map<std::string, uint64_t> sizes{
      {"DoubleStorage", 8}, {"FloatStorage", 4},  {"HalfStorage", 2},
      {"BFloat16Storage", 2}, {"LongStorage", 8}, {"IntStorage", 4},
      {"ShortStorage", 2},  {"CharStorage", 1},   {"ByteStorage", 1},
      {"BoolStorage", 1},   {"ComplexFloatStorage", 8}, {"ComplexDoubleStorage", 16},
      {"QInt8Storage", 1},  {"QUInt8Storage", 1}, {"QInt32Storage", 4}};
  auto it = sizes.find(typeName);
  return it == sizes.end() ? 0 : it->second;
}

} // namespace popt
