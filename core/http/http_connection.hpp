#pragma once
// The process of one connection to an http/https listener, like a session
// for an MQTT one: it owns the socket (TLS for https), reads HTTP/1.1
// requests with their limits (net/http_request.hpp: 431, 413, 400), answers
// them in order through the API's routes (api.hpp), keeps the connection
// alive between them, and closes it after a timeout: no complete request
// within request_timeout_ms of its first byte (408), or nothing within
// idle_timeout_ms of the last response. While a response waits for sessions'
// answers (a Gather), it reads nothing more: pipelined requests wait in the
// kernel and in its bounded input.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/broker_context.hpp"
#include "core/client_info.hpp"
#include "core/http/api.hpp"
#include "core/http/api_auth.hpp"
#include "core/http/http_site.hpp"
#include "core/listen/connection_slot.hpp"
#include "net/http_request.hpp"
#include "net/http_response.hpp"
#include "net/stream.hpp"
#include "sched/process.hpp"

namespace actormq::core {

class HttpConnection : public sched::Process {
 public:
  /// `fd`: an accepted, non-blocking socket, ours from now on; `slot` names
  /// the listener (its transport) and holds its place in the counts.
  HttpConnection(BrokerContext& ctx, std::shared_ptr<const HttpSite> site, int fd, ConnectionSlot slot);
  ~HttpConnection() override;

 protected:
  void on_start() override;
  void on_message(sched::Message& msg) override;
  void on_exit(const sched::ExitReason& reason) override;

 private:
  struct Pending {
    Gather gather;
    /// An Ask's: builds the response from the answer (else a Gather's).
    std::function<net::HttpResponse(sched::Message&)> answer;
    std::vector<ClientInfo> infos;
    std::size_t expected = 0;
    std::uint64_t tag = 0;
  };

  /// Reads and answers requests until input must wait, with a bounded number
  /// of steps per wake-up.
  void pump();
  /// The next complete request in the input, if any; refuses a malformed one.
  std::optional<net::HttpRequest> take_request();
  void handle(net::HttpRequest request);
  void start_gather(Gather gather);
  void tell(Tell tell);
  void start_ask(Ask ask);
  void start_run(Run run);
  /// The answer to an Ask, with its tag.
  void on_answer(std::uint64_t tag, sched::Message& answer);
  void on_reply(ClientInfoReply& reply);
  void finish_gather();
  void respond(net::HttpResponse response);
  /// Refuses the request being read with `status` and closes after the answer.
  void refuse(int status, const std::string& reason);
  void flush();
  void arm_timer(std::uint32_t ms);
  void cancel_timer();
  void on_timeout();
  void close_now();
  bool writing() const { return out_sent_ < out_.size(); }

  BrokerContext& ctx_;
  std::shared_ptr<const HttpSite> site_;
  ConnectionSlot slot_;
  int fd_;
  bool owns_fd_ = true;            ///< not adopted by a socket yet
  net::Stream* stream_ = nullptr;  ///< null before on_start and after close
  std::string peer_;
  std::string in_;                 ///< bytes read and not yet consumed
  std::optional<net::ParsedHead> head_;  ///< the head of the request whose body is awaited
  std::size_t head_bytes_ = 0;
  std::string out_;
  std::size_t out_sent_ = 0;
  bool keep_alive_ = true;
  bool closing_ = false;  ///< close once out_ is written
  std::unique_ptr<Pending> pending_;
  std::uint64_t next_tag_ = 0;
  std::uint32_t timer_generation_ = 0;  ///< a timeout of an earlier generation is stale
  sched::TimerRef timer_;
  ApiAuthenticator auth_;
};

}  // namespace actormq::core
