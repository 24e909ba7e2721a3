// The client side of TLS against the server side, both over real loopback
// TCP sockets driven from one thread (every step non-blocking): server
// certificate verification by CA, DNS name and IP address, insecure mode,
// mutual TLS with net::TlsContext requiring a client certificate, and
// pre-shared keys on both sides; and server handshakes run on a CryptoPool.
#include "net/tls_client_context.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <future>
#include <thread>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "net/crypto_pool.hpp"
#include "net/tls_context.hpp"
#include "net/tls_mbedtls.hpp"
#include "tests/net/loopback_pair.hpp"
#include "tests/net/tls_pki.hpp"
#include "tests/sched/test_process.hpp"

namespace actormq::net {
namespace {
using Status = IoResult::Status;
using testing::pki;

// A connected pair of non-blocking loopback TCP sockets.
struct TcpFds {
  int server = -1;
  int client = -1;
  TcpFds() {
    testing::LoopbackFds fds = testing::loopback_pair(true);
    server = fds.accepted;
    client = fds.dialled;
  }
};

TlsOptions server_options(const std::string& cert, bool require_client_certificate = false) {
  TlsOptions o;
  o.certfile = pki().crt(cert);
  o.keyfile = pki().key(cert);
  if (require_client_certificate) {
    o.cafile = pki().crt("ca");
    o.require_certificate = true;
  }
  return o;
}

TlsClientOptions client_options(const std::string& ca = "ca", const std::string& cert = "") {
  TlsClientOptions o;
  o.cafile = pki().crt(ca);
  if (!cert.empty()) {
    o.certfile = pki().crt(cert);
    o.keyfile = pki().key(cert);
  }
  return o;
}

// How one end's handshake ended: established, or the result that ended it.
struct End {
  bool established = false;
  std::optional<IoResult> failed;
  std::string error;  // Stream::describe of a failure
};

// A server stream and a client stream, over one connection, on a stepped
// runtime whose owner process ignores the readiness messages: the test
// drives both ends by calling them until they are done. With pool_threads,
// the server's handshake runs on a CryptoPool of that many workers.
struct Link {
  sched::Runtime rt{sched::testing::stepped()};
  std::unique_ptr<CryptoPool> pool;  // ended before the runtime its workers send to
  std::shared_ptr<TlsContext> server_context;
  std::shared_ptr<TlsClientContext> client_context;
  Stream* server = nullptr;
  Stream* client = nullptr;
  int woken = 0;  // SocketReady messages the owner got (run_until_idle)

  Link(TlsOptions server_options, const TlsClientOptions& client_options, const std::string& target,
       unsigned pool_threads = 0) {
    std::signal(SIGPIPE, SIG_IGN);  // as the broker does (core/main.cpp): a write to a gone peer says EPIPE
    if (pool_threads > 0) {
      pool = std::make_unique<CryptoPool>(pool_threads);
      server_options.crypto_pool = pool.get();
    }
    TlsContext::Made s = TlsContext::create(server_options);
    INFO(s.error);
    REQUIRE(s.context);
    TlsClientContext::Made c = TlsClientContext::create(client_options);
    INFO(c.error);
    REQUIRE(c.context);
    server_context = s.context;
    client_context = c.context;
    sched::Pid owner = rt.spawn(std::make_unique<sched::testing::Fn>([this](sched::testing::Fn&, sched::Message& m) {
      woken += m.is<SocketReady>() ? 1 : 0;
    }));
    TcpFds fds;
    uv_loop_t* loop = rt.scheduler(0).loop();
    server = server_context->wrap(Socket::adopt(loop, fds.server, owner, rt));
    client = client_context->connect(Socket::adopt(loop, fds.client, owner, rt), target);
  }
  ~Link() {
    if (client != nullptr) {
      client->close();
    }
    if (server != nullptr) {
      server->close();
    }
    pool.reset();
    rt.shutdown();
  }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  struct Handshake {
    End server;
    End client;
  };
  // Steps both ends until each is established or has failed, for at most
  // 10 s. An end that fails is closed, as its owner would: mbedTLS sends no
  // alert for some failures, and the peer then learns from the FIN.
  Handshake handshake() {
    Handshake h;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto done = [](const End& e) { return e.established || e.failed; };
    while (!(done(h.server) && done(h.client)) && std::chrono::steady_clock::now() < deadline) {
      step(server, h.server);
      step(client, h.client);
    }
    return h;
  }

