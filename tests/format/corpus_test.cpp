// Every corpus document renders for every target exactly as checked in.
#include <gtest/gtest.h>

#include "corpus.hpp"

namespace notibus::format::testing {
namespace {

TEST(FormatCorpus, HoldsAtLeastTwoHundredDocuments) {
  EXPECT_GE(load_corpus(NOTIBUS_FORMAT_CORPUS).size(), 200u);
}

TEST(FormatCorpus, EveryRendererGivesTheCheckedInOutput) {
  const auto expected = read_expected(NOTIBUS_FORMAT_CORPUS);
  for (const auto& d : load_corpus(NOTIBUS_FORMAT_CORPUS)) {
    const auto it = expected.find(d.name);
    ASSERT_NE(it, expected.end()) << d.name << " has no expected output: run notibus_format_tool";
    const auto outputs = render_all(d);
    for (const auto& [target, text] : outputs) {
      const auto want = it->second.find(target);
      ASSERT_NE(want, it->second.end()) << d.name << ": no expected " << target;
      EXPECT_EQ(text, want->second) << d.name << " rendered for " << target;
    }
  }
}

}  // namespace
}  // namespace notibus::format::testing
