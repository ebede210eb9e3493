#include "mqtt_client.hpp"

#include <MQTTAsync.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace notibus::mqtt {
namespace {

using clock = std::chrono::steady_clock;
using done_fn = std::function<void(sdk::outcome)>;

std::string seconds_text(std::chrono::milliseconds d) {
  return std::to_string(std::max<long long>(1, (d.count() + 999) / 1000)) + " s";
}

// MQTT 3.1.1's CONNACK refusals (section 3.2.2.3): a wrong login or a client
// the broker does not authorize will not heal by trying again.
sdk::outcome connect_failure(const MQTTAsync_failureData* f) {
  const int code = f ? f->code : MQTTASYNC_FAILURE;
  const std::string said = f && f->message ? std::string(": ") + f->message : "";
  switch (code) {
    case 4:
      return sdk::outcome::permanent("the broker refused the login: bad user name or password");
    case 5:
      return sdk::outcome::permanent(
          "the broker refused the connection: not authorized (check username and password)");
    case 1:
    case 2:
      return sdk::outcome::permanent("the broker refused the connection (CONNACK " +
                                     std::to_string(code) + ")" + said);
    case 3:
      return sdk::outcome::transient("the broker is unavailable (CONNACK 3)");
    default:
      return sdk::outcome::transient(
          "cannot connect to the broker: " + std::string(MQTTAsync_strerror(code)) + said);
  }
}

void init_paho_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    MQTTAsync_init_options o = MQTTAsync_init_options_initializer;
    o.do_openssl_init = 0;  // OpenSSL 3 initializes itself; notibus uses it too
    MQTTAsync_global_init(&o);
  });
}

}  // namespace

struct mqtt_client::impl {
  enum class link { down, connecting, up };
  struct waiting {
    publication p;
    done_fn done;
    clock::time_point deadline;
  };
  // A publication Paho has: the context of its callbacks. Freed by the
  // callback (or when the client is gone), so a late callback never finds
  // a freed ticket; `answered` once the delivery was reported (timed out).
  struct ticket {
    impl* owner;
    done_fn done;
    clock::time_point deadline;
    bool answered = false;
  };

  client_settings settings;
  MQTTAsync handle = nullptr;
  std::mutex mutex;
  std::condition_variable wake;
  link state = link::down;
  std::deque<waiting> queue;  // for the connection
  std::set<ticket*> in_flight;
  bool stopping = false;
  bool disconnected = false;
  std::string tls_error;  // OpenSSL's reason for the last failed handshake
  std::thread sweeper;
  bool sweeper_idle = false;  // waiting with no deadline (see sweep)

  explicit impl(client_settings s) : settings(std::move(s)) {
    init_paho_once();
    MQTTAsync_createOptions o = MQTTAsync_createOptions_initializer;
    o.MQTTVersion = MQTTVERSION_3_1_1;
    int rc = MQTTAsync_createWithOptions(&handle, settings.server_uri.c_str(),
                                         settings.client_id.c_str(), MQTTCLIENT_PERSISTENCE_NONE,
                                         nullptr, &o);
    if (rc == MQTTASYNC_SUCCESS)
      rc = MQTTAsync_setCallbacks(handle, this, &impl::on_connection_lost, &impl::on_message,
                                  nullptr);
    if (rc != MQTTASYNC_SUCCESS) {
      if (handle) MQTTAsync_destroy(&handle);
      throw std::runtime_error(std::string("MQTT client: ") + MQTTAsync_strerror(rc));
    }
    sweeper = std::thread([this] { sweep(); });
  }

