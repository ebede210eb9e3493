// Publishes to an MQTT broker through Eclipse Paho's asynchronous C client
// (MQTT 3.1.1, over TCP or TLS). Paho runs its own threads: nothing here
// blocks the core's, and a delivery is finished on Paho's thread when the
// broker confirms it (QoS 1: PUBACK, QoS 2: PUBCOMP; QoS 0 when written).
// One connection per channel, opened on the first message and again on the
// first message after it was lost; messages wait for it at most `timeout`,
// as do confirmations.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http/client.hpp"  // tls_settings

namespace notibus::mqtt {

struct client_settings {
  std::string server_uri;  // tcp://host:port or ssl://host:port (Paho's names)
  std::string client_id;
  std::string username;
  std::string password;
  bool tls = false;
  http::tls_settings tls_files;  // ca_file empty: the system's trust store
  std::chrono::seconds keepalive{30};
  std::chrono::milliseconds timeout{30000};  // connecting; a confirmation
};

struct publication {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
};

class mqtt_client {
 public:
  explicit mqtt_client(client_settings settings);  // throws when Paho refuses the settings
  ~mqtt_client();  // disconnects; deliveries still waiting are reported transient
  mqtt_client(const mqtt_client&) = delete;
  mqtt_client& operator=(const mqtt_client&) = delete;

  // Thread-safe; `done` runs exactly once, on Paho's thread or the caller's.
  void publish(publication p, std::function<void(sdk::outcome)> done);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace notibus::mqtt
