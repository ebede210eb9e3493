#include "yaml_text.hpp"

#include <notibus/plugin/text.hpp>

#include <yaml-cpp/eventhandler.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <vector>

namespace notibus {
namespace {

// Where the quoted scalar opening at `at` closes, or npos.
std::size_t closing_quote(const std::string& text, std::size_t at) {
  const char quote = text[at];
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;  // an escape: the next character is taken as it is
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside single quotes
        continue;
      }
      return i;
    }
  }
  return std::string::npos;
}

void walk(const YAML::Node& node, const std::string& text, diagnostics_sink& sink) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      walk(kv.first, text, sink);
      walk(kv.second, text, sink);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) walk(item, text, sink);
  } else if (node.IsScalar()) {
    const YAML::Mark m = node.Mark();
    if (m.is_null() || m.pos < 0 || static_cast<std::size_t>(m.pos) >= text.size()) return;
    const char c = text[static_cast<std::size_t>(m.pos)];
    if ((c == '"' || c == '\'') &&
        closing_quote(text, static_cast<std::size_t>(m.pos)) == std::string::npos)
      sink.add(m, "",
               std::string("invalid YAML: this ") + (c == '"' ? "double" : "single") +
                   "-quoted string is never closed (it would run to the end of the file)");
  }
}

// Counts what the document costs with every alias expanded, as the parser
// reports it; an anchor's cost is known once its node ends.
class cost_counter : public YAML::EventHandler {
 public:
  explicit cost_counter(const yaml_limits& limits) : limits_(limits) { stack_.push_back({}); }

  // The first bound passed and where, or an empty message.
  const std::string& problem() const { return problem_; }
  const YAML::Mark& where() const { return where_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    leaf(mark, anchor, {1, 0});
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // An alias inside the node it names ("&a [*a]") makes a cycle: every walk
    // of the tree would recurse without end.
    for (const frame& f : stack_)
      if (f.anchor == anchor && anchor != 0 && problem_.empty())
        report(mark, "an alias inside the node it refers to (a cycle): refused");
    const auto it = anchors_.find(anchor);
    leaf(mark, 0, it == anchors_.end() ? cost{1, 0} : it->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(mark, anchor, {1, value.size()});
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct cost {
    std::size_t nodes = 0, bytes = 0;
  };
  struct frame {
    YAML::anchor_t anchor = 0;
    cost so_far;
  };

  static void grow(cost& total, cost c, const yaml_limits& limits) {
    total.nodes = std::min(total.nodes + c.nodes, limits.max_nodes + 1);
    total.bytes = std::min(total.bytes + c.bytes, limits.max_expanded_bytes + 1);
  }
  // `c` more in the whole document, met at `mark`.
  void count(const YAML::Mark& mark, cost c) {
    grow(whole_, c, limits_);
    if (!problem_.empty()) return;
    if (whole_.nodes > limits_.max_nodes)
      report(mark, "more than " + std::to_string(limits_.max_nodes) +
                       " values once aliases are expanded: refused (write it out, or split it)");
    else if (whole_.bytes > limits_.max_expanded_bytes)
      report(mark, "more than " + std::to_string(limits_.max_expanded_bytes / (1024 * 1024)) +
                       " MiB of text once aliases are expanded: refused");
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, cost c) {
    if (anchor) anchors_[anchor] = c;
    grow(stack_.back().so_far, c, limits_);
    count(mark, c);
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (stack_.size() > limits_.max_depth && problem_.empty())
      report(mark, "nested more than " + std::to_string(limits_.max_depth) + " levels deep");
    stack_.push_back({anchor, {1, 0}});
    count(mark, {1, 0});
  }
  // A collection's cost (itself and all under it) is what an alias to it adds.
  void close() {
    const frame done = stack_.back();
    stack_.pop_back();
    if (done.anchor) anchors_[done.anchor] = done.so_far;
    grow(stack_.back().so_far, done.so_far, limits_);
  }
  void report(const YAML::Mark& mark, std::string text) {
    problem_ = std::move(text);
    where_ = mark;
  }

  const yaml_limits& limits_;
  std::vector<frame> stack_;
  std::map<YAML::anchor_t, cost> anchors_;
  cost whole_;
  std::string problem_;
  YAML::Mark where_;
};

}  // namespace

bool check_utf8(const std::string& text, diagnostics_sink& sink) {
  int line = 0, column = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sdk::utf8_sequence_length(text, i);
    if (n == 0) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[i]));
      YAML::Mark at;
      at.pos = static_cast<int>(i);
      at.line = line;
      at.column = column;
      sink.add(at, "", std::string("not valid UTF-8 (byte ") + byte + "): save the file as UTF-8");
      return false;
    }
    if (text[i] == '\n') {
      ++line;
      column = 0;
    } else {
      ++column;
    }
    i += n;
  }
  return true;
}

void check_quoted_scalars(const YAML::Node& root, const std::string& text, diagnostics_sink& sink) {
  walk(root, text, sink);
}

}  // namespace notibus

namespace notibus {

std::optional<YAML::Node> parse_yaml(const std::string& text, diagnostics_sink& sink,
                                     const yaml_limits& limits) {
  if (text.size() > limits.max_bytes) {
    sink.add(YAML::Mark::null_mark(), "",
             "the file is " + std::to_string(text.size()) + " bytes; the limit is " +
                 std::to_string(limits.max_bytes / 1024) + " KiB");
    return std::nullopt;
  }
  if (!check_utf8(text, sink)) return std::nullopt;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    cost_counter counter(limits);
    while (counter.problem().empty() && parser.HandleNextDocument(counter)) {
    }
    if (!counter.problem().empty()) {
      sink.add(counter.where(), "", counter.problem());
      return std::nullopt;
    }
    YAML::Node root = YAML::Load(text);
    check_quoted_scalars(root, text, sink);
    if (!sink.empty()) return std::nullopt;
    return root;
  } catch (const YAML::Exception& e) {
    sink.add(e.mark, "", "invalid YAML: " + e.msg);
    return std::nullopt;
  }
}

}  // namespace notibus