  ~impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    sweeper.join();
    disconnect();
    MQTTAsync_destroy(&handle);
    std::vector<done_fn> left;
    {
      std::lock_guard lock(mutex);
      for (ticket* t : in_flight) {
        if (!t->answered) left.push_back(std::move(t->done));
        delete t;
      }
      in_flight.clear();
      for (auto& w : queue) left.push_back(std::move(w.done));
      queue.clear();
    }
    for (auto& done : left)
      done(sdk::outcome::transient("the channel closed before the broker confirmed"));
  }

  // Waits (a second at most) for the broker to take the DISCONNECT, so no
  // callback of this client runs once it is destroyed.
  void disconnect() {
    MQTTAsync_disconnectOptions o = MQTTAsync_disconnectOptions_initializer;
    o.timeout = 1000;
    o.context = this;
    o.onSuccess = [](void* ctx, MQTTAsync_successData*) {
      static_cast<impl*>(ctx)->disconnect_done();
    };
    o.onFailure = [](void* ctx, MQTTAsync_failureData*) {
      static_cast<impl*>(ctx)->disconnect_done();
    };
    if (MQTTAsync_disconnect(handle, &o) != MQTTASYNC_SUCCESS) return;
    std::unique_lock lock(mutex);
    wake.wait_for(lock, std::chrono::seconds(2), [this] { return disconnected; });
  }
  void disconnect_done() {
    {
      std::lock_guard lock(mutex);
      disconnected = true;
    }
    wake.notify_all();
  }

  void publish(publication p, done_fn done) {
    std::unique_lock lock(mutex);
    if (state == link::up) {
      lock.unlock();
      return send_now(std::move(p), std::move(done), clock::now() + settings.timeout);
    }
    queue.push_back({std::move(p), std::move(done), clock::now() + settings.timeout});
    wake_idle_sweeper_locked();
    if (state == link::connecting) return;
    state = link::connecting;
    lock.unlock();
    connect();
  }

  void connect() {
    MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer;
    o.keepAliveInterval = static_cast<int>(settings.keepalive.count());
    o.cleansession = 1;
    o.connectTimeout = static_cast<int>(std::max<long long>(1, settings.timeout.count() / 1000));
    o.MQTTVersion = MQTTVERSION_3_1_1;
    if (!settings.username.empty()) o.username = settings.username.c_str();
    if (!settings.password.empty()) o.password = settings.password.c_str();
    o.onSuccess = [](void* ctx, MQTTAsync_successData*) { static_cast<impl*>(ctx)->connected(); };
    o.onFailure = [](void* ctx, MQTTAsync_failureData* f) {
      auto* self = static_cast<impl*>(ctx);
      sdk::outcome why = connect_failure(f);
      std::lock_guard lock(self->mutex);
      if (!self->tls_error.empty()) why.error += " (" + std::exchange(self->tls_error, {}) + ")";
      self->connect_failed_locked(std::move(why));
    };
    o.context = this;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    if (settings.tls) {
      const http::tls_settings& files = settings.tls_files;
      if (!files.ca_file.empty()) ssl.trustStore = files.ca_file.c_str();
      if (!files.client_cert.empty()) ssl.keyStore = files.client_cert.c_str();
      if (!files.client_key.empty()) ssl.privateKey = files.client_key.c_str();
      ssl.enableServerCertAuth = files.insecure_skip_verify ? 0 : 1;
      ssl.verify = files.insecure_skip_verify ? 0 : 1;  // the certificate names the host
      ssl.sslVersion = MQTT_SSL_VERSION_TLS_1_2;        // and later: nothing older
      ssl.ssl_error_cb = &impl::on_tls_error;
      ssl.ssl_error_context = this;
      o.ssl = &ssl;
    }
    const int rc = MQTTAsync_connect(handle, &o);
    if (rc != MQTTASYNC_SUCCESS)
      connect_failed(sdk::outcome::transient(std::string("cannot connect to the broker: ") +
                                             MQTTAsync_strerror(rc)));
  }

  void connected() {
    std::deque<waiting> ready;
    {
      std::lock_guard lock(mutex);
      state = link::up;
      ready.swap(queue);
    }
    for (auto& w : ready) send_now(std::move(w.p), std::move(w.done), w.deadline);
  }

  void connect_failed(const sdk::outcome& why) {
    std::lock_guard lock(mutex);
    connect_failed_locked(why);
  }
  void connect_failed_locked(const sdk::outcome& why) {
    state = link::down;
    std::deque<waiting> failed;
    failed.swap(queue);
    mutex.unlock();  // the deliveries are reported without it
    for (auto& w : failed) w.done(why);
    mutex.lock();
  }

  // OpenSSL's error lines (pid:error:code:library:function:REASON:file:line:):
  // the reason says what failed (certificate verify failed).
  static int on_tls_error(const char* line, std::size_t size, void* ctx) {
    auto* self = static_cast<impl*>(ctx);
    std::string_view text(line, size);
    for (int field = 0; field < 5 && text.find(':') != std::string_view::npos; ++field)
      text.remove_prefix(text.find(':') + 1);
    text = text.substr(0, text.find(':'));
    std::lock_guard lock(self->mutex);
    if (self->tls_error.empty() && !text.empty()) self->tls_error = std::string(text);
    return 0;
  }

  static void on_connection_lost(void* ctx, char* cause) {
    auto* self = static_cast<impl*>(ctx);
    std::lock_guard lock(self->mutex);
    self->state = link::down;  // the next message connects again
    if (cause) MQTTAsync_free(cause);
  }

  // A publisher subscribes to nothing; Paho wants the callback all the same.
  static int on_message(void*, char* topic, int, MQTTAsync_message* m) {
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
  }

  // `deadline`: from when the message was handed over, connecting included,
  // so the channel's timeout bounds the whole attempt.
  void send_now(publication p, done_fn done, clock::time_point deadline) {
    auto* t = new ticket{this, std::move(done), deadline};
    {
      std::lock_guard lock(mutex);
      in_flight.insert(t);
      wake_idle_sweeper_locked();
    }
    MQTTAsync_responseOptions r = MQTTAsync_responseOptions_initializer;
    r.context = t;
    r.onSuccess = [](void* ctx, MQTTAsync_successData*) {
      finish(static_cast<ticket*>(ctx), sdk::outcome::delivered());
    };
    r.onFailure = [](void* ctx, MQTTAsync_failureData* f) {
      finish(static_cast<ticket*>(ctx),
             sdk::outcome::transient(
                 std::string("the broker did not confirm: ") +
                 (f && f->message ? f->message : MQTTAsync_strerror(f ? f->code : -1))));
    };
    MQTTAsync_message m = MQTTAsync_message_initializer;
    m.payload = p.payload.data();
    m.payloadlen = static_cast<int>(p.payload.size());
    m.qos = p.qos;
    m.retained = p.retain ? 1 : 0;
    const int rc = MQTTAsync_sendMessage(handle, p.topic.c_str(), &m, &r);
    if (rc == MQTTASYNC_SUCCESS) return;
    if (rc == MQTTASYNC_DISCONNECTED) {
      std::lock_guard lock(mutex);
      state = link::down;
    }
    finish(t, sdk::outcome::transient(std::string("the broker did not take it: ") +
                                      MQTTAsync_strerror(rc)));
  }

  static void finish(ticket* t, sdk::outcome result) {
    impl& self = *t->owner;
    done_fn done;
    {
      std::lock_guard lock(self.mutex);
      self.in_flight.erase(t);
      if (!t->answered) done = std::move(t->done);
    }
    delete t;
    if (done) done(std::move(result));
  }

  // Reports what waited past its deadline: a connection that did not come,
  // a confirmation that did not arrive. Asleep until the earliest deadline,
  // or until something waits when nothing does (an idle channel costs no
  // wake-ups).
  void sweep() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      const auto next = next_deadline_locked();
      sweeper_idle = !next;
      if (next)
        wake.wait_until(lock, *next);
      else
        wake.wait(lock);
      sweeper_idle = false;
      if (stopping) break;
      const auto now = clock::now();
      std::vector<std::pair<done_fn, std::string>> late;
      const std::string limit = seconds_text(settings.timeout);
      for (ticket* t : in_flight)
        if (!t->answered && t->deadline <= now) {
          t->answered = true;  // Paho's callback frees it when it comes
          late.emplace_back(std::move(t->done), "no confirmation from the broker within " + limit);
        }
      while (!queue.empty() && queue.front().deadline <= now) {
        late.emplace_back(std::move(queue.front().done),
                          "not connected to the broker within " + limit);
        queue.pop_front();
      }
      if (late.empty()) continue;
      lock.unlock();
      for (auto& [done, why] : late) done(sdk::outcome::transient(why));
      lock.lock();
    }
  }

  std::optional<clock::time_point> next_deadline_locked() const {
    std::optional<clock::time_point> next;
    for (const ticket* t : in_flight)
      if (!t->answered && (!next || t->deadline < *next)) next = t->deadline;
    if (!queue.empty() && (!next || queue.front().deadline < *next)) next = queue.front().deadline;
    return next;
  }

  // Under the lock, after adding something that waits: no deadline comes
  // before those already waiting (each is hand-over + timeout), so only a
  // sweeper waiting for nothing needs waking.
  void wake_idle_sweeper_locked() {
    if (sweeper_idle) wake.notify_all();
  }
};

mqtt_client::mqtt_client(client_settings settings)
    : impl_(std::make_unique<impl>(std::move(settings))) {}

mqtt_client::~mqtt_client() = default;

void mqtt_client::publish(publication p, std::function<void(sdk::outcome)> done) {
  impl_->publish(std::move(p), std::move(done));
}

}  // namespace notibus::mqtt
