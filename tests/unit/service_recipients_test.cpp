// `request.recipient_kinds`: a for_each list's items told apart by prefix
// (FCM's device tokens and #topics), checked when the definition is read.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "definition_problems.hpp"

using notibus::test::problems_of;

namespace {

const char* const minimal = notibus::test::minimal_definition;

}  // namespace

TEST(service_definitions, recipient_kinds_need_for_each_distinct_prefixes_and_known_names) {
  const std::string list_option = "  to: {type: list, required: true, doc: Where.}\n";
  std::string text = minimal;
  text.insert(text.find("request:"), list_option);
  text.replace(text.find("  json: {text: \"{{message.body}}\"}"),
               std::string("  json: {text: \"{{message.body}}\"}").size(),
               "  for_each: to\n  recipient_kinds: {topic: \"#\", device: \"\"}\n"
               "  json: {token: \"{{recipient.device}}\", topic: \"{{recipient.topic}}\"}");
  EXPECT_EQ(problems_of(text), std::vector<std::string>{});
  std::string same = text;
  same.replace(same.find("device: \"\""), std::string("device: \"\"").size(), "tag: \"#\"");
  same.replace(same.find("recipient.device"), std::string("recipient.device").size(),
               "recipient.phone");
  EXPECT_EQ(problems_of(same),
            (std::vector<std::string>{
                "def.yaml:9:20: request.recipient_kinds.tag: the prefix \"#\" names another "
                "kind already",
                "def.yaml:10:17: request.json.token: unknown placeholder {{recipient.phone}}"}));
  std::string alone = minimal;
  alone.insert(alone.find("  json:"), "  recipient_kinds: {topic: \"#\"}\n");
  EXPECT_EQ(problems_of(alone),
            std::vector<std::string>{"def.yaml:7:20: request.recipient_kinds: needs "
                                     "request.for_each: kinds of its items"});
}
