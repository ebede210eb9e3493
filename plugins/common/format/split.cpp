#include "split.hpp"

#include <algorithm>
#include <deque>

namespace notibus::format {
namespace {

bool wrapper(node_kind k) {
  return k == node_kind::emphasis || k == node_kind::strong || k == node_kind::strikethrough ||
         k == node_kind::link;
}

// An inline leaf with the wrappers (emphasis, strong, link...) it sits in.
struct atom {
  std::vector<const node*> path;
  node leaf;
  bool line_end() const {
    return leaf.kind == node_kind::soft_break || leaf.kind == node_kind::line_break;
  }
};

// Words keep the space after them: "a b" is "a " and "b".
void add_words(const std::vector<const node*>& path, const node& text, std::vector<atom>& out) {
  std::size_t at = 0;
  while (at < text.text.size()) {
    std::size_t end = text.text.find(' ', at);
    end = end == std::string::npos ? text.text.size() : text.text.find_first_not_of(' ', end);
    if (end == std::string::npos) end = text.text.size();
    out.push_back({path, make_node(node_kind::text, text.text.substr(at, end - at))});
    at = end;
  }
}

void collect(const node& n, std::vector<const node*>& path, std::vector<atom>& out,
             bool links_whole) {
  for (const node& c : n.children) {
    if (c.kind == node_kind::link && links_whole) {
      out.push_back({path, c});
    } else if (wrapper(c.kind)) {
      path.push_back(&c);
      collect(c, path, out, links_whole);
      path.pop_back();
    } else if (c.kind == node_kind::text) {
      add_words(path, c, out);
    } else {
      out.push_back({path, c});
    }
  }
}

// A block of `kind` holding atoms [from, to), wrappers rebuilt around them.
node build(const node& shape, const std::vector<atom>& atoms, std::size_t from, std::size_t to) {
  node out = shape;
  out.children.clear();
  std::vector<std::pair<const node*, node*>> open;  // original wrapper -> its copy
  for (std::size_t i = from; i < to; ++i) {
    const atom& a = atoms[i];
    std::size_t same = 0;
    while (same < open.size() && same < a.path.size() && open[same].first == a.path[same]) ++same;
    open.resize(same);
    node* into = open.empty() ? &out : open.back().second;
    for (std::size_t d = same; d < a.path.size(); ++d) {
      node w = *a.path[d];
      w.children.clear();
      into->children.push_back(std::move(w));
      into = &into->children.back();
      open.emplace_back(a.path[d], into);
    }
    if (a.line_end() && (i + 1 == to || i == from)) continue;  // no break at a part's edge
    into->children.push_back(a.leaf);
  }
  return out;
}

// A part neither starts nor ends with the space between its words.
void trim_edges(node& n) {
  for (node* first = &n; !first->children.empty(); first = &first->children.front()) {
    node& c = first->children.front();
    if (c.kind == node_kind::text) c.text.erase(0, c.text.find_first_not_of(' '));
  }
  for (node* last = &n; !last->children.empty(); last = &last->children.back()) {
    node& c = last->children.back();
    if (c.kind == node_kind::text) c.text.erase(c.text.find_last_not_of(' ') + 1);
  }
}

class splitter {
 public:
  splitter(target t, std::size_t budget, const measure_fn& measure)
      : t_(t), budget_(budget), measure_(measure) {}

  bool fits(const node& block) const { return measure_(render_block(block, t_)) <= budget_; }
  std::vector<node> pieces(const node& block) const;

 private:
  std::vector<node> inline_pieces(const node& block) const;
  std::vector<node> list_pieces(const node& list) const;
  std::vector<node> code_pieces(const node& code) const;
  std::vector<node> table_pieces(const node& table) const;
  // `links` keeps the links whose words become atoms: their paths point there.
  std::vector<atom> hard_cut(const node& shape, const atom& a, std::deque<node>& links) const;

