#include "sched/mailbox.hpp"

#include <cstdint>

namespace actormq::sched {

namespace {
// Messages are at least pointer-aligned, so these addresses are never real ones.
Message* const blocked_tag = reinterpret_cast<Message*>(std::uintptr_t{1});
Message* const closed_tag = reinterpret_cast<Message*>(std::uintptr_t{2});

bool is_tag(Message* m) { return m == blocked_tag || m == closed_tag; }

}  // namespace

Mailbox::Mailbox() : stack_(blocked_tag) {}

Mailbox::~Mailbox() {
  Message* rest = close();
  while (rest != nullptr) {
    Message* next = rest->next_;
    delete rest;
    rest = next;
  }
}

Mailbox::PushResult Mailbox::push(MessagePtr msg) {
  Message* m = msg.release();
  Message* head = stack_.load(std::memory_order_relaxed);
  for (;;) {
    if (head == closed_tag) {
      delete m;
      return PushResult::closed;
    }
    m->next_ = head == blocked_tag ? nullptr : head;
    if (stack_.compare_exchange_weak(head, m, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      return head == blocked_tag ? PushResult::woke_reader : PushResult::queued;
    }
  }
}

void Mailbox::append(Message*& head, Message*& tail, Message* m) {
  m->next_ = nullptr;
  if (tail == nullptr) {
    head = m;
  } else {
    tail->next_ = m;
  }
  tail = m;
  ++lanes_size_;
}

void Mailbox::fetch() {
  Message* head = stack_.load(std::memory_order_relaxed);
  if (head == nullptr || is_tag(head)) {
    return;
  }
  head = stack_.exchange(nullptr, std::memory_order_acquire);
  if (head == nullptr || is_tag(head)) {
    // Only the owner replaces a real chain, so this is unreachable; restore and stop.
    stack_.store(head, std::memory_order_release);
    return;
  }
  // The stack is newest-first: reverse it to arrival order.
  Message* fifo = nullptr;
  while (head != nullptr) {
    Message* next = head->next_;
    head->next_ = fifo;
    fifo = head;
    head = next;
  }
  while (fifo != nullptr) {
    Message* next = fifo->next_;
    if (fifo->urgent()) {
      append(urgent_head_, urgent_tail_, fifo);
    } else {
      append(normal_head_, normal_tail_, fifo);
    }
    fifo = next;
  }
}

Message* Mailbox::pop() {
  Message*& head = urgent_head_ != nullptr ? urgent_head_ : normal_head_;
  Message*& tail = urgent_head_ != nullptr ? urgent_tail_ : normal_tail_;
  Message* m = head;
  if (m == nullptr) {
    return nullptr;
  }
  head = m->next_;
  if (head == nullptr) {
    tail = nullptr;
  }
  m->next_ = nullptr;
  --lanes_size_;
  return m;
}

bool Mailbox::try_block() {
  Message* expected = nullptr;
  if (stack_.compare_exchange_strong(expected, blocked_tag, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
    return true;
  }
  fetch();
  return false;
}

Message* Mailbox::close() {
  Message* head = stack_.exchange(closed_tag, std::memory_order_acq_rel);
  if (is_tag(head)) {
    head = nullptr;
  }
  Message* fifo = nullptr;
  while (head != nullptr) {
    Message* next = head->next_;
    head->next_ = fifo;
    fifo = head;
    head = next;
  }
  // Lanes first (they arrived earlier), then what was still on the stack.
  Message* out = nullptr;
  Message** link = &out;
  for (Message* lane : {urgent_head_, normal_head_}) {
    *link = lane;
    while (*link != nullptr) {
      link = &(*link)->next_;
    }
  }
  *link = fifo;
  urgent_head_ = urgent_tail_ = normal_head_ = normal_tail_ = nullptr;
  lanes_size_ = 0;
  return out;
}

bool Mailbox::stack_has_mail() const {
  Message* head = stack_.load(std::memory_order_relaxed);
  return head != nullptr && !is_tag(head);
}

bool Mailbox::closed() const { return stack_.load(std::memory_order_acquire) == closed_tag; }

}  // namespace actormq::sched
