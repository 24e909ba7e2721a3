#include "core/http/api_reload.hpp"

#include "sched/runtime.hpp"

namespace actormq::core {

ApiPlan reload(const ApiEnv& env) {
  if (!env.ctx.reload) {
    return api_error(409, "this broker was started without a configuration file (--config): nothing to reload");
  }
  Run run;
  run.start = [&ctx = env.ctx](sched::Pid reply_to, std::uint64_t tag) {
    return ctx.reload([&runtime = ctx.runtime, reply_to, tag](ReloadReport report) {
      runtime.send<ReloadDone>(reply_to, ReloadDone{tag, std::move(report)});
    });
  };
  run.finish = [](sched::Message& answer) { return reload_response(answer.as<ReloadDone>()->report); };
  run.busy = api_error(409, "a reload is already running");
  return run;
}

net::HttpResponse reload_response(const ReloadReport& report) {
  if (!report.file_ok) {
    net::HttpResponse response = api_error(400, "the configuration file was not applied; the running configuration "
                                                "stays: " + (report.errors.empty() ? "" : report.errors.front()));
    Json body = Json::parse(response.body);
    body["errors"] = report.errors;
    return json_response(body, 400);
  }
  return json_response(
      Json{{"changed", report.changed}, {"needs_restart", report.needs_restart}, {"errors", report.errors}});
}

}  // namespace actormq::core