  target t_;
  std::size_t budget_;
  const measure_fn& measure_;
};

std::vector<node> splitter::pieces(const node& block) const {
  if (fits(block)) return {block};
  switch (block.kind) {
    case node_kind::paragraph:
    case node_kind::heading:
      return inline_pieces(block);
    case node_kind::list:
      return list_pieces(block);
    case node_kind::code_block:
      return code_pieces(block);
    case node_kind::table:
      return table_pieces(block);
    case node_kind::block_quote: {
      std::vector<node> out;
      for (const node& child : block.children)
        for (node& p : pieces(child)) {
          node quote = make_node(node_kind::block_quote);
          quote.children.push_back(p);
          // Quotes nested deeper than a part holds: the text goes on unquoted.
          out.push_back(fits(quote) ? std::move(quote) : std::move(p));
        }
      return out;
    }
    default:
      return {block};
  }
}

// The longest run of atoms from `from` that fits, preferring to end at a
// line break; at least one atom.
std::size_t longest_fit(const splitter& s, const node& shape, const std::vector<atom>& atoms,
                        std::size_t from) {
  std::size_t lo = from + 1, hi = atoms.size();
  while (lo < hi) {  // the largest `to` whose part fits
    const std::size_t mid = (lo + hi + 1) / 2;
    node part = build(shape, atoms, from, mid);
    trim_edges(part);
    if (s.fits(part))
      lo = mid;
    else
      hi = mid - 1;
  }
  if (lo == atoms.size()) return lo;
  for (std::size_t k = lo; k > from + 1; --k)
    if (atoms[k - 1].line_end()) return k;
  return lo;
}

std::vector<atom> splitter::hard_cut(const node& shape, const atom& a,
                                     std::deque<node>& links) const {
  if (a.leaf.kind == node_kind::link) {             // a link's words, each still linked
    const node& link = links.emplace_back(a.leaf);  // `a` goes when its pieces replace it
    std::vector<const node*> path = a.path;
    path.push_back(&link);
    std::vector<atom> words;
    collect(link, path, words, false);
    if (words.size() > 1) return words;
    // One word longer than a part (an address shown as itself): it cannot
    // stay whole, so it goes as text, cut below, rather than over the limit.
    if (words.size() == 1 && words[0].leaf.kind == node_kind::text)
      return hard_cut(shape, atom{a.path, words[0].leaf}, links);
  }
  if (a.leaf.kind != node_kind::text && a.leaf.kind != node_kind::code) return {a};
  std::vector<atom> out;
  const std::string& text = a.leaf.text;
  std::vector<std::size_t> starts;  // where each code point starts, then the end
  for (std::size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  starts.push_back(text.size());
  auto piece_of = [&](std::size_t from, std::size_t to) {
    atom piece{a.path, a.leaf};
    piece.leaf.text = text.substr(starts[from], starts[to] - starts[from]);
    return piece;
  };
  for (std::size_t from = 0; from + 1 < starts.size();) {
    std::size_t lo = from + 1, hi = starts.size() - 1;
    while (lo < hi) {  // the most code points from `from` that fit alone
      const std::size_t mid = (lo + hi + 1) / 2;
      if (fits(build(shape, {piece_of(from, mid)}, 0, 1)))
        lo = mid;
      else
        hi = mid - 1;
    }
    out.push_back(piece_of(from, lo));
    from = lo;
  }
  return out;
}

std::vector<node> splitter::inline_pieces(const node& block) const {
  std::vector<atom> atoms;
  std::vector<const node*> path;
  collect(block, path, atoms, true);
  std::deque<node> links;  // split links, which atoms' paths point to
  std::vector<node> out;
  for (std::size_t from = 0; from < atoms.size();) {
    if (!fits(build(block, atoms, from, from + 1))) {
      std::vector<atom> smaller = hard_cut(block, atoms[from], links);
      if (smaller.size() > 1 || smaller[0].leaf.kind != atoms[from].leaf.kind) {
        atoms.erase(atoms.begin() + static_cast<std::ptrdiff_t>(from));
        atoms.insert(atoms.begin() + static_cast<std::ptrdiff_t>(from), smaller.begin(),
                     smaller.end());
        continue;
      }
    }
    const std::size_t to = longest_fit(*this, block, atoms, from);
    node part = build(block, atoms, from, to);
    trim_edges(part);
    if (!part.children.empty()) out.push_back(std::move(part));
    from = to;
  }
  return out;
}

std::vector<node> splitter::list_pieces(const node& list) const {
  std::vector<node> out;
  int number = list.level;
  for (const node& item : list.children) {
    node one = list;
    one.level = number++;
    one.children = {item};
    if (fits(one)) {
      out.push_back(std::move(one));
      continue;
    }
    // An item too long for a part: its first piece keeps the bullet, the
    // rest follow as blocks of their own.
    bool first = true;
    for (const node& child : item.children)
      for (node& p : pieces(child)) {
        if (!first) {
          out.push_back(std::move(p));
          continue;
        }
        first = false;
        node head = one;
        head.children[0].children = {p};
        out.push_back(fits(head) ? std::move(head) : std::move(p));
      }
  }
  return out;
}

std::vector<node> splitter::code_pieces(const node& code) const {
  std::vector<node> out;
  node part = code;
  part.text.clear();
  std::size_t at = 0;
  while (at < code.text.size()) {
    std::size_t end = code.text.find('\n', at);
    end = end == std::string::npos ? code.text.size() : end + 1;
    node longer = part;
    longer.text += code.text.substr(at, end - at);
    if (fits(longer)) {
      part = std::move(longer);
      at = end;
      continue;
    }
    if (!part.text.empty()) {  // close this block, the line starts the next
      out.push_back(part);
      part.text.clear();
      continue;
    }
    // One line longer than a part: cut on code points, each piece a block.
    const atom line{{}, make_node(node_kind::code, code.text.substr(at, end - at))};
    node shape = code;
    std::deque<node> links;  // a code line holds none
    for (const atom& piece : hard_cut(shape, line, links)) {
      node block = code;
      block.text = piece.leaf.text;
      out.push_back(std::move(block));
    }
    at = end;
  }
  if (!part.text.empty()) out.push_back(std::move(part));
  return out;
}

std::vector<node> splitter::table_pieces(const node& table) const {
  std::vector<node> out;
  const std::size_t first_body = table.header ? 1 : 0;
  node part = table;
  part.children.resize(first_body);
  for (std::size_t r = first_body; r < table.children.size(); ++r) {
    node longer = part;
    longer.children.push_back(table.children[r]);
    if (fits(longer)) {
      part = std::move(longer);
      continue;
    }
    if (part.children.size() > first_body) {
      out.push_back(part);
      part.children.resize(first_body);
      --r;  // the row starts the next part
      continue;
    }
    // One row longer than a part: its cells as a paragraph, split as text.
    node text = make_node(node_kind::paragraph);
    for (const node& cell : table.children[r].children) {
      if (!text.children.empty()) text.children.push_back(make_node(node_kind::text, " | "));
      for (const node& c : cell.children) text.children.push_back(c);
    }
    for (node& p : pieces(text)) out.push_back(std::move(p));
  }
  if (part.children.size() > first_body || out.empty()) out.push_back(std::move(part));
  return out;
}

}  // namespace

std::vector<std::string> split(const document& doc, target t, std::size_t budget,
                               const measure_fn& measure) {
  const splitter s(t, budget, measure);
  std::vector<std::string> parts;
  std::string current;
  const std::string separator(block_separator(t));
  for (const node& block : doc.children) {
    bool next_item = false;  // a tight list's items stay on consecutive lines
    for (const node& piece : s.pieces(block)) {
      const std::string text = render_block(piece, t);
      const bool same_list = next_item && t != target::html && piece.kind == node_kind::list;
      next_item = block.kind == node_kind::list && block.tight && piece.kind == node_kind::list;
      const std::string longer =
          current.empty() ? text : current + (same_list ? "\n" : separator) + text;
      if (current.empty() || measure(longer) <= budget) {
        current = longer;
        continue;
      }
      parts.push_back(std::move(current));
      current = text;
    }
  }
  if (!current.empty() || parts.empty()) parts.push_back(std::move(current));
  return parts;
}

std::string cut(const document& doc, target t, std::size_t budget, const measure_fn& measure,
                bool& was_cut) {
  const std::string whole = render(doc, t);
  was_cut = measure(whole) > budget;
  if (!was_cut) return whole;
  document ellipsis;
  ellipsis.children.push_back(make_node(node_kind::paragraph));
  ellipsis.children.back().children.push_back(make_node(node_kind::text, "\u2026"));
  const std::string tail = std::string(block_separator(t)) + render(ellipsis, t);
  const std::size_t reserve = measure(tail);
  const std::size_t room = budget > reserve ? budget - reserve : 1;
  return split(doc, t, room, measure).front() + tail;
}

}  // namespace notibus::format
