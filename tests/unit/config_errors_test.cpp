// Every bad config gets exact FILE:LINE:COL: path: message diagnostics, all at once.
#include <gtest/gtest.h>

#include <notibus/config.hpp>
#include <notibus/plugin_registry.hpp>
#include <notibus/server_settings.hpp>

#include <cstdlib>
#include <fstream>

#include "../support/fault_channel.hpp"

namespace {

struct bad_config {
  const char* name;
  const char* yaml;
  std::vector<std::string> expected;
};

// Names the case in test output instead of dumping its bytes.
void PrintTo(const bad_config& c, std::ostream* os) {
  *os << c.name;
}

std::vector<std::string> diagnostics_of(const std::string& yaml) {
  notibus::plugin_registry registry;
  registry.add(&notibus_channel_entry_fault, "test");
  try {
    // As the notibus program loads it: with its `server:` section declared.
    notibus::load_config_string(yaml, "t.yaml", registry, {{notibus::server_section()}});
  } catch (const notibus::config_error& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.to_string());
    return out;
  }
  return {};
}

const std::vector<bad_config> cases = {
    {"malformed_yaml",
     "version: 1\nchannels: [a,\n",
     {"t.yaml:3:1: invalid YAML: end of sequence flow not found"}},
    {"top_is_not_a_mapping",
     "- a\n",
     {"t.yaml:1:1: expected a mapping at the top of the file, got a sequence"}},
    {"missing_version",
     "channels: {a: {type: console}}\n",
     {"t.yaml:1:1: missing required key \"version\""}},
    {"wrong_version",
     "version: 2\nchannels: {a: {type: console}}\n",
     {"t.yaml:1:10: version: expected integer in 1..1, got \"2\""}},
    {"unknown_top_level_key",
     "version: 1\nchanels: {}\nchannels: {a: {type: console}}\n",
     {"t.yaml:2:1: chanels: unknown key \"chanels\"; did you mean \"channels\"?"}},
    {"unknown_channel_type",
     "version: 1\nchannels:\n  a: {type: fil}\n",
     {"t.yaml:3:13: channels.a.type: unknown channel type \"fil\"; did you mean \"file\"? "
      "(known: console, fault, file; and the services `notibus plugins` lists)"}},
    {"link_without_links",
     "version: 1\nchannels:\n  a: {type: console, attachments: link}\n",
     {"t.yaml:3:35: channels.a.attachments: link needs attachments.links (base_url: where "
      "notibus serve is reached, and a secret that signs the links)"}},
    {"links_half_given",
     "version: 1\nattachments:\n  links: {base_url: \"ftp://x\", secret: short}\n"
     "channels:\n  a: {type: console}\n",
     {"t.yaml:3:21: attachments.links.base_url: expected an http:// or https:// URL, got "
      "\"ftp://x\"",
      "t.yaml:3:40: attachments.links.secret: too short: at least 32 characters (it has 5)"}},
    {"missing_type",
     "version: 1\nchannels:\n  a: {path: x}\n",
     {"t.yaml:3:6: channels.a: missing required key \"type\" (or a service url)"}},
    {"misspelt_option",
     "version: 1\nchannels:\n  a: {type: file, paht: x}\n",
     {"t.yaml:3:6: channels.a: missing required key \"path\"",
      "t.yaml:3:19: channels.a.paht: unknown key \"paht\"; did you mean \"path\"?"}},
    {"integer_out_of_type",
     "version: 1\nchannels:\n  a: {type: console, max_inflight: abc}\n",
     {"t.yaml:3:36: channels.a.max_inflight: expected integer in 1..10000, got \"abc\""}},
    {"integer_out_of_range",
     "version: 1\nchannels:\n  a: {type: console, max_inflight: 0}\n",
     {"t.yaml:3:36: channels.a.max_inflight: expected integer in 1..10000, got \"0\""}},
    {"duration_without_unit",
     "version: 1\nchannels:\n  a: {type: console, timeout: 5}\n",
     {"t.yaml:3:31: channels.a.timeout: expected a duration such as 250ms, 2s, 5m or 1h, got "
      "\"5\""}},
    {"enum_with_suggestion",
     "version: 1\nchannels:\n  a:\n    type: console\n    queue: {overflow: drop}\n",
     {"t.yaml:5:23: channels.a.queue.overflow: expected one of reject, drop_oldest, got \"drop\" "
      "(did you mean \"drop_oldest\"?)"}},
    {"bad_boolean",
     "version: 1\nchannels:\n  a: {type: console, enabled: maybe}\n",
     {"t.yaml:3:31: channels.a.enabled: expected true or false, got \"maybe\""}},
    {"nested_unknown_key",
     "version: 1\nchannels:\n  a:\n    type: console\n    retry: {max_attempt: 3}\n",
     {"t.yaml:5:13: channels.a.retry.max_attempt: unknown key \"max_attempt\"; did you mean "
      "\"max_attempts\"?"}},
    {"section_is_not_a_mapping",
     "version: 1\nchannels:\n  a: {type: console, retry: 3}\n",
     {"t.yaml:3:29: channels.a.retry: expected a mapping, got \"3\""}},
    {"both_rate_units",
     "version: 1\nchannels:\n  a:\n    type: console\n    rate_limit: {per_second: 1, per_minute: "
     "5}\n",
     {"t.yaml:5:45: channels.a.rate_limit: give per_second or per_minute, not both"}},
    {"backoff_bounds_inverted",
     "version: 1\nchannels:\n  a:\n    type: console\n    retry: {initial_backoff: 2m, "
     "max_backoff: 1m}\n",
     {"t.yaml:5:47: channels.a.retry.max_backoff: must not be smaller than retry.initial_backoff"}},
    {"route_to_unknown_channel",
     "version: 1\nchannels:\n  screen: {type: console}\nroutes:\n  - to: [scren]\n",
     {"t.yaml:5:9: routes[0].to: unknown channel \"scren\"; did you mean \"screen\"?"}},
    {"route_without_to",
     "version: 1\nroutes:\n  - match: {topic: a}\nchannels: {a: {type: console}}\n",
     {"t.yaml:3:5: routes[0]: missing required key \"to\""}},
    {"route_bad_strategy",
     "version: 1\nchannels:\n  s: {type: console}\nroutes:\n  - {to: [s], strategy: fallbak}\n",
     {"t.yaml:5:25: routes[0].strategy: expected one of all, fallback, round_robin, got "
      "\"fallbak\" "
      "(did you mean \"fallback\"?)"}},
    {"route_bad_priority",
     "version: 1\nchannels:\n  s: {type: console}\nroutes:\n  - {to: [s], match: {min_priority: "
     "hi}}\n",
     {"t.yaml:5:37: routes[0].match.min_priority: expected one of min, low, normal, high, urgent, "
      "got \"hi\" (did you mean \"high\"?)"}},
    {"unset_environment_variable",
     "version: 1\nchannels:\n  a: {type: file, path: \"${NOTIBUS_TEST_UNSET}\"}\n",
     {"t.yaml:3:25: channels.a.path: environment variable NOTIBUS_TEST_UNSET is not set"}},
    {"unterminated_reference",
     "version: 1\nchannels:\n  a: {type: file, path: \"${HOME\"}\n",
     {"t.yaml:3:25: channels.a.path: unterminated \"${\" (write \"$${\" for a literal \"${\")"}},
    {"unreadable_secret_file",
     "version: 1\nchannels:\n  a: {type: file, path: \"${file:/nonexistent/secret}\"}\n",
     {"t.yaml:3:25: channels.a.path: cannot read secret file /nonexistent/secret"}},
    {"duplicate_key",
     "version: 1\nchannels:\n  a: {type: console, timeout: 1s, timeout: 2s}\n",
     {"t.yaml:3:35: channels.a.timeout: duplicate key"}},
    {"bad_channel_name",
     "version: 1\nchannels:\n  \"bad name\": {type: console}\n",
     {"t.yaml:3:3: channels.bad name: channel names use letters, digits, '_', '-' and '.' (at "
      "most 64)"}},
    {"channels_not_a_mapping",
     "version: 1\nchannels: [a]\n",
     {"t.yaml:2:11: channels: expected a mapping of channel names, got a sequence"}},
    {"routes_not_a_list",
     "version: 1\nroutes: {to: x}\nchannels: {a: {type: console}}\n",
     {"t.yaml:2:9: routes: expected a list of routes, got a mapping"}},
    {"unclosed_quote",  // yaml-cpp 0.7 would let it swallow the keys after it
     "version: 1\nchannels:\n  b:\n    type: file\n    path: \"unterminated\n  c:\n"
     "    type: console\n",
     {"t.yaml:5:11: invalid YAML: this double-quoted string is never closed (it would run to "
      "the end of the file)"}},
    {"not_utf8",
     "version: 1\nchannels:\n  a: {type: file, path: \"caf\xe9\"}\n",
     {"t.yaml:3:29: not valid UTF-8 (byte 0xE9): save the file as UTF-8"}},
    {"bad_listen",
     "version: 1\nserver: {listen: nonsense}\nchannels: {a: {type: console}}\n",
     {"t.yaml:2:18: server.listen: expected host:port (127.0.0.1:8025, [::1]:8025 or :8025 for "
      "every address), got \"nonsense\""}},
    {"no_channels",
     "version: 1\n",
     {"t.yaml:1:1: channels: no channels: nothing could be delivered (add one)"}},
    {"tls_cert_without_key",
     "version: 1\nserver: {tls: {cert: /c.pem}}\nchannels: {a: {type: console}}\n",
     {"t.yaml:2:22: server.tls.cert: tls needs both cert and key"}},
    {"missing_plugin_dir",
     "version: 1\nplugin_dirs: [/nonexistent/notibus-plugins]\nchannels: {a: {type: console}}\n",
     {"t.yaml:2:14: plugin_dirs: /nonexistent/notibus-plugins: plugin directory does not exist"}},
    {"negative_rate",
     "version: 1\nchannels:\n  a: {type: console, rate_limit: {per_second: -1}}\n",
     {"t.yaml:3:47: channels.a.rate_limit.per_second: expected number in 0..1000000, got \"-1\""}},
    {"queue_and_spool",
     "version: 1\nspool: {dir: /tmp/s}\nqueue: {servers: [nats://127.0.0.1:4222]}\n"
     "channels: {a: {type: console}}\n",
     {"t.yaml:3:8: queue: `spool` and `queue` are exclusive: accepted messages live in one place "
      "(remove one)"}},
    {"queue_url_not_nats",
     "version: 1\nqueue: {servers: [\"http://me:pa55w0rd@10.0.0.1:4222\"]}\n"
     "channels: {a: {type: console}}\n",
     {"t.yaml:2:18: queue.servers: \"http://<redacted>@10.0.0.1:4222\" is not a nats:// or tls:// "
      "URL"}},
    {"queue_misspelt_key",
     "version: 1\nqueue: {servers: [nats://n1:4222], replica: 3}\nchannels: {a: {type: console}}\n",
     {"t.yaml:2:36: queue.replica: unknown key \"replica\"; did you mean \"replicas\"?"}},
    {"queue_without_servers",
     "version: 1\nqueue: {stream: N}\nchannels: {a: {type: console}}\n",
     {"t.yaml:2:8: queue: missing required key \"servers\""}},
    {"queue_short_ack_wait",
     "version: 1\nqueue: {servers: [nats://n1:4222], ack_wait: 100ms, user: u}\n"
     "channels: {a: {type: console}}\n",
     {"t.yaml:2:46: queue.ack_wait: must be at least 1s",
      "t.yaml:2:59: queue.user: user and password go together"}},
    {"queue_bad_stream_name",
     "version: 1\nqueue: {servers: [nats://n1:4222], stream: \"a.b\"}\n"
     "channels: {a: {type: console}}\n",
     {"t.yaml:2:44: queue.stream: \"a.b\": letters, digits, _ and - only"}},
};