  void send(Stream& from, const std::string& text) {
    iovec segment{const_cast<char*>(text.data()), text.size()};
    IoResult r = from.writev(&segment, 1);
    REQUIRE(r.status == Status::ok);
    REQUIRE(r.bytes == text.size());
    REQUIRE(from.flush().status == Status::ok);
  }
  std::string receive(Stream& at, std::size_t size) {
    std::string got;
    std::vector<std::uint8_t> buffer(size);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got.size() < size && std::chrono::steady_clock::now() < deadline) {
      IoResult r = at.read(std::span(buffer).first(size - got.size()));
      REQUIRE((r.status == Status::ok || r.status == Status::would_block));
      got.append(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.bytes));
    }
    return got;
  }

 private:
  static void step(Stream*& stream, End& end) {
    if (end.established || end.failed) {
      return;
    }
    std::uint8_t none[1];
    IoResult r = stream->read(none);
    end.established = stream->established();
    if (r.status == Status::error || r.status == Status::closed) {
      end.failed = r;
      end.error = r.status == Status::error ? stream->describe(r.error) : "closed";
      stream->close();
      stream = nullptr;
    }
  }
};

void check_refused_by_client(const Link::Handshake& h, const std::string& reason) {
  CHECK_FALSE(h.client.established);
  REQUIRE(h.client.failed);
  CHECK(h.client.failed->status == Status::error);
  INFO(h.client.error);
  CHECK(h.client.error.find("TLS handshake failed: server certificate not accepted: ") == 0);
  CHECK(h.client.error.find(reason) != std::string::npos);
  CHECK_FALSE(h.server.established);  // told by the client's fatal alert
  CHECK(h.server.failed);
}

void check_established(const Link::Handshake& h) {
  INFO("client: " << h.client.error << " server: " << h.server.error);
  REQUIRE(h.client.established);  // the test goes on with both streams
  REQUIRE(h.server.established);
}

}  // namespace

TEST_CASE("tls client: a server certificate from the CA, dialled as localhost, verifies and data flows both ways") {
  Link link(server_options("server"), client_options(), "localhost");
  check_established(link.handshake());
  CHECK(std::string(link.client->kind()) == "tls");
  CHECK(link.client->peer_identity() == "localhost");  // the verified server's CN
  CHECK(link.server->peer_identity().empty());          // no client certificate
  link.send(*link.client, "ping from the client");
  CHECK(link.receive(*link.server, 20) == "ping from the client");
  link.send(*link.server, "pong from the server");
  CHECK(link.receive(*link.client, 20) == "pong from the server");
}

TEST_CASE("tls server: the handshake yields: the read that takes the ClientHello answers again, sending nothing yet") {
  // The server's answer (its signature) is the costly step: it comes in a
  // later read(), after the owner could yield (either backend).
  Link link(server_options("server"), client_options(), "localhost");
  std::uint8_t none[1];
  IoResult c{Status::again, 0, 0};
  for (int i = 0; i < 10 && c.status == Status::again; ++i) {
    c = link.client->read(none);  // until the ClientHello is out and the client waits
  }
  REQUIRE(c.status == Status::would_block);
  CHECK(link.server->read(none).status == Status::again);
  CHECK(link.client->read(none).status == Status::would_block);  // no ServerHello yet
  check_established(link.handshake());
}

TEST_CASE("tls client: a server certificate from another CA is refused, the reason described") {
  Link link(server_options("server-foreign"), client_options(), "localhost");
  check_refused_by_client(link.handshake(), "not correctly signed by the trusted CA");
}

TEST_CASE("tls client: a CA file that is not the server's CA refuses the server") {
  Link link(server_options("server"), client_options("other"), "localhost");
  check_refused_by_client(link.handshake(), "not correctly signed by the trusted CA");
}

TEST_CASE("tls client: dialled as example.com, a certificate for localhost is refused") {
  Link link(server_options("server"), client_options(), "example.com");
  check_refused_by_client(link.handshake(), "the certificate does not name example.com");
}

