#include "corpus.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace notibus::format::testing {
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::vector<corpus_document> load_corpus(const fs::path& dir) {
  std::vector<corpus_document> out;
  for (const auto& entry : fs::directory_iterator(dir / "corpus")) {
    const std::string ext = entry.path().extension().string();
    const auto kind = ext == ".md"     ? source::markdown
                      : ext == ".html" ? source::html
                      : ext == ".txt"  ? source::text
                                       : std::optional<source>();
    if (!kind) continue;
    out.push_back({entry.path().filename().string(), *kind, slurp(entry.path())});
  }
  const auto spec = boost::json::parse(slurp(dir / "commonmark_spec_examples.json"));
  for (const auto& example : spec.as_array()) {
    const auto& o = example.as_object();
    out.push_back({"spec-" + std::to_string(o.at("example").as_int64()), source::markdown,
                   std::string(o.at("markdown").as_string())});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::map<std::string, std::string> render_all(const corpus_document& d) {
  const document doc = parse(d.body, d.format);
  std::map<std::string, std::string> out;
  for (const target t : all_targets) out[std::string(name_of(t))] = render(doc, t);
  return out;
}

namespace {

bool from_spec(const std::string& name) {
  return name.rfind("spec-", 0) == 0;
}

outputs outputs_of(const boost::json::value& v) {
  outputs out;
  for (const auto& [k, text] : v.as_object()) out[std::string(k)] = std::string(text.as_string());
  return out;
}

boost::json::object json_of(const outputs& o) {
  boost::json::object out;
  for (const auto& [k, text] : o) out[k] = text;
  return out;
}

void write_json(const fs::path& file, const boost::json::object& o) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << boost::json::serialize(o) << "\n";
}

}  // namespace

std::map<std::string, outputs> read_expected(const fs::path& dir) {
  std::map<std::string, outputs> all;
  if (!fs::exists(dir / "expected")) return all;
  for (const auto& entry : fs::directory_iterator(dir / "expected")) {
    const auto v = boost::json::parse(slurp(entry.path()));
    if (entry.path().filename() == "spec.json") {
      for (const auto& [name, o] : v.as_object()) all[std::string(name)] = outputs_of(o);
    } else {
      all[entry.path().stem().string()] = outputs_of(v);
    }
  }
  return all;
}

void write_expected(const fs::path& dir, const std::map<std::string, outputs>& all) {
  boost::json::object spec;
  for (const auto& [name, o] : all) {
    if (from_spec(name))
      spec[name] = json_of(o);
    else
      write_json(dir / "expected" / (name + ".json"), json_of(o));
  }
  write_json(dir / "expected" / "spec.json", spec);
}

}  // namespace notibus::format::testing