class config_errors : public ::testing::TestWithParam<bad_config> {};

}  // namespace

TEST_P(config_errors, are_reported_exactly) {
  EXPECT_EQ(diagnostics_of(GetParam().yaml), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(all, config_errors, ::testing::ValuesIn(cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(config_errors_all_at_once, every_problem_is_listed_in_file_order) {
  const auto d = diagnostics_of(
      "version: 1\n"
      "channels:\n"
      "  a: {type: console, timeout: soon}\n"
      "  b: {type: nope}\n"
      "routes:\n"
      "  - {to: [c]}\n");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_NE(d[0].find("t.yaml:3:"), std::string::npos);
  EXPECT_NE(d[1].find("t.yaml:4:"), std::string::npos);
  EXPECT_NE(d[2].find("t.yaml:6:"), std::string::npos);
  EXPECT_NE(d[2].find("unknown channel \"c\""), std::string::npos);
}

TEST(config_errors_secrets, expanded_and_secret_values_are_never_echoed) {
  ::setenv("NOTIBUS_TEST_SECRET", "hunter2", 1);
  const auto d = diagnostics_of(
      "version: 1\n"
      "channels:\n"
      "  a: {type: console, max_inflight: \"${NOTIBUS_TEST_SECRET}\"}\n"
      "  b: {type: fault, token: [hunter2]}\n");
  ASSERT_EQ(d.size(), 2u);
  for (const auto& line : d) EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
  EXPECT_NE(d[0].find("${NOTIBUS_TEST_SECRET}"), std::string::npos) << d[0];
  EXPECT_NE(d[1].find("expected string, got a sequence"), std::string::npos) << d[1];
}

// Issue 17, item 3: values that ${VAR} or ${file:...} filled in never reach an
// error, whoever writes it: the core, a plugin that quotes its options, a
// route check.
TEST(config_errors_secrets, a_careless_plugin_cannot_echo_expanded_or_secret_values) {
  ::setenv("NOTIBUS_TEST_LABEL", "label-from-env-42", 1);
  const auto d = diagnostics_of(
      "version: 1\n"
      "channels:\n"
      "  b: {type: fault, complain: true, label: \"x ${NOTIBUS_TEST_LABEL} y\", "
      "token: tok-secret-777}\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0],
            "t.yaml:3:43: channels.b.label: careless plugin quotes \"x <redacted> y\" and "
            "\"<redacted>\" (label is sensitive)");
}

TEST(config_errors_secrets, the_plugin_learns_which_values_were_filled_in) {
  const auto plain = diagnostics_of(
      "version: 1\nchannels:\n"
      "  b: {type: fault, complain: true, label: plain-label-1}\n");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_NE(plain[0].find("quotes \"plain-label-1\""), std::string::npos) << plain[0];
  EXPECT_NE(plain[0].find("(label is plain)"), std::string::npos) << plain[0];
}

TEST(config_errors_secrets, a_route_to_a_name_from_the_environment_does_not_quote_it) {
  ::setenv("NOTIBUS_TEST_ROUTE", "env-secret-value-123", 1);
  const auto d = diagnostics_of(
      "version: 1\n"
      "channels:\n"
      "  a: {type: fault}\n"
      "routes:\n"
      "  - {to: [\"${NOTIBUS_TEST_ROUTE}\"]}\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], "t.yaml:5:10: routes[0].to: unknown channel (a name filled in by ${...})");
}

TEST(config_errors_secrets, a_secret_file_is_never_echoed) {
  const std::string path = ::testing::TempDir() + "/notibus-secret-file";
  {
    std::ofstream out(path);
    out << "root:x:0:0:not-an-address-at-all\n";
  }
  const auto d = diagnostics_of(
      "version: 1\nchannels:\n  b: {type: fault, complain: true, label: "
      "\"${file:" +
      path + "}\"}\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].find("not-an-address"), std::string::npos) << d[0];
}

// Aliases of aliases: 600 bytes that stood for billions of nodes (18 s of CPU
// in 1.0's check), and files too large to be configs, are refused at once.
TEST(config_errors, yaml_that_costs_far_more_than_its_size_is_refused) {
  std::string laughs = "version: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c)
    laughs += std::string(1, c) + ": &" + c + " [*" + static_cast<char>(c - 1) + ", *" +
              static_cast<char>(c - 1) + ", *" + static_cast<char>(c - 1) + ", *" +
              static_cast<char>(c - 1) + ", *" + static_cast<char>(c - 1) + ", *" +
              static_cast<char>(c - 1) + ", *" + static_cast<char>(c - 1) + ", *" +
              static_cast<char>(c - 1) + ", *" + static_cast<char>(c - 1) + ", *" +
              static_cast<char>(c - 1) + "]\n";
  const auto start = std::chrono::steady_clock::now();
  const auto found = diagnostics_of(laughs);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].substr(0, 7), "t.yaml:");
  EXPECT_NE(found[0].find("more than 100000 values once aliases are expanded"), std::string::npos)
      << found[0];
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << "not bounded";

  const std::string long_text(600'000, 'y');
  std::string wide = "version: 1\na: &a \"" + long_text +
                     "\"\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n";
  EXPECT_NE(diagnostics_of(wide).at(0).find("MiB of text once aliases are expanded"),
            std::string::npos);

  std::string deep = "version: 1\na: " + std::string(100, '[') + std::string(100, ']') + "\n";
  EXPECT_NE(diagnostics_of(deep).at(0).find("nested more than 64 levels deep"), std::string::npos);

  std::string huge = "version: 1\n";
  while (huge.size() <= 1024 * 1024) huge += "# a comment that makes the file large\n";
  EXPECT_EQ(diagnostics_of(huge),
            std::vector<std::string>{"t.yaml: the file is " + std::to_string(huge.size()) +
                                     " bytes; the limit is 1024 KiB"});

  // An alias inside the node it names is a cycle: 1.0 recursed until the
  // stack overflowed (found by the config fuzzer).
  EXPECT_EQ(diagnostics_of("version: 1\na: &a [x, *a]\n"),
            std::vector<std::string>{
                "t.yaml:2:11: an alias inside the node it refers to (a cycle): refused"});
  EXPECT_EQ(diagnostics_of("version: 1\na: &a {b: {c: *a}}\n").size(), 1u);

  // Anchors and aliases as people use them stay fine.
  const auto usual = diagnostics_of(
      "version: 1\nx: &retry {max_attempts: 3}\nchannels:\n"
      "  a: {type: fault, retry: *retry}\n  b: {type: fault, retry: *retry}\n");
  ASSERT_EQ(usual.size(), 1u);
  EXPECT_NE(usual[0].find("t.yaml:2:1: x: unknown key \"x\""), std::string::npos) << usual[0];
}
