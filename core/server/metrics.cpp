#include "metrics.hpp"

#include <cstdio>

namespace notibus::serve {
namespace {

// Label values escape backslash, double quote and newline (text format 0.0.4).
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

namespace {

// This instance's side of the shared queue, and the shared consumer's backlog
// as JetStream reports it (the same figures on every instance).
void render_queue(std::string& out, const queue_stats& q) {
  family(out, "notibus_queue_connected", "gauge", "1 while the broker is reachable.");
  out += "notibus_queue_connected " + std::string(q.connected ? "1" : "0") + "\n";
  struct figure {
    const char* name;
    const char* type;
    const char* help;
    std::uint64_t value;
  };
  const figure figures[] = {
      {"notibus_queue_accepted_total", "counter", "Messages this instance stored in the queue.",
       q.accepted},
      {"notibus_queue_duplicates_total", "counter",
       "Repeated idempotency keys answered with the first id.", q.duplicates},
      {"notibus_queue_refused_total", "counter", "Messages not stored (broker unreachable).",
       q.refused},
      {"notibus_queue_fetched_total", "counter", "Deliveries this instance took from the queue.",
       q.fetched},
      {"notibus_queue_redelivered_total", "counter",
       "Of those, ones another holder had before (taken over).", q.redelivered},
      {"notibus_queue_acked_total", "counter", "Messages this instance finished.", q.acked},
      {"notibus_queue_terminated_total", "counter", "Messages finished with a dead letter.",
       q.terminated},
      {"notibus_queue_released_total", "counter", "Messages handed back unfinished.", q.released},
      {"notibus_queue_deferred_total", "counter",
       "Messages handed back until the service's Retry-After.", q.deferred},
      {"notibus_queue_held_messages", "gauge", "Messages this instance holds (not yet final).",
       q.held},
      {"notibus_queue_consumer_pending_messages", "gauge",
       "Stored messages no instance has taken yet (the shared consumer).", q.pending},
      {"notibus_queue_consumer_ack_pending_messages", "gauge",
       "Messages taken by some instance, not yet final (the shared consumer).", q.ack_pending},
      {"notibus_queue_consumer_redelivered_messages", "gauge",
       "Messages handed out more than once (the shared consumer).", q.redelivered_total},
  };
  for (const auto& f : figures) {
    family(out, f.name, f.type, f.help);
    out += std::string(f.name) + " " + std::to_string(f.value) + "\n";
  }
}

}  // namespace

std::string render_metrics(const std::vector<channel_stats>& channels, const server_counters& s,
                           const std::optional<spool_stats>& spool,
                           const std::optional<queue_stats>& queue) {
  std::string out;
  struct counter {
    const char* name;
    const char* help;
    std::uint64_t channel_stats::*field;
  };
  static constexpr counter counters[] = {
      {"notibus_channel_published_total", "Deliveries handed to the channel.",
       &channel_stats::published},
      {"notibus_channel_delivered_total", "Deliveries the channel accepted.",
       &channel_stats::delivered},
      {"notibus_channel_failed_total", "Deliveries that failed for good.", &channel_stats::failed},
      {"notibus_channel_retried_total", "Attempts that failed and were retried.",
       &channel_stats::retried},
      {"notibus_channel_dropped_total", "Deliveries refused or evicted by a full queue.",
       &channel_stats::dropped},
  };
  for (const auto& c : counters) {
    family(out, c.name, "counter", c.help);
    for (const auto& ch : channels)
      out += std::string(c.name) + "{channel=\"" + label(ch.name) + "\"} " +
             std::to_string(ch.*c.field) + "\n";
  }
  struct gauge {
    const char* name;
    const char* help;
    std::size_t channel_stats::*field;
  };
  static constexpr gauge gauges[] = {
      {"notibus_channel_queue_depth", "Deliveries waiting in the queue.", &channel_stats::queued},
      {"notibus_channel_inflight", "Deliveries being attempted now.", &channel_stats::inflight},
      {"notibus_channel_retrying", "Deliveries waiting for a retry.", &channel_stats::retrying},
  };
  for (const auto& g : gauges) {
    family(out, g.name, "gauge", g.help);
    for (const auto& ch : channels)
      out += std::string(g.name) + "{channel=\"" + label(ch.name) + "\"} " +
             std::to_string(ch.*g.field) + "\n";
  }
  family(out, "notibus_delivery_latency_seconds", "histogram",
         "From queued to delivered, retries included.");
  for (const auto& ch : channels) {
    const std::string l = label(ch.name);
    for (std::size_t i = 0; i < ch.latency_buckets.size(); ++i)
      out += "notibus_delivery_latency_seconds_bucket{channel=\"" + l + "\",le=\"" +
             number(latency_bucket_bounds[i]) + "\"} " + std::to_string(ch.latency_buckets[i]) +
             "\n";
    out += "notibus_delivery_latency_seconds_bucket{channel=\"" + l + "\",le=\"+Inf\"} " +
           std::to_string(ch.delivered) + "\n";
    out += "notibus_delivery_latency_seconds_sum{channel=\"" + l + "\"} " +
           number(ch.latency_sum_seconds) + "\n";
    out += "notibus_delivery_latency_seconds_count{channel=\"" + l + "\"} " +
           std::to_string(ch.delivered) + "\n";
  }
  family(out, "notibus_http_requests_total", "counter", "HTTP requests served.");
  out += "notibus_http_requests_total " + std::to_string(s.requests) + "\n";
  family(out, "notibus_messages_accepted_total", "counter", "Messages accepted (202).");
  out += "notibus_messages_accepted_total " + std::to_string(s.accepted) + "\n";
  family(out, "notibus_messages_refused_total", "counter",
         "Messages refused with 503 (queues, spool or shared queue full or unreachable).");
  out += "notibus_messages_refused_total " + std::to_string(s.refused) + "\n";
  family(out, "notibus_messages_rejected_total", "counter", "Messages rejected as invalid (4xx).");
  out += "notibus_messages_rejected_total " + std::to_string(s.rejected) + "\n";
  if (spool) {
    family(out, "notibus_spool_bytes", "gauge", "Bytes in the spool's segments.");
    out += "notibus_spool_bytes " + std::to_string(spool->bytes) + "\n";
    family(out, "notibus_spool_max_bytes", "gauge", "spool.max_bytes (0: unbounded).");
    out += "notibus_spool_max_bytes " + std::to_string(spool->max_bytes) + "\n";
    family(out, "notibus_spool_fsyncs_total", "counter", "fdatasync calls by the spool.");
    out += "notibus_spool_fsyncs_total " + std::to_string(spool->fsyncs) + "\n";
    family(out, "notibus_spool_unfinished_messages", "gauge",
           "Spooled messages with a delivery not yet final.");
    out += "notibus_spool_unfinished_messages " + std::to_string(spool->unfinished) + "\n";
    family(out, "notibus_spool_dead_letters", "gauge", "Dead letters kept in the spool.");
    out += "notibus_spool_dead_letters " + std::to_string(spool->dead_letters) + "\n";
    family(out, "notibus_spool_dead_letters_dropped_total", "counter",
           "Dead letters dropped over a spool.dead_letters bound (the oldest first).");
    out += "notibus_spool_dead_letters_dropped_total " +
           std::to_string(spool->dead_letters_dropped) + "\n";
  }
  if (queue) render_queue(out, *queue);
  family(out, "notibus_config_reloads_total", "counter", "Successful config reloads (SIGHUP).");
  out += "notibus_config_reloads_total " + std::to_string(s.reloads) + "\n";
  family(out, "notibus_config_reload_failures_total", "counter", "Rejected config reloads.");
  out += "notibus_config_reload_failures_total " + std::to_string(s.reload_failures) + "\n";
  return out;
}

}  // namespace notibus::serve
