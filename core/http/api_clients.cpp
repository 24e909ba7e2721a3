#include "core/http/api_clients.hpp"

#include <algorithm>
#include <charconv>

namespace actormq::core {

namespace {

void sort_by_client(std::vector<ClientInfo>& infos) {
  std::sort(infos.begin(), infos.end(),
            [](const ClientInfo& a, const ClientInfo& b) { return a.client_id < b.client_id; });
}

bool passes(const ClientInfo& info, const ClientFilter& f) {
  if (f.client_id && info.client_id != *f.client_id) {
    return false;
  }
  return !f.username || (info.has_username && info.username == *f.username);
}

bool passes(const ClientSubscription& sub, const SubscriptionFilter& f) {
  return (!f.topic || sub.topic == *f.topic) && (!f.qos || sub.qos == *f.qos);
}

net::HttpResponse client_not_found(const std::string& client_id) {
  return api_error(404, "client " + client_id + " not found");
}

// The registry's entries, or only the one of `client_id`.
std::vector<std::pair<std::string, sched::Pid>> sessions_of(const ApiEnv& env,
                                                            const std::optional<std::string>& client_id) {
  if (!client_id) {
    return env.ctx.registry.snapshot();
  }
  std::vector<std::pair<std::string, sched::Pid>> one;
  if (auto pid = env.ctx.registry.find(*client_id)) {
    one.emplace_back(*client_id, *pid);
  }
  return one;
}

std::vector<sched::Pid> pids_of(const std::vector<std::pair<std::string, sched::Pid>>& entries, std::size_t first,
                                std::size_t count) {
  std::vector<sched::Pid> out;
  for (std::size_t i = first; i < entries.size() && i < first + count; ++i) {
    out.push_back(entries[i].second);
  }
  return out;
}

}  // namespace

Json clients_page(std::vector<ClientInfo> infos, const ClientFilter& filter, const Paging& paging,
                  const std::string& node, std::optional<std::size_t> count) {
  std::erase_if(infos, [&filter](const ClientInfo& i) { return !passes(i, filter); });
  sort_by_client(infos);
  std::vector<Json> items;
  for (const ClientInfo& info : infos) {
    items.push_back(client_json(info, node));
  }
  if (!count) {
    return paged(std::move(items), paging);
  }
  // The sessions of this page alone were asked: what they said is the page.
  return Json{{"data", std::move(items)},
              {"meta", {{"page", paging.page}, {"limit", paging.limit}, {"count", *count}}}};
}

Json subscriptions_page(const std::vector<ClientInfo>& infos, const SubscriptionFilter& filter, const Paging& paging,
                        const std::string& node) {
  std::vector<const ClientInfo*> sorted;
  for (const ClientInfo& info : infos) {
    if (!filter.client_id || info.client_id == *filter.client_id) {
      sorted.push_back(&info);
    }
  }
  std::sort(sorted.begin(), sorted.end(), [](const ClientInfo* a, const ClientInfo* b) { return a->client_id < b->client_id; });
  std::vector<Json> items;
  for (const ClientInfo* info : sorted) {
    for (const ClientSubscription& sub : info->subscriptions) {  // sorted by topic (Channel::describe)
      if (passes(sub, filter)) {
        items.push_back(subscription_json(info->client_id, sub, node));
      }
    }
  }
  return paged(std::move(items), paging);
}

ApiPlan list_clients(const Query& query, const ApiEnv& env) {
  auto paging = paging_of(query);
  if (!paging) {
    return api_error(400, paging.error().text());
  }
  ClientFilter filter = client_filter_of(query);
  auto entries = sessions_of(env, filter.client_id);  // sorted by client id
  Gather g;
  std::string node = env.site.node;
  Paging p = *paging;
  if (filter.username) {
    // Only the sessions know their user: all are asked, then filtered and paged.
    g.targets = pids_of(entries, 0, entries.size());
    g.finish = [filter, p, node](std::vector<ClientInfo> infos) {
      return json_response(clients_page(std::move(infos), filter, p, node));
    };
    return g;
  }
  std::size_t total = entries.size();
  g.targets = pids_of(entries, (p.page - 1) * p.limit, p.limit);
  g.finish = [filter, p, node, total](std::vector<ClientInfo> infos) {
    return json_response(clients_page(std::move(infos), filter, p, node, total));
  };
  return g;
}

ApiPlan get_client(const std::string& client_id, const ApiEnv& env) {
  auto pid = env.ctx.registry.find(client_id);
  if (!pid) {
    return client_not_found(client_id);
  }
  Gather g;
  g.targets = {*pid};
  g.finish = [client_id, node = env.site.node](std::vector<ClientInfo> infos) {
    if (infos.empty()) {
      return client_not_found(client_id);
    }
    return json_response(client_json(infos.front(), node));
  };
  return g;
}

ApiPlan get_client_subscriptions(const std::string& client_id, const ApiEnv& env) {
  auto pid = env.ctx.registry.find(client_id);
  if (!pid) {
    return client_not_found(client_id);
  }
  Gather g;
  g.targets = {*pid};
  g.with_subscriptions = true;
  g.finish = [client_id, node = env.site.node](std::vector<ClientInfo> infos) {
    if (infos.empty()) {
      return client_not_found(client_id);
    }
    Json list = Json::array();
    for (const ClientSubscription& sub : infos.front().subscriptions) {
      list.push_back(subscription_json(client_id, sub, node));
    }
    return json_response(list);
  };
  return g;
}

ApiPlan list_subscriptions(const Query& query, const ApiEnv& env) {
  auto paging = paging_of(query);
  if (!paging) {
    return api_error(400, paging.error().text());
  }
  auto parsed = subscription_filter_of(query);
  if (!parsed) {
    return api_error(400, parsed.error().text());
  }
  SubscriptionFilter filter = *parsed;
  auto entries = sessions_of(env, filter.client_id);
  Gather g;
  g.targets = pids_of(entries, 0, entries.size());
  g.with_subscriptions = true;
  g.finish = [filter, p = *paging, node = env.site.node](std::vector<ClientInfo> infos) {
    return json_response(subscriptions_page(infos, filter, p, node));
  };
  return g;
}

}  // namespace actormq::core
