#include "metrics.hpp"

#include <cstdio>
#include <initializer_list>

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

// One kind of metric each: a figure with one sample, a figure per channel,
// the latency histogram.
struct figure {
  const char* name;
  const char* type;  // counter, gauge
  const char* help;
  std::uint64_t value;
};

void render_figures(std::string& out, std::initializer_list<figure> figures) {
  for (const auto& f : figures) {
    family(out, f.name, f.type, f.help);
    out += std::string(f.name) + " " + std::to_string(f.value) + "\n";
  }
}

template <class T>
void render_per_channel(std::string& out, const char* name, const char* type, const char* help,
                        const std::vector<channel_stats>& channels, T channel_stats::*field) {
  family(out, name, type, help);
  for (const auto& ch : channels)
    out += std::string(name) + "{channel=\"" + label(ch.name) + "\"} " + std::to_string(ch.*field) +
           "\n";
}

void render_latency(std::string& out, const std::vector<channel_stats>& channels) {
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
}

void render_channels(std::string& out, const std::vector<channel_stats>& channels) {
  render_per_channel(out, "notibus_channel_published_total", "counter",
                     "Deliveries handed to the channel.", channels, &channel_stats::published);
  render_per_channel(out, "notibus_channel_delivered_total", "counter",
                     "Deliveries the channel accepted.", channels, &channel_stats::delivered);
  render_per_channel(out, "notibus_channel_failed_total", "counter",
                     "Deliveries that failed for good.", channels, &channel_stats::failed);
  render_per_channel(out, "notibus_channel_retried_total", "counter",
                     "Attempts that failed and were retried.", channels, &channel_stats::retried);
  render_per_channel(out, "notibus_channel_dropped_total", "counter",
                     "Deliveries refused or evicted by a full queue.", channels,
                     &channel_stats::dropped);
  render_per_channel(out, "notibus_channel_queue_depth", "gauge",
                     "Deliveries waiting in the queue.", channels, &channel_stats::queued);
  render_per_channel(out, "notibus_channel_inflight", "gauge", "Deliveries being attempted now.",
                     channels, &channel_stats::inflight);
  render_per_channel(out, "notibus_channel_retrying", "gauge", "Deliveries waiting for a retry.",
                     channels, &channel_stats::retrying);
  render_latency(out, channels);
}

void render_spool(std::string& out, const spool_stats& s) {
  render_figures(
      out,
      {{"notibus_spool_bytes", "gauge", "Bytes in the spool's segments.", s.bytes},
       {"notibus_spool_max_bytes", "gauge", "spool.max_bytes (0: unbounded).", s.max_bytes},
       {"notibus_spool_fsyncs_total", "counter", "fdatasync calls by the spool.", s.fsyncs},
       {"notibus_spool_unfinished_messages", "gauge",
        "Spooled messages with a delivery not yet final.", s.unfinished},
       {"notibus_spool_dead_letters", "gauge", "Dead letters kept in the spool.", s.dead_letters},
       {"notibus_spool_dead_letters_dropped_total", "counter",
        "Dead letters dropped over a spool.dead_letters bound (the oldest first).",
        s.dead_letters_dropped}});
}

// This instance's side of the shared queue, and the shared consumer's backlog
// as JetStream reports it (the same figures on every instance).
void render_queue(std::string& out, const queue_stats& q) {
  family(out, "notibus_queue_connected", "gauge", "1 while the broker is reachable.");
  out += "notibus_queue_connected " + std::string(q.connected ? "1" : "0") + "\n";
  render_figures(
      out,
      {
          {"notibus_queue_accepted_total", "counter", "Messages this instance stored in the queue.",
           q.accepted},
          {"notibus_queue_duplicates_total", "counter",
           "Repeated idempotency keys answered with the first id.", q.duplicates},
          {"notibus_queue_refused_total", "counter", "Messages not stored (broker unreachable).",
           q.refused},
          {"notibus_queue_fetched_total", "counter",
           "Deliveries this instance took from the queue.", q.fetched},
          {"notibus_queue_redelivered_total", "counter",
           "Of those, ones another holder had before (taken over).", q.redelivered},
          {"notibus_queue_acked_total", "counter", "Messages this instance finished.", q.acked},
          {"notibus_queue_terminated_total", "counter", "Messages finished with a dead letter.",
           q.terminated},
          {"notibus_queue_released_total", "counter", "Messages handed back unfinished.",
           q.released},
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
      });
}

}  // namespace

std::string render_metrics(const std::vector<channel_stats>& channels, const server_counters& s,
                           const std::optional<spool_stats>& spool,
                           const std::optional<queue_stats>& queue) {
  std::string out;
  render_channels(out, channels);
  render_figures(
      out, {{"notibus_http_requests_total", "counter", "HTTP requests served.", s.requests},
            {"notibus_messages_accepted_total", "counter", "Messages accepted (202).", s.accepted},
            {"notibus_messages_refused_total", "counter",
             "Messages refused with 503 (queues, spool or shared queue full or unreachable).",
             s.refused},
            {"notibus_messages_rejected_total", "counter", "Messages rejected as invalid (4xx).",
             s.rejected}});
  if (spool) render_spool(out, *spool);
  if (queue) render_queue(out, *queue);
  render_figures(out, {{"notibus_config_reloads_total", "counter",
                        "Successful config reloads (SIGHUP).", s.reloads},
                       {"notibus_config_reload_failures_total", "counter",
                        "Rejected config reloads.", s.reload_failures}});
  return out;
}

}  // namespace notibus::serve
