// Markdown through cmark-gfm's tree. HTML inside Markdown is untrusted like an
// HTML body: a block of it goes through the HTML reader, an inline tag is
// dropped (the text between tags stays).
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "readers.hpp"

namespace notibus::format {
namespace {

std::string_view type_name(cmark_node* n) {
  const char* name = cmark_node_get_type_string(n);
  return name ? name : "";
}

std::string literal(cmark_node* n) {
  const char* text = cmark_node_get_literal(n);
  return text ? text : "";
}

// The text under `n` without recursion (for what nests deeper than max_depth).
std::string flattened_text(cmark_node* n) {
  std::string out;
  cmark_iter* it = cmark_iter_new(n);
  for (cmark_event_type e; (e = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
    cmark_node* cur = cmark_iter_get_node(it);
    if (e != CMARK_EVENT_ENTER) continue;
    const auto t = cmark_node_get_type(cur);
    if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE || t == CMARK_NODE_CODE_BLOCK)
      out += literal(cur);
    else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
      out += ' ';
    else if (t == CMARK_NODE_PARAGRAPH && !out.empty())
      out += ' ';
  }
  cmark_iter_free(it);
  return out;
}

void convert_children(cmark_node* parent, node& out, int depth);

// A node with no children of its own: fills `out`; false when `n` is not one.
bool convert_leaf(cmark_node* n, node& out) {
  switch (cmark_node_get_type(n)) {
    case CMARK_NODE_CODE_BLOCK: {
      out.kind = node_kind::code_block;
      out.text = literal(n);
      const char* info = cmark_node_get_fence_info(n);
      const std::string_view lang = info ? info : "";
      out.info = std::string(lang.substr(0, lang.find(' ')));
      return true;
    }
    case CMARK_NODE_THEMATIC_BREAK:
      out.kind = node_kind::thematic_break;
      return true;
    case CMARK_NODE_TEXT:
      out.kind = node_kind::text;
      out.text = literal(n);
      return true;
    case CMARK_NODE_SOFTBREAK:
      out.kind = node_kind::soft_break;
      return true;
    case CMARK_NODE_LINEBREAK:
      out.kind = node_kind::line_break;
      return true;
    case CMARK_NODE_CODE:
      out.kind = node_kind::code;
      out.text = literal(n);
      return true;
    case CMARK_NODE_IMAGE: {
      const char* url = cmark_node_get_url(n);
      out.kind = node_kind::image;
      if (url && allowed_image_url(url)) out.url = url;
      out.text = flattened_text(n);
      return true;
    }
    default:
      return false;
  }
}

// A node whose children follow: its kind and attributes into `out`; false
// when it has no counterpart (inline HTML, footnotes).
bool convert_container(cmark_node* n, node& out) {
  switch (cmark_node_get_type(n)) {
    case CMARK_NODE_PARAGRAPH:
      out.kind = node_kind::paragraph;
      return true;
    case CMARK_NODE_HEADING:
      out.kind = node_kind::heading;
      out.level = cmark_node_get_heading_level(n);
      return true;
    case CMARK_NODE_BLOCK_QUOTE:
      out.kind = node_kind::block_quote;
      return true;
    case CMARK_NODE_LIST:
      out.kind = node_kind::list;
      out.ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
      out.level = cmark_node_get_list_start(n);
      out.tight = cmark_node_get_list_tight(n) != 0;
      return true;
    case CMARK_NODE_ITEM:
      out.kind = node_kind::item;
      if (type_name(n) == "tasklist")
        out.checked = cmark_gfm_extensions_get_tasklist_item_checked(n) ? 1 : 0;
      return true;
    case CMARK_NODE_EMPH:
      out.kind = node_kind::emphasis;
      return true;
    case CMARK_NODE_STRONG:
      out.kind = node_kind::strong;
      return true;
    case CMARK_NODE_LINK:
      out.kind = node_kind::link;
      if (const char* url = cmark_node_get_url(n); url && allowed_url(url)) out.url = url;
      return true;
    default:
      break;
  }
  const std::string_view ext = type_name(n);  // GitHub's extensions
  if (ext == "table")
    out.kind = node_kind::table;
  else if (ext == "table_row" || ext == "table_header")
    out.kind = node_kind::table_row;
  else if (ext == "table_cell")
    out.kind = node_kind::table_cell;
  else if (ext == "strikethrough")
    out.kind = node_kind::strikethrough;
  else
    return false;
  out.header = ext == "table_header";
  return true;
}

// One cmark node as ours; false when it has no counterpart.
bool convert(cmark_node* n, node& out, int depth) {
  if (convert_leaf(n, out)) return true;
  if (!convert_container(n, out)) return false;
  if (depth >= max_depth) {
    if (out.is_block() && out.kind != node_kind::paragraph) out.kind = node_kind::paragraph;
    out.children.push_back(make_node(node_kind::text, flattened_text(n)));
    return true;
  }
  convert_children(n, out, depth + 1);
  if (out.kind == node_kind::table) out.header = !out.children.empty() && out.children[0].header;
  return true;
}

// The element an inline HTML tag opens ("script" for "<script src=x>"), or
// empty when it is not an opening tag.
std::string opened_element(std::string_view tag) {
  std::string name;
  if (tag.size() < 2 || tag[0] != '<' || tag[1] == '/') return name;
  for (std::size_t i = 1; i < tag.size() && std::isalnum(static_cast<unsigned char>(tag[i])); ++i)
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(tag[i])));
  return name;
}