TEST_CASE("tls client: dialled as 127.0.0.1, a certificate whose SAN has IP:127.0.0.1 verifies") {
  Link link(server_options("server"), client_options(), "127.0.0.1");
  check_established(link.handshake());
  link.send(*link.client, "by address");
  CHECK(link.receive(*link.server, 10) == "by address");
}

TEST_CASE("tls client: dialled as 127.0.0.1, a certificate with only DNS:localhost is refused") {
  Link link(server_options("server-dns"), client_options(), "127.0.0.1");
  Link::Handshake h = link.handshake();
  check_refused_by_client(h, "the certificate does not name 127.0.0.1");
  // Only the address is wrong: no other reason is given.
  CHECK(h.client.error == "TLS handshake failed: server certificate not accepted: the certificate does not name 127.0.0.1");
}

TEST_CASE("tls client: dialled as 127.0.0.1, a certificate with IP:127.0.0.2 is refused") {
  Link link(server_options("server-ip2"), client_options(), "127.0.0.1");
  check_refused_by_client(link.handshake(), "the certificate does not name 127.0.0.1");
}

TEST_CASE("tls client: dialled as ::1 or [::1], a certificate with IP:::1 verifies, one with IP:::2 does not") {
  {
    Link link(server_options("server"), client_options(), "::1");
    check_established(link.handshake());
  }
  {
    Link link(server_options("server"), client_options(), "[::1]");
    check_established(link.handshake());
  }
  {
    Link link(server_options("server-ip2"), client_options(), "::1");
    check_refused_by_client(link.handshake(), "the certificate does not name ::1");
  }
}

TEST_CASE("tls client: an address's name check comes on top of the chain's: both reasons are given") {
  Link link(server_options("server-foreign"), client_options(), "127.0.0.2");
  Link::Handshake h = link.handshake();
  check_refused_by_client(h, "the certificate does not name 127.0.0.2");
  CHECK(h.client.error.find("not correctly signed by the trusted CA") != std::string::npos);
}

TEST_CASE("tls client: an iPAddress entry of 5 bytes names no address: refused, nothing read past it") {
  Link link(server_options("server-odd-ip"), client_options(), "127.0.0.1");
  check_refused_by_client(link.handshake(), "the certificate does not name 127.0.0.1");
}

TEST_CASE("tls client: a certificate whose SAN extension is malformed DER is refused by the parser") {
  // mbedTLS parses a peer's certificate with the parser that loads files: such
  // a certificate never reaches the iPAddress check (nor can a TlsContext
  // present it, so no handshake is shown here).
  mbedtls_x509_crt cert;
  mbedtls_x509_crt_init(&cert);
  int rc = mbedtls_x509_crt_parse_file(&cert, pki().crt("server-bad-san").c_str());
  mbedtls_x509_crt_free(&cert);
  CHECK(rc != 0);
  CHECK(tls_error_text(rc).find("X509 - The extension tag or value is invalid") == 0);
}

TEST_CASE("tls client: insecure accepts a certificate from any CA for any name, and names no peer") {
  TlsClientOptions o;
  o.insecure = true;
  Link link(server_options("server-foreign"), o, "example.com");
  check_established(link.handshake());
  CHECK(link.client->peer_identity().empty());  // nothing was verified
  link.send(*link.client, "anyway");
  CHECK(link.receive(*link.server, 6) == "anyway");
}

TEST_CASE("tls client: insecure without a name connects, verifying without a name is refused") {
  {
    TlsClientOptions o;
    o.insecure = true;
    Link link(server_options("server"), o, "");
    check_established(link.handshake());
  }
  {
    Link link(server_options("server"), client_options(), "");
    Link::Handshake h = link.handshake();
    REQUIRE(h.client.failed);
    CHECK(h.client.error == "TLS: no server name to verify the server's certificate against");
  }
}

TEST_CASE("tls client: mutual TLS, a client certificate from the CA is accepted and names the client") {
  Link link(server_options("server", true), client_options("ca", "client"), "localhost");
  check_established(link.handshake());
  CHECK(link.server->peer_identity() == "device-7");
  CHECK(link.client->peer_identity() == "localhost");
  link.send(*link.server, "hello node");
  CHECK(link.receive(*link.client, 10) == "hello node");
}

