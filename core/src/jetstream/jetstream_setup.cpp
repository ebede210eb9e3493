#include "jetstream_setup.hpp"

#include <notibus/error.hpp>

#include <unistd.h>

#include <cstdlib>

#include "server_url.hpp"

namespace notibus::jetstream {

namespace {

constexpr std::int64_t ns_per_ms = 1000000;

[[noreturn]] void fail(errc code, const std::string& key, const std::string& why) {
  throw error({diagnostic{"", 0, 0, key, why}}, code);
}

std::string joined_servers(const shared_queue_settings& settings) {
  std::string out;
  for (const auto& s : settings.servers) out += (out.empty() ? "" : ", ") + redact_url_userinfo(s);
  return out;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

}  // namespace

std::string last_error_text(natsStatus s) {
  std::string out = natsStatus_GetText(s);
  natsStatus last_status = NATS_OK;
  const char* last_error = nats_GetLastError(&last_status);
  if (!last_error || !*last_error) return out;
  // libnats writes "Error: (conn.c:2088): No server available ...": the
  // source location means nothing to an operator.
  std::string last = last_error;
  if (const auto at = last.find("): "); at != std::string::npos && last.find(".c:") < at)
    last.erase(0, at + 3);
  if (last.starts_with("Error: ")) last.erase(0, 7);
  if (last == out || out.find(last) != std::string::npos) return out;
  if (last.find(out) != std::string::npos) return last;
  return out + ": " + last;
}

nats_handles::~nats_handles() {
  if (sub) natsSubscription_Destroy(sub);
  for (bucket* b : {&status_bucket, &dead_bucket, &keys_bucket})
    if (b->kv) kvStore_Destroy(b->kv);
  if (accept_js) jsCtx_Destroy(accept_js);
  if (js_) jsCtx_Destroy(js_);
  if (nc_) {
    closing_ = true;  // not "lost the broker"
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
  if (options_) natsOptions_Destroy(options_);
}

void nats_handles::open(const shared_queue_settings& settings, const status_settings& status,
                        const std::string& subject, jsPubAckHandler on_accept, void* accept_closure,
                        say_fn say) {
  say_ = std::move(say);
  stream_ = settings.stream;
  consumer_ = settings.consumer;
  connect(settings);

  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = 5000;
  o.PublishAsync.MaxPending = 100000;
  o.PublishAsync.AckHandler = &nats_handles::on_book_ack;
  o.PublishAsync.AckHandlerClosure = this;
  if (natsConnection_JetStream(&js_, nc_, &o) != NATS_OK)
    fail(errc::queue_unavailable, "queue", "JetStream: " + last_error_text(NATS_ERR));
  jsOptions a;
  jsOptions_Init(&a);
  a.Wait = 5000;
  a.PublishAsync.MaxPending = 20000;
  a.PublishAsync.StallWait = 200;
  a.PublishAsync.AckHandler = on_accept;
  a.PublishAsync.AckHandlerClosure = accept_closure;
  if (natsConnection_JetStream(&accept_js, nc_, &a) != NATS_OK)
    fail(errc::queue_unavailable, "queue", "JetStream: " + last_error_text(NATS_ERR));

  ensure_stream(settings, subject);
  ensure_consumer(settings, subject);
  const int replicas = static_cast<int>(settings.replicas);
  status_bucket = ensure_bucket(settings.stream + "_status", status.retention, replicas);
  dead_bucket = ensure_bucket(settings.stream + "_dead", std::chrono::milliseconds(0), replicas);
  keys_bucket = ensure_bucket(settings.stream + "_keys", settings.idempotency_window, replicas);

  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream_.c_str();
  so.Consumer = consumer_.c_str();
  jsErrCode jerr{};
  if (js_PullSubscribe(&sub, js_, subject.c_str(), consumer_.c_str(), nullptr, &so, &jerr) !=
      NATS_OK)
    fail(errc::queue_unavailable, "queue.consumer",
         "cannot pull from consumer \"" + consumer_ + "\": " + last_error_text(NATS_ERR));
}

void nats_handles::connect(const shared_queue_settings& settings) {
  std::vector<const char*> urls;
  for (const auto& s : settings.servers) urls.push_back(s.c_str());
  bool secure = false;
  for (const auto& s : settings.servers) secure = secure || s.starts_with("tls://");
  natsStatus s = natsOptions_Create(&options_);
  if (s == NATS_OK)
    s = natsOptions_SetServers(options_, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(options_, ("notibus@" + host_name()).c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(options_, settings.connect_timeout.count());
  // At run time the broker may go away: keep trying (ingest answers 503 meanwhile).
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(options_, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(options_, 250);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(options_, &on_disconnected, this);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(options_, &on_reconnected, this);
  if (s != NATS_OK) fail(errc::queue_unavailable, "queue", last_error_text(s));
  auto check = [&](natsStatus st, const char* key, const std::string& what) {
    if (st != NATS_OK) fail(errc::invalid_config, key, what + ": " + last_error_text(st));
  };
  if (!settings.credentials.empty())
    check(natsOptions_SetUserCredentialsFromFiles(options_, settings.credentials.c_str(), nullptr),
          "queue.credentials", "cannot use " + settings.credentials.string());
  if (!settings.user.empty())
    check(natsOptions_SetUserInfo(options_, settings.user.c_str(), settings.password.c_str()),
          "queue.user", "cannot set the user");
  if (!settings.token.empty())
    check(natsOptions_SetToken(options_, settings.token.c_str()), "queue.token",
          "cannot set the token");
  if (!settings.tls_ca.empty()) {
    secure = true;
    check(natsOptions_LoadCATrustedCertificates(options_, settings.tls_ca.c_str()), "queue.tls.ca",
          "cannot load " + settings.tls_ca.string());
  }
  if (!settings.tls_cert.empty())
    check(natsOptions_LoadCertificatesChain(options_, settings.tls_cert.c_str(),
                                            settings.tls_key.c_str()),
          "queue.tls.cert", "cannot load " + settings.tls_cert.string());
  if (secure) check(natsOptions_SetSecure(options_, true), "queue.tls", "cannot enable TLS");

  s = natsConnection_Connect(&nc_, options_);
  if (s != NATS_OK) {
    std::string why = last_error_text(s);
    if (s == NATS_NOT_PERMITTED || why.find("uthorization") != std::string::npos)
      why = "the server refused the credentials (" + why + ")";
    fail(errc::queue_unavailable, "queue.servers",
         "cannot connect to " + joined_servers(settings) + ": " + why);
  }
  connected_ = true;
}

void nats_handles::ensure_stream(const shared_queue_settings& settings,
                                 const std::string& subject) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr{};
  natsStatus s = js_GetStreamInfo(&si, js_, stream_.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char* subjects[] = {subject.c_str()};
    sc.Name = stream_.c_str();
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Retention = js_WorkQueuePolicy;  // a message goes once its delivery is acked
    sc.Storage = js_FileStorage;
    sc.Replicas = settings.replicas;
    sc.Duplicates = settings.idempotency_window.count() * ns_per_ms;
    jerr = {};
    s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
    if (s != NATS_OK && jerr == JSStreamNameExistErr)  // another instance made it first
      s = js_GetStreamInfo(&si, js_, stream_.c_str(), nullptr, &jerr);
    if (s != NATS_OK)
      fail(errc::queue_unavailable, "queue.stream",
           "cannot create stream \"" + stream_ + "\": " + last_error_text(s));
    if (say_) say_(log_level::info, "created stream " + stream_);
  } else if (s != NATS_OK) {
    fail(errc::queue_unavailable, "queue.stream",
         "cannot read stream \"" + stream_ + "\" (is JetStream enabled?): " + last_error_text(s));
  }
  const jsStreamConfig& have = *si->Config;
  std::string problem;
  if (have.Retention != js_WorkQueuePolicy)
    problem = "it does not have work-queue retention";
  else if (have.Replicas != settings.replicas)
    problem = "it has " + std::to_string(have.Replicas) + " replicas, the config says " +
              std::to_string(settings.replicas);
  else if (have.SubjectsLen != 1 || subject != have.Subjects[0])
    problem = "its subjects are not just \"" + subject + "\"";
  else if (have.Duplicates != settings.idempotency_window.count() * ns_per_ms)
    problem = "its duplicate window is " + std::to_string(have.Duplicates / ns_per_ms) +
              " ms, the config's idempotency_window is " +
              std::to_string(settings.idempotency_window.count()) + " ms";
  jsStreamInfo_Destroy(si);
  if (!problem.empty())
    fail(errc::queue_mismatch, "queue.stream",
         "stream \"" + stream_ + "\" exists with other settings: " + problem +
             " (change the config to match, or the stream)");
}

void nats_handles::ensure_consumer(const shared_queue_settings& settings,
                                   const std::string& subject) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr{};
  natsStatus s = js_GetConsumerInfo(&ci, js_, stream_.c_str(), consumer_.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = consumer_.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = settings.ack_wait.count() * ns_per_ms;
    cc.MaxDeliver = -1;  // a message is never dropped by JetStream, only by us (Term)
    cc.FilterSubject = subject.c_str();
    cc.MaxAckPending = 1000000;  // each instance bounds what it holds (max_held)
    cc.MaxWaiting = 4096;
    jerr = {};
    s = js_AddConsumer(&ci, js_, stream_.c_str(), &cc, nullptr, &jerr);
    if (s != NATS_OK && (jerr == JSConsumerNameExistErr || jerr == JSConsumerExistingActiveErr))
      s = js_GetConsumerInfo(&ci, js_, stream_.c_str(), consumer_.c_str(), nullptr, &jerr);
    if (s != NATS_OK)
      fail(errc::queue_unavailable, "queue.consumer",
           "cannot create consumer \"" + consumer_ + "\": " + last_error_text(s));
  } else if (s != NATS_OK) {
    fail(errc::queue_unavailable, "queue.consumer",
         "cannot read consumer \"" + consumer_ + "\": " + last_error_text(s));
  }
  const jsConsumerConfig& have = *ci->Config;
  std::string problem;
  if (have.AckPolicy != js_AckExplicit)
    problem = "it does not ack explicitly";
  else if (have.AckWait != settings.ack_wait.count() * ns_per_ms)
    problem = "its ack_wait is " + std::to_string(have.AckWait / ns_per_ms) +
              " ms, the config says " + std::to_string(settings.ack_wait.count()) + " ms";
  else if (!have.FilterSubject || subject != have.FilterSubject)
    problem = "it does not filter on \"" + subject + "\"";
  else if (have.DeliverSubject && *have.DeliverSubject)
    problem = "it is a push consumer";
  jsConsumerInfo_Destroy(ci);
  if (!problem.empty())
    fail(errc::queue_mismatch, "queue.consumer",
         "consumer \"" + consumer_ + "\" exists with other settings: " + problem);
}

bucket nats_handles::ensure_bucket(const std::string& name, std::chrono::milliseconds ttl,
                                   int replicas) {
  bucket b;
  b.name = name;
  natsStatus s = js_KeyValue(&b.kv, js_, name.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name.c_str();
    kc.History = 1;
    kc.TTL = ttl.count() * ns_per_ms;
    kc.Replicas = replicas;
    kc.StorageType = js_FileStorage;
    s = js_CreateKeyValue(&b.kv, js_, &kc);
    if (s != NATS_OK) {
      const std::string why = last_error_text(s);
      s = js_KeyValue(&b.kv, js_, name.c_str());  // made by another instance meanwhile?
      if (s != NATS_OK)
        fail(errc::queue_unavailable, "queue.stream",
             "cannot create key-value bucket \"" + name + "\": " + why);
    }
  }
  if (s != NATS_OK)
    fail(errc::queue_unavailable, "queue.stream",
         "cannot open key-value bucket \"" + name + "\": " + last_error_text(s));
  return b;
}

bool nats_handles::put(const bucket& b, const std::string& key, const std::string& value) {
  std::uint64_t revision = 0;
  return kvStore_Put(&revision, b.kv, key.c_str(), value.data(), static_cast<int>(value.size())) ==
         NATS_OK;
}

namespace {

constexpr const char* attempt_header = "Notibus-Attempt";
constexpr int max_write_attempts = 120;  // at 250 ms apart: half a minute of fail-over

// A progress report (not final, not an accept's first): a later one replaces
// it, so a lost one is not sent again (it could land after the final one).
bool replaceable(std::string_view value, bool only_if_new) {
  return !only_if_new && value.size() >= 2 && value[0] == '\x01' && !(value[1] & 2);
}

}  // namespace

void nats_handles::put_async(const bucket& b, const std::string& key, const std::string& value,
                             bool only_if_new, std::function<void()> stored) {
  send({"$KV." + b.name + "." + key, value, only_if_new, 0, std::move(stored)});
}

void nats_handles::send(pending_write w) {
  natsMsg* m = nullptr;
  if (natsMsg_Create(&m, w.subject.c_str(), nullptr, w.value.data(),
                     static_cast<int>(w.value.size())) != NATS_OK) {
    if (w.stored) w.stored();
    return;
  }
  if (w.attempt > 0) natsMsgHeader_Set(m, attempt_header, std::to_string(w.attempt).c_str());
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.ExpectNoMessage = w.only_if_new;
  const natsMsg* sent = m;
  {
    std::lock_guard lock(writes_mutex_);
    in_flight_.emplace(sent, std::move(w));
  }
  if (js_PublishMsgAsync(js_, &m, &po) == NATS_OK) return;
  natsMsg_Destroy(m);  // not taken by the library: no ack will come for it
  std::lock_guard lock(writes_mutex_);
  auto it = in_flight_.find(sent);
  if (it == in_flight_.end()) return;
  failed_.push_back(std::move(it->second));
  in_flight_.erase(it);
}

void nats_handles::on_book_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae,
                               void* closure) {
  auto* self = static_cast<nats_handles*>(closure);
  pending_write w;
  {
    std::lock_guard lock(self->writes_mutex_);
    auto it = self->in_flight_.find(msg);
    if (it == self->in_flight_.end()) {
      natsMsg_Destroy(msg);
      return;
    }
    w = std::move(it->second);
    self->in_flight_.erase(it);
  }
  natsMsg_Destroy(msg);
  // Stored; or an accept's pending report arriving after the final one
  // (refused, as meant); or a progress report a later one replaces.
  if (pa || (pae && pae->ErrCode == JSStreamWrongLastSequenceErr) ||
      replaceable(w.value, w.only_if_new)) {
    if (w.stored) w.stored();
    return;
  }
  if (++w.attempt >= max_write_attempts) {
    if (self->say_)
      self->say_(
          log_level::warn,
          "a status write was not stored: " +
              std::string(pae && pae->ErrText ? pae->ErrText
                                              : natsStatus_GetText(pae ? pae->Err : NATS_ERR)));
    if (w.stored) w.stored();
    return;
  }
  std::lock_guard lock(self->writes_mutex_);
  self->failed_.push_back(std::move(w));
}

void nats_handles::retry_failed_writes() {
  std::vector<pending_write> again;
  {
    std::lock_guard lock(writes_mutex_);
    again.swap(failed_);
  }
  for (auto& w : again) send(std::move(w));
}

std::optional<std::string> nats_handles::get(const bucket& b, const std::string& key) const {
  kvEntry* e = nullptr;
  if (kvStore_Get(&e, b.kv, key.c_str()) != NATS_OK) return std::nullopt;
  std::optional<std::string> out;
  if (kvEntry_Operation(e) == kvOp_Put)
    out.emplace(static_cast<const char*>(kvEntry_Value(e)),
                static_cast<std::size_t>(kvEntry_ValueLen(e)));
  kvEntry_Destroy(e);
  return out;
}

std::vector<std::string> nats_handles::keys(const bucket& b) const {
  std::vector<std::string> out;
  kvKeysList list{};
  if (kvStore_Keys(&list, b.kv, nullptr) != NATS_OK) return out;
  for (int i = 0; i < list.Count; ++i) out.emplace_back(list.Keys[i]);
  kvKeysList_Destroy(&list);
  return out;
}

void nats_handles::purge(const bucket& b, const std::string& key) {
  const natsStatus s = kvStore_Purge(b.kv, key.c_str(), nullptr);
  if (s != NATS_OK)
    throw error({diagnostic{"", 0, 0, b.name, "cannot purge " + key + ": " + last_error_text(s)}},
                errc::queue_unavailable);
}

std::optional<consumer_figures_t> nats_handles::consumer_figures() const {
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr{};
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = 1000;
  if (js_GetConsumerInfo(&ci, js_, stream_.c_str(), consumer_.c_str(), &o, &jerr) != NATS_OK)
    return std::nullopt;
  consumer_figures_t out{ci->NumPending, static_cast<std::uint64_t>(ci->NumAckPending),
                         static_cast<std::uint64_t>(ci->NumRedelivered)};
  jsConsumerInfo_Destroy(ci);
  return out;
}

std::optional<std::string> nats_handles::stored_message(std::uint64_t sequence) const {
  natsMsg* m = nullptr;
  jsErrCode jerr{};
  if (js_GetMsg(&m, js_, stream_.c_str(), sequence, nullptr, &jerr) != NATS_OK) return std::nullopt;
  std::string out(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m)));
  natsMsg_Destroy(m);
  return out;
}

void nats_handles::flush(std::chrono::milliseconds limit) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = limit.count();
  if (accept_js) js_PublishAsyncComplete(accept_js, &po);
  if (js_) js_PublishAsyncComplete(js_, &po);
}

void nats_handles::on_disconnected(natsConnection*, void* closure) {
  auto* self = static_cast<nats_handles*>(closure);
  if (!self->connected_.exchange(false) || self->closing_) return;
  if (self->say_)
    self->say_(log_level::warn, "lost the broker: new messages get 503 until it is back");
}

void nats_handles::on_reconnected(natsConnection*, void* closure) {
  auto* self = static_cast<nats_handles*>(closure);
  self->connected_ = true;
  if (self->say_) self->say_(log_level::info, "broker reachable again");
}

}  // namespace notibus::jetstream
