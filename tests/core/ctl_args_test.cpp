#include <doctest/doctest.h>

#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "core/ctl/ctl_args.hpp"

using namespace actormq::core::ctl;

namespace {

struct Run {
  CtlParse parse;
  std::string out;
  std::string err;
};

Run run(std::initializer_list<const char*> args, const char* env_password = nullptr) {
  std::vector<const char*> argv{"ctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream out;
  std::ostringstream err;
  CtlParse parse = parse_ctl_args(static_cast<int>(argv.size()), argv.data(), out, err, env_password);
  return {std::move(parse), out.str(), err.str()};
}

// A bad command line: exit 2, nothing on stdout, the reason and the usage on stderr.
void check_usage_error(const Run& r, const std::string& reason) {
  CHECK_FALSE(r.parse.options);
  CHECK(r.parse.exit_code == ctl_usage);
  CHECK(r.out.empty());
  CHECK(r.err.find(reason) != std::string::npos);
  CHECK(r.err.find("usage: actormq ctl") != std::string::npos);
}

}  // namespace

TEST_CASE("ctl: status with the defaults") {
  Run r = run({"status"});
  REQUIRE(r.parse.options);
  CHECK(r.parse.options->command == Command::status);
  CHECK(r.parse.options->config_file.empty());
  CHECK_FALSE(r.parse.options->api);
  CHECK_FALSE(r.parse.options->pid_file);
  CHECK(r.parse.options->user.empty());
  CHECK(r.err.empty());
}

TEST_CASE("ctl: the general options, before or after the command") {
  for (bool after : {false, true}) {
    std::vector<const char*> general{"--config", "/etc/actormq.json", "--api", "http://10.0.0.1:9000/",
                                     "--pid-file", "/run/a.pid", "--user", "admin", "--password", "pw"};
    std::vector<const char*> argv{"ctl"};
    if (!after) {
      argv.insert(argv.end(), general.begin(), general.end());
    }
    argv.push_back("upgrade");
    argv.push_back("--timeout");
    argv.push_back("2.5");
    if (after) {
      argv.insert(argv.end(), general.begin(), general.end());
    }
    std::ostringstream out;
    std::ostringstream err;
    CtlParse p = parse_ctl_args(static_cast<int>(argv.size()), argv.data(), out, err, nullptr);
    REQUIRE_MESSAGE(p.options, err.str());
    CHECK(p.options->command == Command::upgrade);
    CHECK(p.options->timeout_s == 2.5);
    CHECK(p.options->config_file == "/etc/actormq.json");
    CHECK(p.options->api == HttpEndpoint{"10.0.0.1", 9000});
    CHECK(p.options->pid_file == "/run/a.pid");
    CHECK(p.options->user == "admin");
    CHECK(p.options->password == "pw");
  }
}

TEST_CASE("ctl: the password from the environment unless given") {
  Run from_env = run({"--user", "u", "status"}, "secret");
  REQUIRE(from_env.parse.options);
  CHECK(from_env.parse.options->password == "secret");
  Run given = run({"--user", "u", "--password", "pw", "status"}, "secret");
  REQUIRE(given.parse.options);
  CHECK(given.parse.options->password == "pw");
}

TEST_CASE("ctl: --help lists the commands on stdout, exit 0") {
  Run r = run({"--help"});
  CHECK_FALSE(r.parse.options);
  CHECK(r.parse.exit_code == ctl_ok);
  CHECK(r.out.find("status") != std::string::npos);
  CHECK(r.out.find("upgrade") != std::string::npos);
  CHECK(r.err.empty());
}

TEST_CASE("ctl: bad command lines give the usage and exit 2") {
  check_usage_error(run({}), "no command given");
  check_usage_error(run({"frob"}), "unknown command \"frob\"");
  check_usage_error(run({"status", "extra"}), "unknown command \"extra\"");
  check_usage_error(run({"--bogus", "status"}), "unknown option \"--bogus\"");
  check_usage_error(run({"upgrade", "--nope"}), "unknown option \"--nope\"");
  check_usage_error(run({"status", "upgrade"}), "");
  check_usage_error(run({"status", "--timeout", "3"}), "");  // upgrade's option only
  check_usage_error(run({"upgrade", "--timeout"}), "--timeout");
  check_usage_error(run({"upgrade", "--timeout", "soon"}), "--timeout");
  check_usage_error(run({"upgrade", "--timeout", "0"}), "--timeout");
  check_usage_error(run({"upgrade", "--timeout", "-1"}), "--timeout");
  check_usage_error(run({"status", "--api"}), "--api");
  check_usage_error(run({"--password", "pw", "status"}), "--password needs --user");
}

TEST_CASE("ctl: a malformed --api is a bad command line") {
  check_usage_error(run({"--api", "https://127.0.0.1:8444", "status"}), "https is not supported");
  check_usage_error(run({"--api", "http://127.0.0.1:0", "status"}), "the port must be a number from 1 to 65535");
  check_usage_error(run({"--api", "http://127.0.0.1:65536", "status"}), "1 to 65535");
  check_usage_error(run({"--api", "http://127.0.0.1:80x", "status"}), "1 to 65535");
  check_usage_error(run({"--api", "http://:8081", "status"}), "no host");
  check_usage_error(run({"--api", "http://h:1/api/v1", "status"}), "without a path");
  check_usage_error(run({"--api", "ftp://h:1", "status"}), "only http://");
  check_usage_error(run({"--api", "::1:8081", "status"}), "in brackets");
  check_usage_error(run({"--api", "http://[::1", "status"}), "malformed IPv6");
  check_usage_error(run({"--api", "http://[]:80", "status"}), "malformed IPv6");
  check_usage_error(run({"--api", "http://[::1]8081", "status"}), "expected :PORT");
}

TEST_CASE("ctl: evacuate takes its order, waits by default, or cancels") {
  Run plain = run({"evacuate"});
  REQUIRE(plain.parse.options);
  CHECK(plain.parse.options->command == Command::evacuate);
  const EvacuateOptions& d = plain.parse.options->evacuate;
  CHECK(d.wait);
  CHECK_FALSE(d.cancel);
  CHECK(d.node.empty());
  CHECK_FALSE(d.rate);
  CHECK(plain.parse.options->timeout_s == 600);

  Run full = run({"evacuate", "n1", "--redirect-to", "10.0.0.2:1883", "--rate", "50", "--session-rate", "7",
                  "--wait-takeover", "0", "--timeout", "30", "--user", "ops"});
  REQUIRE(full.parse.options);
  const EvacuateOptions& e = full.parse.options->evacuate;
  CHECK(e.node == "n1");
  CHECK(e.redirect_to == "10.0.0.2:1883");
  CHECK(e.rate == std::optional<std::uint32_t>(50));
  CHECK(e.session_rate == std::optional<std::uint32_t>(7));
  CHECK(e.wait_takeover_s == std::optional<std::uint32_t>(0));
  CHECK(full.parse.options->timeout_s == 30);
  CHECK(full.parse.options->user == "ops");

  Run to = run({"evacuate", "--migrate-to", "n2,n3"});
  REQUIRE(to.parse.options);
  CHECK(to.parse.options->evacuate.migrate_to == std::vector<std::string>{"n2", "n3"});

  Run quick = run({"evacuate", "--no-wait"});
  REQUIRE(quick.parse.options);
  CHECK_FALSE(quick.parse.options->evacuate.wait);
  Run cancel = run({"evacuate", "--cancel"});
  REQUIRE(cancel.parse.options);
  CHECK(cancel.parse.options->evacuate.cancel);
}

TEST_CASE("ctl: a malformed evacuate is a bad command line") {
  check_usage_error(run({"evacuate", "--rate", "0"}), "--rate");
  check_usage_error(run({"evacuate", "--rate", "many"}), "--rate");
  check_usage_error(run({"evacuate", "--session-rate", "-3"}), "--session-rate");
  check_usage_error(run({"evacuate", "--wait-takeover", "3601"}), "--wait-takeover");
  check_usage_error(run({"evacuate", "--timeout", "0"}), "--timeout");
  check_usage_error(run({"evacuate", "--cancel", "--rate", "5"}), "--cancel takes no other option");
  check_usage_error(run({"evacuate", "--no-wait", "--timeout", "5"}), "exclude each other");
  check_usage_error(run({"evacuate", "n1", "n2"}), "n2");
  check_usage_error(run({"evacuate", "--redirect"}), "--redirect");
}
