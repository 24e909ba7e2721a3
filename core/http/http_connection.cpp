#include "core/http/http_connection.hpp"

#include <unistd.h>

#include <array>
#include <span>

#include "core/auth/security.hpp"
#include "core/http/api_reload.hpp"
#include "core/logger.hpp"
#include "net/socket.hpp"
#include "sched/runtime.hpp"
#include "sched/scheduler.hpp"

namespace actormq::core {

namespace {

struct HttpReadMore {};
struct HttpTimeout {
  std::uint32_t generation;
};
struct GatherTimeout {
  std::uint64_t tag;
};

// Steps (reads or requests) per wake-up, as libuv bounds reads per stream.
constexpr int steps_per_wake = 32;
std::span<std::uint8_t> http_read_buffer() {
  thread_local std::array<std::uint8_t, 16 * 1024> buffer;
  return buffer;
}

}  // namespace

HttpConnection::HttpConnection(BrokerContext& ctx, std::shared_ptr<const HttpSite> site, int fd, ConnectionSlot slot)
    : ctx_(ctx), site_(std::move(site)), slot_(std::move(slot)), fd_(fd) {}

HttpConnection::~HttpConnection() {
  if (owns_fd_) {
    ::close(fd_);  // never started
  }
}

void HttpConnection::on_start() {
  owns_fd_ = false;
  net::Socket* socket = net::Socket::adopt(scheduler().loop(), fd_, self(), runtime());
  const net::Transport* transport = slot_.transport();
  stream_ = transport != nullptr ? transport->wrap(socket) : socket;
  peer_ = stream_->peer();
  arm_timer(site_->request_timeout_ms);  // the first request (and a TLS handshake) is due at once
  pump();
}

void HttpConnection::on_message(sched::Message& msg) {
  if (auto* reply = msg.as<ClientInfoReply>()) {
    on_reply(*reply);
  } else if (auto* dump = msg.as<RetainedDump>()) {
    on_answer(dump->tag, msg);
  } else if (auto* erased = msg.as<RetainErased>()) {
    on_answer(erased->tag, msg);
  } else if (auto* reloaded = msg.as<ReloadDone>()) {
    on_answer(reloaded->tag, msg);
  } else if (auto* ready = msg.as<net::SocketReady>()) {
    if (stream_ != nullptr && ready->writable) {
      flush();
    }
    pump();
  } else if (msg.is<HttpReadMore>()) {
    pump();
  } else if (auto* t = msg.as<HttpTimeout>()) {
    if (t->generation == timer_generation_) {
      on_timeout();
    }
  } else if (auto* g = msg.as<GatherTimeout>()) {
    if (pending_ && pending_->tag == g->tag && pending_->answer) {
      pending_.reset();
      respond(api_error(503, "no answer in time"));
      pump();
    } else if (pending_ && pending_->tag == g->tag) {
      finish_gather();  // with the answers that came: a session may have ended meanwhile
    }
  }
}

void HttpConnection::on_exit(const sched::ExitReason&) {
  if (stream_ != nullptr) {
    std::exchange(stream_, nullptr)->close();
  }
}

void HttpConnection::pump() {
  for (int step = 0; step < steps_per_wake; ++step) {
    if (stream_ == nullptr || pending_ || closing_ || writing()) {
      return;  // one request at a time: the next waits for this one's answer
    }
    if (auto request = take_request()) {
      handle(std::move(*request));
      continue;
    }
    if (stream_ == nullptr || closing_) {
      return;  // refused
    }
    if (should_yield()) {
      break;
    }
    net::IoResult r = stream_->read(http_read_buffer());
    switch (r.status) {
      case net::IoResult::Status::would_block:
        stream_->want_read(true);
        return;
      case net::IoResult::Status::again:
        consume(net::handshake_step_cost);
        continue;
      case net::IoResult::Status::closed:
        close_now();
        return;
      case net::IoResult::Status::error:
        ACTORMQ_LOG_INFO(stream_->kind() << " connection from " << peer_ << " (HTTP): "
                                         << stream_->describe(r.error) << "; closing");
        close_now();
        return;
      case net::IoResult::Status::ok:
        break;
    }
    if (in_.empty() && !head_) {
      arm_timer(site_->request_timeout_ms);  // a request has begun: it must be complete in time
    }
    in_.append(reinterpret_cast<const char*>(http_read_buffer().data()), r.bytes);
    consume(static_cast<std::uint32_t>(r.bytes / 256));
  }
  send<HttpReadMore>(self());  // more may wait: after the other processes had their turn
}

std::optional<net::HttpRequest> HttpConnection::take_request() {
  const net::HttpLimits& limits = site_->limits;
  if (!head_) {
    std::size_t end = net::find_header_end(in_);
    if (end == std::string::npos) {
      if (!net::plausible_request_line(in_)) {
        refuse(400, "not an HTTP request");
      } else if (in_.size() > limits.max_header_bytes) {
        refuse(431, "request line and headers larger than " + std::to_string(limits.max_header_bytes) + " bytes");
      }
      return std::nullopt;
    }
    net::ParsedHead head = net::parse_head(std::string_view(in_).substr(0, end), limits);
    if (head.error_status != 0) {
      refuse(head.error_status, head.reason);
      return std::nullopt;
    }
    head_ = std::move(head);
    head_bytes_ = end;
  }
  std::size_t total = head_bytes_ + head_->content_length;
  if (in_.size() < total) {
    return std::nullopt;
  }
  net::HttpRequest request = std::move(head_->request);
  request.body = in_.substr(head_bytes_, head_->content_length);
  in_.erase(0, total);
  head_.reset();
  return request;
}

void HttpConnection::handle(net::HttpRequest request) {
  cancel_timer();  // complete in time: its timer no longer applies
  if (const ListenerShared* listener = slot_.listener(); listener && listener->closed.load(std::memory_order_acquire)) {
    close_now();  // a reload closed the listener: a kept-alive connection ends at its next request
    return;
  }
  keep_alive_ = request.keep_alive();
  std::optional<Principal> principal;
  if (needs_user(request, *site_) && ctx_.security != nullptr) {
    principal = auth_.check(request.header("authorization"),
                            ctx_.security->listener(site_->security_index).passwords(), *site_);
  }
  ApiPlan plan = plan_request(request, principal, ApiEnv{ctx_, *site_});
  ACTORMQ_LOG_DEBUG("http " << peer_ << ": " << request.method << " " << request.target);
  if (auto* response = std::get_if<net::HttpResponse>(&plan)) {
    respond(std::move(*response));
  } else if (auto* gather = std::get_if<Gather>(&plan)) {
    start_gather(std::move(*gather));
  } else if (auto* t = std::get_if<Tell>(&plan)) {
    ACTORMQ_LOG_NOTICE("http " << peer_ << ": " << request.method << " " << request.path << " by "
                               << (principal ? principal->user : "?"));
    tell(std::move(*t));
  } else if (auto* run = std::get_if<Run>(&plan)) {
    ACTORMQ_LOG_NOTICE("http " << peer_ << ": " << request.method << " " << request.path << " by "
                               << (principal ? principal->user : "?"));
    start_run(std::move(*run));
  } else {
    start_ask(std::move(std::get<Ask>(plan)));
  }
}

void HttpConnection::start_gather(Gather gather) {
  auto p = std::make_unique<Pending>();
  p->tag = ++next_tag_;
  for (sched::Pid pid : gather.targets) {
    // A session that ended since the registry was read is not asked.
    if (send<ClientInfoQuery>(pid, ClientInfoQuery{self(), p->tag, gather.with_subscriptions})) {
      ++p->expected;
    }
  }
  consume(static_cast<std::uint32_t>(gather.targets.size() / 8));
  gather.targets = {};
  p->gather = std::move(gather);
  pending_ = std::move(p);
  if (pending_->expected == 0) {
    finish_gather();
    return;
  }
  send_after(self(), sched::make_message<GatherTimeout>(GatherTimeout{pending_->tag}), site_->gather_timeout_ms);
}

void HttpConnection::tell(Tell t) {
  for (auto& [to, message] : t.messages) {
    send(to, std::move(message));
  }
  respond(std::move(t.response));
}

void HttpConnection::start_ask(Ask ask) {
  auto p = std::make_unique<Pending>();
  p->tag = ++next_tag_;
  p->answer = std::move(ask.finish);
  if (!send(ask.to, ask.question(self(), p->tag))) {
    respond(api_error(503, "the process to ask is not running"));
    return;
  }
  pending_ = std::move(p);
  send_after(self(), sched::make_message<GatherTimeout>(GatherTimeout{pending_->tag}), site_->gather_timeout_ms);
}

void HttpConnection::start_run(Run run) {
  auto p = std::make_unique<Pending>();
  p->tag = ++next_tag_;
  p->answer = std::move(run.finish);
  if (!run.start(self(), p->tag)) {
    respond(std::move(run.busy));
    return;
  }
  pending_ = std::move(p);
  send_after(self(), sched::make_message<GatherTimeout>(GatherTimeout{pending_->tag}), site_->run_timeout_ms);
}

void HttpConnection::on_answer(std::uint64_t tag, sched::Message& answer) {
  if (!pending_ || !pending_->answer || pending_->tag != tag) {
    return;  // for a request answered at its timeout
  }
  std::unique_ptr<Pending> p = std::move(pending_);
  respond(p->answer(answer));
  pump();
}

void HttpConnection::on_reply(ClientInfoReply& reply) {
  if (!pending_ || pending_->answer || reply.tag != pending_->tag) {
    return;  // for a request answered at its timeout
  }
  pending_->infos.push_back(std::move(reply.info));
  if (pending_->infos.size() == pending_->expected) {
    finish_gather();
  }
}

void HttpConnection::finish_gather() {
  std::unique_ptr<Pending> p = std::move(pending_);
  consume(static_cast<std::uint32_t>(p->infos.size() / 4));
  respond(p->gather.finish(std::move(p->infos)));
  pump();  // a pipelined request may be waiting
}

void HttpConnection::respond(net::HttpResponse response) {
  if (!keep_alive_ || closing_) {
    response.close = true;
  }
  closing_ = closing_ || response.close;
  out_ += net::serialize(response);
  consume(static_cast<std::uint32_t>(response.body.size() / 256));
  arm_timer(site_->idle_timeout_ms);  // for the next request, or for a peer that does not read this answer
  flush();
}

void HttpConnection::refuse(int status, const std::string& reason) {
  ACTORMQ_LOG_INFO("http connection from " << peer_ << ": " << reason << " (HTTP " << status << ")");
  in_.clear();
  head_.reset();
  closing_ = true;
  net::HttpResponse response = api_error(status, reason);
  response.close = true;
  respond(std::move(response));
}

void HttpConnection::flush() {
  if (stream_ == nullptr) {
    return;
  }
  while (writing()) {
    iovec v{out_.data() + out_sent_, out_.size() - out_sent_};
    net::IoResult r = stream_->writev(&v, 1);
    if (r.status == net::IoResult::Status::ok) {
      out_sent_ += r.bytes;
      continue;
    }
    if (r.status == net::IoResult::Status::would_block || r.status == net::IoResult::Status::again) {
      stream_->want_write(true);
      return;
    }
    close_now();
    return;
  }
  out_.clear();
  out_sent_ = 0;
  net::IoResult f = stream_->flush();  // what a TLS record still holds
  if (f.status == net::IoResult::Status::would_block || f.status == net::IoResult::Status::again) {
    stream_->want_write(true);
    return;
  }
  if (f.status != net::IoResult::Status::ok || closing_) {
    close_now();
  }
}

void HttpConnection::arm_timer(std::uint32_t ms) {
  cancel_timer();
  timer_ = send_after(self(), sched::make_message<HttpTimeout>(HttpTimeout{timer_generation_}), ms);
}

void HttpConnection::cancel_timer() {
  ++timer_generation_;
  Process::cancel_timer(timer_);
  timer_ = {};
}

void HttpConnection::on_timeout() {
  if (pending_) {
    return;  // the gather's own timeout answers
  }
  if (writing() || closing_ || (in_.empty() && !head_)) {
    close_now();  // idle, or a peer that does not read its answer
    return;
  }
  refuse(408, "request not complete within " + std::to_string(site_->request_timeout_ms) + " ms");
}

void HttpConnection::close_now() {
  if (stream_ != nullptr) {
    std::exchange(stream_, nullptr)->close();
  }
  exit(sched::ExitReason::normal());
}

}  // namespace actormq::core
