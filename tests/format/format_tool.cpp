// notibus_format_tool CORPUS_DIR [--update]: prints how many documents the
// corpus has and which differ from their expected output; --update rewrites
// the expected files (review the diff before committing it).
// notibus_format_tool --render FORMAT TARGET FILE: one document, one target.
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "corpus.hpp"

using namespace notibus::format;

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "--render") == 0) {
    std::ifstream in(argv[4], std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    const auto from = source_named(argv[2]);
    const auto to = target_named(argv[3]);
    if (!from || !to) return std::cerr << "unknown format or target\n", 2;
    std::cout << render(parse(s.str(), *from), *to) << "\n";
    return 0;
  }
  if (argc < 2) return std::cerr << "usage: notibus_format_tool CORPUS_DIR [--update]\n", 2;
  const bool update = argc > 2 && std::strcmp(argv[2], "--update") == 0;
  const auto corpus = testing::load_corpus(argv[1]);
  auto expected = testing::read_expected(argv[1]);
  int differ = 0;
  for (const auto& d : corpus) {
    auto outputs = testing::render_all(d);
    if (expected[d.name] == outputs) continue;
    ++differ;
    if (!update) std::cout << "differs: " << d.name << "\n";
    expected[d.name] = std::move(outputs);
  }
  if (update && differ) testing::write_expected(argv[1], expected);
  std::cout << corpus.size() << " documents, " << differ << (update ? " updated\n" : " differ\n");
  return 0;
}
