# Pure building blocks of core/ (no sockets, threads of their own, or libuv),
# included by core/CMakeLists.txt. The route table, topic trie and retained
# index are header-only templates (core/routing/route_table.hpp, core/routing/topic_trie.hpp,
# core/routing/retained_index.hpp) and need no entry here.
# config.cpp needs nlohmann_json::nlohmann_json; cli.cpp needs CLI11::CLI11
# (find_package(CLI11 CONFIG REQUIRED), Debian libcli11-dev); crypto.cpp
# needs libmbedcrypto (MBEDCRYPTO_LIB in the top CMakeLists.txt).
set(ACTORMQ_CORE_PURE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/logger.cpp
  ${CMAKE_CURRENT_LIST_DIR}/clock.cpp
  ${CMAKE_CURRENT_LIST_DIR}/config/config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/config/listeners.cpp
  ${CMAKE_CURRENT_LIST_DIR}/config/reload_plan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/config/rules.cpp
  ${CMAKE_CURRENT_LIST_DIR}/config/cluster.cpp
  ${CMAKE_CURRENT_LIST_DIR}/config/node_creation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/config/bridges.cpp
  ${CMAKE_CURRENT_LIST_DIR}/config/cli.cpp
  ${CMAKE_CURRENT_LIST_DIR}/auth/text_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/auth/crypto.cpp
  ${CMAKE_CURRENT_LIST_DIR}/siphash.cpp
  ${CMAKE_CURRENT_LIST_DIR}/auth/password_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/auth/sha512_crypt.cpp
  ${CMAKE_CURRENT_LIST_DIR}/auth/acl.cpp
  ${CMAKE_CURRENT_LIST_DIR}/auth/scram.cpp
)