// Inline HTML that hides its content: what comes before its end tag goes too.
bool hides_content(const std::string& element) {
  return element == "script" || element == "style" || element == "template" ||
         element == "textarea" || element == "title" || element == "noscript" ||
         element == "iframe" || element == "object";
}

cmark_node* after_end_tag(cmark_node* open, const std::string& element) {
  for (cmark_node* c = cmark_node_next(open); c; c = cmark_node_next(c)) {
    if (cmark_node_get_type(c) != CMARK_NODE_HTML_INLINE) continue;
    std::string tag = literal(c);
    for (auto& ch : tag) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (tag.rfind("</" + element, 0) == 0) return c;
  }
  return nullptr;  // unclosed: the rest of the paragraph goes
}

void convert_children(cmark_node* parent, node& out, int depth) {
  std::size_t count = 0;
  for (cmark_node* c = cmark_node_first_child(parent); c; c = cmark_node_next(c)) ++count;
  out.children.reserve(count);
  for (cmark_node* c = cmark_node_first_child(parent); c; c = cmark_node_next(c)) {
    if (cmark_node_get_type(c) == CMARK_NODE_HTML_BLOCK) {
      append_html_blocks(literal(c), out);
      continue;
    }
    if (cmark_node_get_type(c) == CMARK_NODE_HTML_INLINE) {
      const std::string element = opened_element(literal(c));
      if (hides_content(element) && !(c = after_end_tag(c, element))) break;
      continue;
    }
    node child;
    if (convert(c, child, depth)) out.children.push_back(std::move(child));
  }
}

// cmark allocates every node and buffer on its own; a parse's memory all goes
// at once when the tree is converted, so it comes from one arena per parse
// (per thread: cmark's allocator interface has no context pointer, and
// cmark-gfm's own arena is one global for all threads). Half of a parse's
// time went to malloc and free before.
class parse_arena {
 public:
  parse_arena() { current_ = this; }
  ~parse_arena() { current_ = nullptr; }
  parse_arena(const parse_arena&) = delete;
  parse_arena& operator=(const parse_arena&) = delete;

  static cmark_mem* allocator() {
    static cmark_mem mem{&zeroed, &resized, &released};
    return &mem;
  }

 private:
  static constexpr std::size_t header = 16;  // the size, keeping 16-byte alignment
  static constexpr std::size_t block_size = 32 * 1024;

  void* allocate(std::size_t n) {
    const std::size_t need = header + ((n + 15) & ~std::size_t(15));
    if (need > left_) {
      const std::size_t size = std::max(block_size, need);
      blocks_.push_back(std::make_unique_for_overwrite<std::max_align_t[]>(
          (size + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t)));
      next_ = reinterpret_cast<char*>(blocks_.back().get());
      left_ = size;
    }
    char* p = next_;
    next_ += need;
    left_ -= need;
    std::memcpy(p, &n, sizeof n);
    return p + header;
  }
  static std::size_t size_of(void* p) {
    std::size_t n;
    std::memcpy(&n, static_cast<char*>(p) - header, sizeof n);
    return n;
  }
  static void* zeroed(std::size_t count, std::size_t size) {
    void* p = current_->allocate(count * size);
    std::memset(p, 0, count * size);
    return p;
  }
  static void* resized(void* old, std::size_t n) {
    if (!old) return current_->allocate(n);
    const std::size_t had = size_of(old);
    if (n <= had) return old;
    void* p = current_->allocate(n);
    std::memcpy(p, old, had);
    return p;
  }
  static void released(void*) {}  // all at once, with the arena

  static thread_local parse_arena* current_;
  std::vector<std::unique_ptr<std::max_align_t[]>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

thread_local parse_arena* parse_arena::current_ = nullptr;

cmark_parser* new_parser() {
  static std::once_flag registered;
  std::call_once(registered, [] { cmark_gfm_core_extensions_ensure_registered(); });
  cmark_parser* p = cmark_parser_new_with_mem(CMARK_OPT_VALIDATE_UTF8, parse_arena::allocator());
  for (const char* name : {"table", "strikethrough", "autolink", "tasklist"})
    if (cmark_syntax_extension* e = cmark_find_syntax_extension(name))
      cmark_parser_attach_syntax_extension(p, e);
  return p;
}

}  // namespace

document read_markdown(std::string_view markdown) {
  parse_arena arena;  // cmark's memory, freed with it (so nothing of cmark is freed)
  cmark_parser* parser = new_parser();
  cmark_parser_feed(parser, markdown.data(), markdown.size());
  cmark_node* root = cmark_parser_finish(parser);
  document doc;
  if (root) convert_children(root, doc, 1);
  return doc;
}

}  // namespace notibus::format