TEST_CASE("tls client: mutual TLS, a client without a certificate is refused by the server") {
  Link link(server_options("server", true), client_options(), "localhost");
  Link::Handshake h = link.handshake();
  CHECK_FALSE(h.server.established);
  REQUIRE(h.server.failed);
  CHECK(h.server.error == "TLS handshake failed: no client certificate (require_certificate)");
  CHECK_FALSE(h.client.established);  // no alert for this one: the server closed
  CHECK(h.client.failed);
}

TEST_CASE("tls client: mutual TLS, a client certificate from another CA is refused by the server") {
  Link link(server_options("server", true), client_options("ca", "client-foreign"), "localhost");
  Link::Handshake h = link.handshake();
  CHECK_FALSE(h.server.established);
  REQUIRE(h.server.failed);
  INFO(h.server.error);
  CHECK(h.server.error.find("TLS handshake failed: client certificate not accepted: ") == 0);
  CHECK(h.server.error.find("not correctly signed by the trusted CA") != std::string::npos);
  CHECK_FALSE(h.client.established);
}

TEST_CASE("tls client: options that cannot work are refused when the context is made") {
  auto error = [](const TlsClientOptions& o) {
    TlsClientContext::Made m = TlsClientContext::create(o);
    CHECK((m.context == nullptr) == !m.error.empty());
    return m.error;
  };
  TlsClientOptions none;
  CHECK(error(none) == "cafile: required to verify the server (or insecure, to verify nothing)");
  TlsClientOptions only_cert = client_options("ca", "client");
  only_cert.keyfile.clear();
  CHECK(error(only_cert) == "keyfile: required with certfile");
  TlsClientOptions only_key = client_options("ca", "client");
  only_key.certfile.clear();
  CHECK(error(only_key) == "certfile: required with keyfile");
  TlsClientOptions missing_ca = client_options();
  missing_ca.cafile = "/nonexistent/ca.crt";
  CHECK(error(missing_ca).find("cafile /nonexistent/ca.crt: ") == 0);
  TlsClientOptions insecure_missing_ca = missing_ca;
  insecure_missing_ca.insecure = true;
  CHECK(error(insecure_missing_ca).find("cafile /nonexistent/ca.crt: ") == 0);
  TlsClientOptions mismatched = client_options("ca", "client");
  mismatched.keyfile = pki().key("server");
  CHECK(error(mismatched).find("not the private key of certfile") != std::string::npos);
  CHECK(error(client_options("ca", "client")).empty());
}

// A psk_file for the server side, removed with this.
struct PskFile {
  std::string path;
  explicit PskFile(const std::string& text)
      : path((std::filesystem::temp_directory_path() / ("actormq-psk-" + std::to_string(::getpid()) + ".psk"))
                 .string()) {
    std::ofstream(path) << text;
  }
  ~PskFile() { std::filesystem::remove(path); }
  PskFile(const PskFile&) = delete;
  PskFile& operator=(const PskFile&) = delete;
};

TlsOptions psk_server(const PskFile& file, bool certificate = false) {
  TlsOptions o = certificate ? server_options("server") : TlsOptions{};
  o.psk_hint = "fleet";
  o.psk_file = file.path;
  return o;
}

TlsClientOptions psk_client(const std::string& identity, const std::string& key) {
  TlsClientOptions o;
  o.psk = key;
  o.psk_identity = identity;
  return o;
}

constexpr const char* bridge_key = "00112233445566778899aabbccddeeff";

TEST_CASE("tls client: a pre-shared key authenticates both ends") {
  PskFile file(std::string("bridge-1:") + bridge_key + "\n");
  for (bool certificate : {false, true}) {
    CAPTURE(certificate);
    Link link(psk_server(file, certificate), psk_client("bridge-1", bridge_key), "localhost");
    check_established(link.handshake());
    CHECK(link.server->peer_identity() == "bridge-1");
    CHECK(link.server->summary().find("-PSK-WITH-") != std::string::npos);
    link.send(*link.client, "over psk");
    CHECK(link.receive(*link.server, 8) == "over psk");
  }
}

