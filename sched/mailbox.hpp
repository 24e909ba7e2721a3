#pragma once
// The mailbox: many writers, one reader (CAF's lifo_inbox model).
//
// Writers push onto a lock-free LIFO stack with one CAS. The reader takes the
// whole stack with one exchange, reverses it into FIFO order and splits it
// into an urgent lane (signals) and a normal lane. The stack head doubles as
// the process's sleep flag: a reader that finds nothing parks the head on a
// `blocked` sentinel, and the writer that replaces the sentinel is the one
// that must schedule the process, so a wake-up is never lost or doubled.

#include <atomic>
#include <cstdint>

#include "sched/message.hpp"

namespace actormq::sched {

class Mailbox {
 public:
  enum class PushResult : std::uint8_t {
    queued,          ///< the process was awake or already scheduled
    woke_reader,     ///< the process was blocked: the caller must schedule it
    closed,          ///< the process is gone; the message was destroyed
  };

  /// Starts blocked: a new process has nothing to do until it gets a message.
  Mailbox();
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  /// Thread-safe. Takes ownership; on `closed` the message is destroyed.
  PushResult push(MessagePtr msg);

  /// Owner-only. Moves everything pushed so far into the lanes.
  void fetch();
  /// Owner-only. The next message, urgent lane first; nullptr when both lanes
  /// are empty (call fetch() or try_block()).
  Message* pop();
  /// Owner-only. True if both lanes are empty (the stack may still hold messages).
  bool lanes_empty() const { return urgent_head_ == nullptr && normal_head_ == nullptr; }
  /// Owner-only. Parks the stack on the blocked sentinel if it is empty.
  /// Returns false if messages arrived meanwhile (they are fetched).
  bool try_block();
  /// Owner-only. Refuses all further pushes; returns the messages still queued,
  /// in order, so the caller can answer signals (e.g. DOWN noproc) and drop the rest.
  Message* close();
  bool closed() const;
  /// Unlinks and returns the first message of a chain returned by close().
  static MessagePtr take_front(Message*& chain) {
    Message* m = chain;
    chain = m->next_;
    m->next_ = nullptr;
    return MessagePtr(m);
  }
  /// Owner-only, approximate: messages in the lanes (not the stack).
  std::uint32_t lanes_size() const { return lanes_size_; }
  /// Owner-only: true if messages were pushed since the last fetch.
  bool stack_has_mail() const;

 private:
  void append(Message*& head, Message*& tail, Message* m);

  std::atomic<Message*> stack_;
  Message* urgent_head_ = nullptr;
  Message* urgent_tail_ = nullptr;
  Message* normal_head_ = nullptr;
  Message* normal_tail_ = nullptr;
  std::uint32_t lanes_size_ = 0;
};

}  // namespace actormq::sched
