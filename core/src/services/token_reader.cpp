// The definition reader's `token` section: a request that obtains a token
// before the service's own (OAuth2 client credentials, a service-account JWT,
// a session login), what of its answer is kept ({{token.NAME}}), how long,
// and which answers of the service mean the token was refused.
#include <notibus/plugin/text.hpp>

#include "definition_reader.hpp"

namespace notibus::services {
namespace {

const std::vector<option_spec>& token_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("expires_in", NOTIBUS_OPTION_STRING,
                     "A JSON path of the answer: the token's lifetime in seconds."),
      definition_key("lifetime", NOTIBUS_OPTION_INT,
                     "Seconds a token is kept when the answer does not say (default 3600)."),
  };
  return specs;
}

const std::vector<option_spec>& token_request_schema() {
  static const std::vector<option_spec> specs = [] {
    auto keys = request_keys();
    keys.push_back(definition_key("capture", NOTIBUS_OPTION_STRING_MAP,
                                  "NAME -> a JSON path of the answer, for {{token.NAME}}.", true));
    return keys;
  }();
  return specs;
}

const std::vector<option_spec>& jwt_schema() {
  static const std::vector<option_spec> specs = {
      definition_key("algorithm", NOTIBUS_OPTION_ENUM, "How it is signed.", false, {"RS256"}),
      definition_key("key", NOTIBUS_OPTION_STRING, "The PEM private key (a template).", true),
      definition_key("claims", NOTIBUS_OPTION_STRING_MAP,
                     "Claim -> template (iss, scope, aud...); iat and exp are added.", true),
      definition_key("lifetime", NOTIBUS_OPTION_INT,
                     "Seconds from iat to exp (default 3600, at most 86400)."),
  };
  return specs;
}

constexpr std::int64_t max_lifetime = 366 * 86400;

}  // namespace

void definition_reader::read_token(const YAML::Node& node) {
  if (!node.IsMap()) {
    sink_.add(node.Mark(), "token", "expected a mapping, got " + describe_node(node, false));
    return;
  }
  section_values s =
      validate_section(node, token_schema(), "token", sink_, {"request", "jwt", "refresh"}, false);
  json_.key("token").begin_object();
  if (node["jwt"]) read_jwt(node["jwt"]);  // first: {{jwt}} is known in the request after it
  if (!node["request"])
    sink_.add(node.Mark(), "token", "missing required key \"request\"");
  else
    read_token_request(node["request"]);
  const std::string expires_in = value(s, "expires_in");
  if (!expires_in.empty() && !valid_json_path(expires_in))
    sink_.add(s.mark_of("expires_in"), "token.expires_in",
              "\"" + sdk::json_escape(expires_in) + "\" is not a JSON path (a.b.c)");
  json_.key("expires_in").string(expires_in);
  const auto* lifetime = get<std::int64_t>(s, "lifetime");
  if (lifetime && (*lifetime < 10 || *lifetime > max_lifetime))
    sink_.add(s.mark_of("lifetime"), "token.lifetime", "must be 10 to 31622400 seconds");
  json_.key("lifetime").number(lifetime ? *lifetime : 3600);
  read_refresh(node["refresh"]);
  json_.end_object();
  jwt_ = false;
}

void definition_reader::read_token_request(const YAML::Node& node) {
  if (!node.IsMap()) {
    sink_.add(node.Mark(), "token.request",
              "expected a request, got " + describe_node(node, false));
    return;
  }
  section_values s = validate_section(node, token_request_schema(), "token.request", sink_,
                                      {"auth", "json", "form", "responses", "sign"}, false);
  json_.key("request").begin_object();
  read_request_fields(node, s, "token.request", scope::token);
  signs_ = false;
  if (node["responses"]) read_responses(node["responses"], "token.request.responses");
  if (const located_value* c = s.find("capture")) {
    const auto names = read_captures(*c, "token.request.capture");
    token_values_.insert(names.begin(), names.end());
  }
  json_.end_object();
}

void definition_reader::read_jwt(const YAML::Node& node) {
  section_values s = validate_section(node, jwt_schema(), "token.jwt", sink_, {}, false);
  json_.key("jwt").begin_object();
  if (const located_value* key = s.find("key"))
    json_.key("key").string(checked_template(*key, "token.jwt.key", scope::token));
  json_.key("claims").begin_object();
  if (const located_value* claims = s.find("claims"))
    for (const auto& [name, t] :
         std::get<std::vector<std::pair<std::string, std::string>>>(claims->value)) {
      if (name == "iat" || name == "exp")
        sink_.add(claims->mark, "token.jwt.claims." + name,
                  "is added by the engine from the time and lifetime");
      std::string error;
      if (!service_template::parse(
              t, [&](std::string_view n) { return known(n, scope::token); }, error))
        sink_.add(claims->mark, "token.jwt.claims." + name, error);
      json_.key(name).string(t);
    }
  json_.end_object();
  const auto* lifetime = get<std::int64_t>(s, "lifetime");
  if (lifetime && (*lifetime < 60 || *lifetime > 86400))
    sink_.add(s.mark_of("lifetime"), "token.jwt.lifetime", "must be 60 to 86400 seconds");
  json_.key("lifetime").number(lifetime ? *lifetime : 3600);
  json_.end_object();
  jwt_ = true;
}

// `refresh`: the service's answers that mean its token was refused: the
// token is fetched again and the request sent once more. Default: a 401.
void definition_reader::read_refresh(const YAML::Node& node) {
  json_.key("refresh").begin_array();
  if (!node) {
    json_.begin_object().key("outcome").string("transient");
    json_.key("status").begin_array().begin_array().raw("401").raw("401").end_array().end_array();
    json_.end_object();
  } else if (!node.IsSequence()) {
    sink_.add(node.Mark(), "token.refresh",
              "expected a list of answers ({status: 401}, {json: {error: ExpiredToken}})");
  } else {
    for (std::size_t i = 0; i < node.size(); ++i) {
      json_.begin_object().key("outcome").string("transient");
      read_when(node[i], node, "token.refresh[" + std::to_string(i) + "]");
      json_.end_object();
    }
  }
  json_.end_array();
}

}  // namespace notibus::services
