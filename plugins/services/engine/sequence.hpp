// The state of a message's requests that go one after the other (a split
// text, a file's upload steps), for the service engine's channel.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <memory>
#include <string>
#include <vector>

#include "../../common/http/client.hpp"
#include "recipient_memory.hpp"
#include "request_renderer.hpp"
#include "token_cache.hpp"

namespace notibus::services {

// Requests that go one after the other: the text's (a split text's parts
// in order), then each file's upload steps (uploads), a step's captures
// feeding the next. A retry resumes at the first text part or file not
// delivered; a file whose steps stopped half-way starts over.
struct sequence {
  sequence(const sdk::message_view& message, std::vector<http::request> t, std::size_t f,
           sdk::completion d)
      : id(message.id()),
        copy(std::make_unique<sdk::message_copy>(message)),
        m(copy->view()),
        texts(std::move(t)),
        files(f),
        done(std::move(d)) {}
  std::string id;
  // The host lends the message only until send() returns; the steps are
  // rendered later, from this copy (its files stay valid until `done`).
  std::unique_ptr<sdk::message_copy> copy;
  sdk::message_view m;
  std::vector<http::request> texts;
  std::size_t files;
  sdk::completion done;
  std::string note;
  recipient_memory::state state;  // delivered: "t<N>" text parts, "f<N>" files
  std::size_t unit = 0;           // texts first, then files
  std::size_t step = 0;           // of the current file's upload
  captured_values captured;
  token_cache::values token;  // the latest the service took

  std::string key() const {
    return unit < texts.size() ? "t" + std::to_string(unit)
                               : "f" + std::to_string(unit - texts.size());
  }
  // Where an error happened, for the report.
  std::string where(std::size_t steps) const {
    if (unit < texts.size())
      return texts.size() == 1 ? ""
                               : "part " + std::to_string(unit + 1) + " of " +
                                     std::to_string(texts.size()) + ": ";
    const auto name = m.attachments().at(unit - texts.size()).name;
    return "file " + std::string(name) +
           (steps > 1 ? " (step " + std::to_string(step + 1) + " of " + std::to_string(steps) + ")"
                      : "") +
           ": ";
  }
};

}  // namespace notibus::services
