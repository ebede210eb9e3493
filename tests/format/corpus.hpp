// The format corpus: documents under tests/format/corpus (name.md, name.html,
// name.txt) and the CommonMark specification's examples
// (commonmark_spec_examples.json: spec.txt of github.com/commonmark/commonmark-spec
// 0.31.2, CC-BY-SA 4.0, examples extracted as they are), each with the expected
// output of every renderer in tests/format/expected.
#pragma once

#include <format/render.hpp>
#include <format/split.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace notibus::format::testing {

struct corpus_document {
  std::string name;  // the file name, or "spec-N"
  source format = source::markdown;
  std::string body;
};

std::vector<corpus_document> load_corpus(const std::filesystem::path& dir);

// Every target's rendering, keyed by target name.
std::map<std::string, std::string> render_all(const corpus_document& d);

// The expected outputs of every document: expected/NAME.json for the files
// under corpus/, expected/spec.json for the specification's examples.
using outputs = std::map<std::string, std::string>;
std::map<std::string, outputs> read_expected(const std::filesystem::path& dir);
void write_expected(const std::filesystem::path& dir, const std::map<std::string, outputs>& all);

}  // namespace notibus::format::testing