TEST_CASE("tls client: a wrong key or an unknown identity is refused by the server") {
  PskFile file(std::string("bridge-1:") + bridge_key + "\n");
  Link wrong(psk_server(file), psk_client("bridge-1", "ffeeddccbbaa99887766554433221100"), "localhost");
  Link::Handshake h = wrong.handshake();
  CHECK_FALSE(h.client.established);
  REQUIRE(h.server.failed);
  CHECK(h.server.error == "TLS handshake failed: wrong key for PSK identity \"bridge-1\"");
  Link unknown(psk_server(file), psk_client("bridge-9", bridge_key), "localhost");
  h = unknown.handshake();
  CHECK_FALSE(h.client.established);
  REQUIRE(h.server.failed);
  CHECK(h.server.error == "TLS handshake failed: unknown PSK identity \"bridge-9\"");
}

TEST_CASE("tls client: with a key, a server without PSK is not accepted unverified") {
  // The client offers only PSK suites: a certificate suite would let any
  // server in, as nothing verifies a certificate then.
  Link link(server_options("server"), psk_client("bridge-1", bridge_key), "localhost");
  Link::Handshake h = link.handshake();
  CHECK_FALSE(h.client.established);
  CHECK_FALSE(h.server.established);
}

TEST_CASE("tls client: psk options that cannot work are refused") {
  auto error = [](const TlsClientOptions& o) { return TlsClientContext::create(o).error; };
  CHECK(error(psk_client("", bridge_key)) == "psk_identity: required with psk");
  CHECK(error(psk_client("b", "")) == "psk: required with psk_identity");
  CHECK(error(psk_client("b", "0g")) == "psk: key is not hexadecimal");
  CHECK(error(psk_client("b", std::string(66, 'a'))) == "psk: key longer than 32 bytes (64 hexadecimal digits)");
  TlsClientOptions with_ca = psk_client("b", bridge_key);
  with_ca.cafile = pki().crt("ca");
  CHECK(error(with_ca) == "psk: not with cafile, certfile, crlfile or insecure (the key authenticates both ends)");
  TlsClientOptions crl_alone;
  crl_alone.insecure = true;
  crl_alone.crlfile = "crl.pem";
  CHECK(error(crl_alone) == "crlfile: needs cafile (the CAs whose revocations it lists)");
  TlsClientOptions missing_crl = client_options();
  missing_crl.crlfile = "/nonexistent/crl.pem";
  CHECK(error(missing_crl).find("crlfile /nonexistent/crl.pem: ") == 0);
}


// The listener's TLS backend hands its handshakes to the pool (OpenSSL's
// streams do theirs on the owner: the pool stays idle).
bool offloads() { return std::string(TlsContext::backend()) == "mbedtls"; }

TEST_CASE("tls server on a crypto pool: the handshake runs on the pool's workers, then data flows both ways") {
  Link link(server_options("server"), client_options(), "localhost", 2);
  check_established(link.handshake());
  if (offloads()) {
    // A hand-over for the ClientHello (answered up to ServerHelloDone), and
    // one to three for the client's key exchange, ChangeCipherSpec and
    // Finished (the test's client steps one record at a time: on a loaded
    // machine each may arrive alone), answered with ours.
    CHECK(link.pool->completed() >= 2);
    CHECK(link.pool->completed() <= 4);
    CHECK(link.server->summary().find("TLSv1.2 TLS-ECDHE-") == 0);
  }
  CHECK(link.client->peer_identity() == "localhost");
  link.send(*link.client, "ping from the client");
  CHECK(link.receive(*link.server, 20) == "ping from the client");
  link.send(*link.server, "pong from the server");
  CHECK(link.receive(*link.client, 20) == "pong from the server");
}

