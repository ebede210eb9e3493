// Service definitions: every built-in one reads cleanly, broken ones are
// refused with FILE:LINE:COL, user definitions load from service_dirs, and
// Apprise-style URLs turn into the same options as written out.
#include <gtest/gtest.h>

#include <notibus/config.hpp>
#include <notibus/plugin_registry.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "../support/temp_dir.hpp"
#include "definition_problems.hpp"
#include "services/catalog.hpp"
#include "services/service_channel.hpp"
#include "services/service_url.hpp"

using notibus::test::modules_registry;
using notibus::test::problems_of;
using notibus::test::temp_dir;

namespace {

const char* const minimal = notibus::test::minimal_definition;

}  // namespace

TEST(service_definitions, every_built_in_one_reads_cleanly) {
  ASSERT_GE(notibus::services::builtin_definition_count, 14u);
  for (std::size_t i = 0; i < notibus::services::builtin_definition_count; ++i) {
    const auto& b = notibus::services::builtin_definitions[i];
    if (std::string_view(b.file).ends_with("url_forms.yaml")) continue;  // the test below
    EXPECT_EQ(problems_of(b.text), std::vector<std::string>{}) << b.file;
  }
  // Each built-in definition is a service the registry lists, in name order.
  notibus::plugin_registry registry;
  std::vector<std::string> names;
  for (const auto* s : registry.services()) names.push_back(s->name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names.size(), notibus::services::builtin_definition_count - 2);  // 2 url_forms.yaml
  for (const char* name : {"discord", "slack", "slack_bot", "telegram", "dingtalk", "wecom"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

TEST(service_definitions, a_minimal_one_reads) {
  EXPECT_EQ(problems_of(minimal), std::vector<std::string>{});
}

TEST(service_definitions, broken_ones_are_refused_with_line_and_column) {
  std::string text = minimal;
  text += "responses:\n  - when: {status: 200, jsn: {ok: \"true\"}}\n    outcome: delivered\n";
  EXPECT_EQ(
      problems_of(text),
      std::vector<std::string>{
          "def.yaml:9:25: responses[0].when.jsn: unknown key \"jsn\"; did you mean \"json\"?"});

  text = minimal;
  text +=
      "responses:\n  - when: {status: 200, json: {\"ok..x\": \"true\"}}\n    outcome: delivered\n";
  EXPECT_EQ(problems_of(text),
            std::vector<std::string>{"def.yaml:9:31: responses[0].when.json: "
                                     "\"ok..x\" is not a path (a.b.c, a.@attribute)"});

  text = minimal;
  text.replace(text.find("{{message.body}}"), 16, "{{message.bdy}}");
  EXPECT_EQ(problems_of(text),
            std::vector<std::string>{"def.yaml:7:16: request.json.text: unknown placeholder "
                                     "{{message.bdy}}"});

  text = minimal;
  text += "responses:\n  - when: {status: 200}\n    outcome: maybe\n";
  ASSERT_EQ(problems_of(text).size(), 1u);
  EXPECT_NE(problems_of(text)[0].find("def.yaml:10:14: responses[0].outcome: expected one of "
                                      "delivered, transient, permanent"),
            std::string::npos);

  text = minimal;
  text += "responses:\n  - when: {status: 2000}\n    outcome: delivered\n";
  EXPECT_EQ(problems_of(text)[0],
            "def.yaml:9:20: responses[0].when.status: expected a status (200), a range (500-599) "
            "or a list of them, got \"2000\"");

  EXPECT_EQ(
      problems_of("service: x\ndescription: y\nrequest: {url: \"https://a/{{options.nope}}\"}\n"),
      std::vector<std::string>{"def.yaml:3:16: request.url: unknown placeholder {{options.nope}}"});
  EXPECT_EQ(problems_of("service: x\ndescription: y\noptions:\n  timeout: {type: string, doc: d}\n"
                        "request: {url: \"https://a\"}\n"),
            std::vector<std::string>{"def.yaml:4:3: options.timeout: \"timeout\" is a key every "
                                     "service channel has already; choose another"});
}

TEST(service_definitions, files_need_a_body_a_numbered_field_and_a_count) {
  std::string text = minimal;
  text += "  files: {payload: payload_json, field: \"files[{n}]\", max_count: 10}\n";
  EXPECT_EQ(problems_of(text), std::vector<std::string>{});
  text = minimal;
  text += "  files: {payload: p, field: file, max_count: 2, types: [image/*, \"text plain\"]}\n";
  EXPECT_EQ(problems_of(text),
            (std::vector<std::string>{
                "def.yaml:8:30: request.files.field: must hold {n}, so each file's field differs",
                "def.yaml:8:57: request.files.types: \"text plain\" is not a media type "
                "(image/png, image/*)"}));
  text = minimal;
  text += "  files: {payload: p, field: file, max_count: 0}\n";
  EXPECT_EQ(problems_of(text),
            std::vector<std::string>{"def.yaml:8:47: request.files.max_count: must be 1 to 1000"});
  // A form's fields go as fields of their own: one file needs no {n}.
  const std::string form = "  form: {text: \"{{message.body}}\"}\n";
  text = minimal;
  text.replace(text.find("  json:"), std::string("  json: {text: \"{{message.body}}\"}\n").size(),
               form + "  files: {field: attachment, max_count: 1}\n");
  EXPECT_EQ(problems_of(text), std::vector<std::string>{});
  text.replace(text.find("{field: attachment"), 1, "{payload: p, ");
  EXPECT_EQ(problems_of(text),
            std::vector<std::string>{"def.yaml:8:10: request.files: payload is for a JSON body; a "
                                     "form's fields go as fields"});
}

TEST(service_definitions, upload_steps_send_the_file_and_feed_each_other) {
  const std::string two_steps = R"(uploads:
  max_count: 4
  steps:
    - url: "https://example.com/upload?name={{file.name}}"
      body: file
      capture: {id: media.id}
    - url: "https://example.com/post/{{step.id}}"
      json: {size: "{{file.size}}", kind when file.image: image}
)";
  EXPECT_EQ(problems_of(std::string(minimal) + two_steps), std::vector<std::string>{});

  std::string no_file = two_steps;
  no_file.replace(no_file.find("      body: file\n"), 17, "");
  EXPECT_EQ(problems_of(std::string(minimal) + no_file),
            std::vector<std::string>{"def.yaml:11:5: uploads.steps: no step sends the file: give "
                                     "a step body: file or a multipart field \"{{file}}\""});

  // A step sees what the steps before it captured, not its own; the text's
  // request sees no file.
  std::string own = two_steps;
  own.replace(own.find("name={{file.name}}"), 18, "name={{step.id}}");
  std::string in_request = minimal;
  in_request.replace(in_request.find("{{message.body}}"), 16, "{{file.name}}");
  EXPECT_EQ(problems_of(std::string(minimal) + own),
            std::vector<std::string>{
                "def.yaml:11:12: uploads.steps[0].url: unknown placeholder {{step.id}}"});
  EXPECT_EQ(problems_of(in_request + two_steps),
            std::vector<std::string>{
                "def.yaml:7:16: request.json.text: unknown placeholder {{file.name}}"});

  std::string two_bodies = two_steps;
  two_bodies.replace(two_bodies.find("      capture"), 0, "      form: {a: b}\n");
  EXPECT_EQ(problems_of(std::string(minimal) + two_bodies),
            std::vector<std::string>{
                "def.yaml:11:7: uploads.steps[0]: give one body: json, form, multipart or body: "
                "file"});
  std::string with_files = minimal;
  with_files += "  files: {payload: p, field: \"f{n}\", max_count: 1}\n";
  EXPECT_EQ(
      problems_of(with_files + two_steps),
      std::vector<std::string>{"def.yaml:10:3: uploads: give request.files or uploads, not both"});
}

TEST(service_definitions, user_definitions_load_from_service_dirs) {
  temp_dir d;
  std::ofstream(d.path / "demo.yaml") << minimal;
  std::ofstream(d.path / "broken.yaml") << "service: broken\ndescription: b\nrequest:\n  url: 5\n"
                                           "  jsn: {}\n";
  notibus::plugin_registry registry;
  const std::string yaml = "version: 1\nservice_dirs: [" + d.path.string() +
                           "]\nchannels:\n  a: {type: demo, token: abc}\n";
  try {
    notibus::load_config_string(yaml, "t.yaml", registry);
    FAIL() << "the broken definition must be reported";
  } catch (const notibus::config_error& e) {
    // The engine is a module this test does not load: the channel says so.
    ASSERT_EQ(e.diagnostics().size(), 2u) << e.what();
    EXPECT_EQ(e.diagnostics()[0].to_string(),
              "t.yaml:4:13: channels.a.type: \"demo\" is a service, run by the channel plugin "
              "\"service\", which is not loaded (add the folder of "
              "libnotibus-channel-service.so to plugin_dirs)");
    EXPECT_EQ(e.diagnostics()[1].to_string(),
              (d.path / "broken.yaml").string() +
                  ":5:3: request.jsn: unknown key \"jsn\"; did you mean \"json\"?");
  }
  ASSERT_NE(registry.find_service("demo"), nullptr);
  EXPECT_EQ(registry.find_service("demo")->origin, (d.path / "demo.yaml").string());
}

struct url_case {
  const char* url;
  const char* type;
  std::vector<std::pair<std::string, std::string>> options;
};

// Renaming a webhook or email option breaks this test, not a user's json://
// or mailto:// URL.
TEST(service_urls, the_plugins_url_forms_set_options_their_plugins_have) {
  auto& catalog = modules_registry().service_catalog();
  std::vector<std::string> channels;
  for (const auto& forms : catalog.channel_forms()) {
    channels.push_back(forms.channel);
    const notibus::loaded_plugin* plugin = modules_registry().find(forms.channel);
    ASSERT_NE(plugin, nullptr) << forms.channel;
    auto has = [&](const std::string& option) {
      for (std::size_t i = 0; i < plugin->table->option_count; ++i)
        if (plugin->table->options[i].key == option) return true;
      return false;
    };
    std::vector<std::string> named;
    for (const auto& form : forms.forms.urls)
      for (const auto& set : form.sets) named.push_back(set.first);
    for (const auto& q : forms.forms.query) named.push_back(q.second);
    for (const auto& d : forms.defaults) named.push_back(d.first);
    ASSERT_FALSE(named.empty());
    for (const auto& option : named) EXPECT_TRUE(has(option)) << forms.channel << ": " << option;
  }
  std::sort(channels.begin(), channels.end());
  EXPECT_EQ(channels, (std::vector<std::string>{"email", "webhook"}));
}

TEST(service_urls, a_plugins_form_without_its_plugin_says_so) {
  notibus::plugin_registry bare;  // built-in channels only, in a build with modules
  if (bare.find("webhook")) GTEST_SKIP() << "webhook is built in here";
  EXPECT_EQ(notibus::services::channel_from_url("json://h/p", bare.service_catalog()).error,
            "json:// is the webhook channel, which is not loaded (add its module's folder to "
            "plugin_dirs)");
}

TEST(service_urls, every_form_gives_the_options_written_out) {
  auto& catalog = modules_registry().service_catalog();
  const std::vector<url_case> cases = {
      {"tgram://123456:ABC-def/-100200?thread=7&silent=yes",
       "telegram",
       {{"bot_token", "123456:ABC-def"},
        {"chat_id", "-100200"},
        {"thread_id", "7"},
        {"silent", "yes"}}},
      {"slack://T1/B2/C3?channel=%23ops",
       "slack",
       {{"webhook_url", "https://hooks.slack.com/services/T1/B2/C3"}, {"channel", "#ops"}}},
      {"slack://bot@T1/B2/C3",
       "slack",
       {{"webhook_url", "https://hooks.slack.com/services/T1/B2/C3"}, {"username", "bot"}}},
      {"discord://123/tok-en",
       "discord",
       {{"webhook_url", "https://discord.com/api/webhooks/123/tok-en"}}},
      {"ntfy://alerts", "ntfy", {{"topic", "alerts"}}},
      {"ntfys://ntfy.example.com:8443/alerts?token=tk_1",
       "ntfy",
       {{"server", "https://ntfy.example.com:8443"}, {"topic", "alerts"}, {"token", "tk_1"}}},
      {"ntfy://u:p%40ss@host/t",
       "ntfy",
       {{"server", "http://host"}, {"topic", "t"}, {"username", "u"}, {"password", "p@ss"}}},
      {"gotifys://gotify.example.com/AppTok",
       "gotify",
       {{"server", "https://gotify.example.com"}, {"app_token", "AppTok"}}},
      {"pover://userkey@apptoken/phone?sound=siren",
       "pushover",
       {{"user_key", "userkey"},
        {"app_token", "apptoken"},
        {"device", "phone"},
        {"sound", "siren"}}},
      {"mmosts://chat.example.com/abc123",
       "mattermost",
       {{"webhook_url", "https://chat.example.com/hooks/abc123"}}},
      {"rockets://id1/tok2@chat.example.com",
       "rocketchat",
       {{"webhook_url", "https://chat.example.com/hooks/id1/tok2"}}},
      {"gchat://AAA/key1/tok1",
       "googlechat",
       {{"webhook_url", "https://chat.googleapis.com/v1/spaces/AAA/messages?key=key1&token=tok1"}}},
      {"pagerduty://rk@apikey/db1/disk",
       "pagerduty",
       {{"routing_key", "rk"}, {"api_key", "apikey"}, {"source", "db1"}, {"component", "disk"}}},
      {"pagerduty://rk", "pagerduty", {{"routing_key", "rk"}}},
      {"matrixs://syt_tok@matrix.example.org/!room:example.org",
       "matrix",
       {{"homeserver", "https://matrix.example.org"},
        {"access_token", "syt_tok"},
        {"room_id", "!room:example.org"}}},
      {"zulip://bot@example.com:key1@zulip.example.com/general/alerts",
       "zulip",
       {{"site", "https://zulip.example.com"},
        {"bot_email", "bot@example.com"},
        {"api_key", "key1"},
        {"stream", "general"},
        {"topic", "alerts"}}},
      {"twilio://AC1:tok@+15550001111/+15550002222/+15550003333",
       "twilio",
       {{"account_sid", "AC1"},
        {"auth_token", "tok"},
        {"from", "+15550001111"},
        {"to", "+15550002222"},
        {"to", "+15550003333"}}},
      {"json://hooks.example.com:8080/notify",
       "webhook",
       {{"url", "http://hooks.example.com:8080/notify"}}},
      {"jsons://hooks.example.com/notify",
       "webhook",
       {{"url", "https://hooks.example.com/notify"}}},
      // The address and query as written: nothing decoded on the way.
      {"json://h:1/a%20b/c?x=1&y=%2F", "webhook", {{"url", "http://h:1/a%20b/c?x=1&y=%2F"}}},
      {"mailtos://smtp.example.com:465?to=a@example.com,b@example.com&from=c@example.com",
       "email",
       {{"host", "smtp.example.com"},
        {"port", "465"},
        {"tls", "implicit"},
        {"to", "a@example.com"},
        {"to", "b@example.com"},
        {"from", "c@example.com"}}},
      {"mailto://me%40example.com@smtp.example.com",
       "email",
       {{"host", "smtp.example.com"},
        {"tls", "starttls"},
        {"username", "me@example.com"},
        {"from", "me@example.com"},
        {"to", "me@example.com"}}},
      {"mailto://alerts%40example.com:pw@smtp.example.com:587?to=ops@example.com,b@example.com",
       "email",
       {{"host", "smtp.example.com"},
        {"port", "587"},
        {"tls", "starttls"},
        {"username", "alerts@example.com"},
        {"password", "pw"},
        {"to", "ops@example.com"},
        {"to", "b@example.com"},
        {"from", "alerts@example.com"}}},
      {"o365://alerts@example.com/tenant-1/app-1/s3cret/ops@example.com/dba@example.com",
       "office365",
       {{"from", "alerts@example.com"},
        {"tenant", "tenant-1"},
        {"client_id", "app-1"},
        {"client_secret", "s3cret"},
        {"to", "ops@example.com"},
        {"to", "dba@example.com"}}},
      {"bluesky://ops.example.com@abcd-efgh-ijkl-mnop",
       "bluesky",
       {{"handle", "ops.example.com"}, {"app_password", "abcd-efgh-ijkl-mnop"}}},
      // A topic is #NAME, as Apprise writes it, raw or percent-encoded.
      {"fcm://project-1/dev-a/%23news/#ops?client_email=sa%40p.iam.gserviceaccount.com&"
       "private_key=K",
       "fcm",
       {{"project", "project-1"},
        {"targets", "dev-a"},
        {"targets", "#news"},
        {"targets", "#ops"},
        {"client_email", "sa@p.iam.gserviceaccount.com"},
        {"private_key", "K"}}},
  };
  for (const auto& c : cases) {
    const auto got = notibus::services::channel_from_url(c.url, catalog);
    EXPECT_EQ(got.error, "") << c.url;
    EXPECT_EQ(got.type, c.type) << c.url;
    auto sorted = [](auto v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    EXPECT_EQ(sorted(got.options), sorted(c.options)) << c.url;
  }
}

TEST(service_urls, an_unknown_or_malformed_url_names_the_expected_form_not_the_url) {
  notibus::plugin_registry registry;
  auto& catalog = registry.service_catalog();
  auto error = notibus::services::channel_from_url("tgram://only-a-token-s3cr3t", catalog).error;
  EXPECT_EQ(error, "a tgram:// URL is written tgram://{bot_token}/{chat_id}");
  error = notibus::services::channel_from_url("nope://x/y", catalog).error;
  EXPECT_EQ(error.rfind("unknown URL scheme \"nope\" (known: ", 0), 0u) << error;
  EXPECT_NE(error.find(" discord, "), std::string::npos) << error;
  EXPECT_NE(error.find(" gotify, gotifys, "), std::string::npos) << error;
  error = notibus::services::channel_from_url("discord://1/2?colour=red", catalog).error;
  EXPECT_EQ(error, "unknown discord:// parameter \"colour\" (known: avatar_url, username, embeds)");
}

// 1.0 expanded aliases into a definition's JSON body: 579 bytes took 1.96 GB.
TEST(service_definitions, aliases_that_expand_past_the_bounds_are_refused) {
  std::string def = std::string(minimal) + "x0: &x0 [\"" + std::string(100, 'z') + "\"]\n";
  for (int i = 1; i <= 8; ++i) {
    const std::string prev = "*x" + std::to_string(i - 1);
    def += "x" + std::to_string(i) + ": &x" + std::to_string(i) + " [" + prev + ", " + prev + ", " +
           prev + ", " + prev + ", " + prev + ", " + prev + ", " + prev + ", " + prev + "]\n";
  }
  const auto problems = problems_of(def);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("once aliases are expanded: refused"), std::string::npos)
      << problems[0];
}

// A URL part that sets no option would be dropped without a word (1.0's
// pagerduty.yaml dropped {api_key}).
TEST(service_definitions, a_url_capture_that_sets_no_option_is_refused) {
  std::string def = std::string(minimal) + "urls:\n  - form: \"demo://{token}@{stray}\"\n";
  EXPECT_EQ(problems_of(def),
            std::vector<std::string>{"def.yaml:9:11: urls[0].form: {stray} sets no option: name "
                                     "it after one, or use it in options:"});
}

// The top-level failure text is `default_error` (a rule's `error:` reads the
// same); `error`, its 1.0 name, is still read, but not beside it.
TEST(service_definitions, default_error_and_its_old_name) {
  const std::string text = "\"{{response.message}}\"\n";
  EXPECT_EQ(problems_of(std::string(minimal) + "default_error: " + text),
            std::vector<std::string>{});
  EXPECT_EQ(problems_of(std::string(minimal) + "error: " + text), std::vector<std::string>{});
  EXPECT_EQ(problems_of(std::string(minimal) + "default_error: " + text + "error: " + text),
            std::vector<std::string>{"def.yaml:9:8: error: error is the 1.0 name of "
                                     "default_error: keep one of them (default_error)"});
}

TEST(service_definitions, option_names_of_every_channel_and_of_the_engine_are_refused) {
  const notibus::loaded_plugin* engine = modules_registry().find(notibus::service_engine_name);
  ASSERT_NE(engine, nullptr);
  std::set<std::string> names;  // "pool.max_connections" takes "pool"
  auto take = [&](std::string_view key) { names.emplace(key.substr(0, key.find('.'))); };
  for (std::size_t i = 0; i < engine->table->option_count; ++i) take(engine->table->options[i].key);
  ASSERT_TRUE(names.count("definition"));
  ASSERT_TRUE(names.count("max_response_body"));
  for (const auto& o : notibus::common_channel_options()) take(o.key);
  ASSERT_TRUE(names.count("pool"));
  ASSERT_TRUE(names.count("retry"));
  for (const auto& name : names) {
    const auto problems = problems_of("service: x\ndescription: y\noptions:\n  " + name +
                                      ": {type: string, doc: d}\nrequest: {url: \"https://a\"}\n");
    ASSERT_EQ(problems.size(), 1u) << name;
    EXPECT_EQ(problems[0], "def.yaml:4:3: options." + name + ": \"" + name +
                               "\" is a key every service channel has already; choose another");
  }
  // Names of no channel's key are the definition's to take.
  EXPECT_EQ(problems_of("service: x\ndescription: y\noptions:\n  pool_size: {type: string, doc: "
                        "d}\nrequest: {url: \"https://a\"}\n"),
            std::vector<std::string>{});
}