// The pool's one worker is held busy until the returned gate opens, and the
// server's handshake (its ClientHello read) waits in the queue behind it.
std::promise<void> queue_behind_busy_worker(Link& link) {
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  link.pool->submit([open] { open.wait(); });
  std::uint8_t none[1];
  IoResult c{Status::again, 0, 0};
  for (int i = 0; i < 10 && c.status == Status::again; ++i) {
    c = link.client->read(none);  // until the ClientHello is out
  }
  REQUIRE(c.status == Status::would_block);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (link.pool->queued() == 0 && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(link.server->read(none).status == Status::would_block);  // takes the ClientHello, hands it over
  }
  REQUIRE(link.pool->queued() == 1);
  return gate;
}

TEST_CASE("tls server on a crypto pool: while a worker holds the handshake, read() waits and the owner is woken") {
  if (!offloads()) {
    return;
  }
  Link link(server_options("server"), client_options(), "localhost", 1);
  std::promise<void> gate = queue_behind_busy_worker(link);
  std::uint8_t none[1];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  CHECK(link.server->read(none).status == Status::would_block);  // the worker has it
  link.server->want_read(true);                                  // arms nothing: the worker owes the wake
  CHECK(link.server->flush().status == Status::ok);              // nothing of the handshake's is the owner's
  link.rt.run_until_idle();
  int before = link.woken;
  gate.set_value();
  while (link.pool->completed() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  link.rt.run_until_idle();
  CHECK(link.woken == before + 1);  // the worker's SocketReady
  check_established(link.handshake());
}

TEST_CASE("tls server on a crypto pool: closed while a worker holds its handshake, the stream is freed by the worker") {
  if (!offloads()) {
    return;
  }
  // As a client that resets mid-handshake, or a connect timeout: the owner
  // closes what the worker still steps (ASan: no use after free, no leak).
  Link link(server_options("server"), client_options(), "localhost", 1);
  std::promise<void> gate = queue_behind_busy_worker(link);
  std::uint8_t none[1];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  link.client->want_read(false);  // the FIN to come would wake the owner for the client
  link.rt.run_until_idle();
  int before = link.woken;
  link.server->close();
  link.server = nullptr;
  gate.set_value();
  link.pool.reset();  // runs what is queued: the handshake job frees the stream
  link.rt.run_until_idle();
  CHECK(link.woken == before);  // and wakes nobody
  // The client learns of it from the FIN.
  IoResult r{Status::would_block, 0, 0};
  while (r.status == Status::would_block && std::chrono::steady_clock::now() < deadline) {
    r = link.client->read(none);
  }
  CHECK((r.status == Status::closed || r.status == Status::error));
}

TEST_CASE("tls server on a crypto pool: many handshakes closed at any point free their streams once") {
  // Closes race the workers' hand-backs: before, during or after a step on
  // the pool (under ASan and TSan this is the check).
  for (int i = 0; i < 40; ++i) {
    CAPTURE(i);
    Link link(server_options("server"), client_options(), "localhost", 2);
    std::uint8_t none[1];
    for (int step = 0; step < i % 8; ++step) {
      link.client->read(none);
      link.server->read(none);
    }
  }
}

TEST_CASE("tls server on a crypto pool: mutual TLS and pre-shared keys work as on the owner") {
  {
    Link link(server_options("server", true), client_options("ca", "client"), "localhost", 2);
    check_established(link.handshake());
    CHECK(link.server->peer_identity() == "device-7");
  }
  {
    Link link(server_options("server", true), client_options("ca", "client-foreign"), "localhost", 2);
    Link::Handshake h = link.handshake();
    REQUIRE(h.server.failed);
    INFO(h.server.error);
    CHECK(h.server.error.find("TLS handshake failed: client certificate not accepted: ") == 0);
  }
  PskFile file(std::string("bridge-1:") + bridge_key + "\n");
  {
    Link link(psk_server(file), psk_client("bridge-1", bridge_key), "localhost", 2);
    check_established(link.handshake());
    CHECK(link.server->peer_identity() == "bridge-1");
    link.send(*link.client, "over psk");
    CHECK(link.receive(*link.server, 8) == "over psk");
  }
  {
    Link link(psk_server(file), psk_client("bridge-9", bridge_key), "localhost", 2);
    Link::Handshake h = link.handshake();
    REQUIRE(h.server.failed);
    CHECK(h.server.error == "TLS handshake failed: unknown PSK identity \"bridge-9\"");
  }
}

}  // namespace actormq::net
