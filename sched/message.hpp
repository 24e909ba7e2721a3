#pragma once
// Messages: move-only, heap-allocated once by the sender, linked intrusively
// into the receiver's mailbox, so a local send allocates nothing beyond the message.

#include <memory>
#include <utility>

namespace actormq::sched {

namespace detail {
template <class T>
struct TypeTag {
  static constexpr char id = 0;
};
}  // namespace detail

/// A unique, constant identity per message type, compared by address: no RTTI,
/// no registration, no cost at run time.
template <class T>
constexpr const void* type_of() {
  return &detail::TypeTag<T>::id;
}

template <class T>
class Envelope;

/// The base of every message. Signals (link, exit, monitor...) are messages
/// flagged urgent: the receiver handles them before ordinary messages.
class Message {
 public:
  virtual ~Message() = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  const void* type() const { return type_; }
  bool urgent() const { return urgent_; }

  /// The payload if this message carries a T, else nullptr.
  template <class T>
  T* as() {
    return type_ == type_of<T>() ? &static_cast<Envelope<T>*>(this)->value : nullptr;
  }
  template <class T>
  const T* as() const {
    return type_ == type_of<T>() ? &static_cast<const Envelope<T>*>(this)->value : nullptr;
  }
  template <class T>
  bool is() const {
    return type_ == type_of<T>();
  }

 protected:
  Message(const void* type, bool urgent) : type_(type), urgent_(urgent) {}

 private:
  friend class Mailbox;
  Message* next_ = nullptr;
  const void* type_;
  bool urgent_;
};

using MessagePtr = std::unique_ptr<Message>;

/// A message carrying one value of type T.
template <class T>
class Envelope final : public Message {
 public:
  template <class... Args>
  explicit Envelope(bool urgent, Args&&... args)
      : Message(type_of<T>(), urgent), value(std::forward<Args>(args)...) {}
  T value;
};

/// Builds an ordinary message carrying T{args...}.
template <class T, class... Args>
MessagePtr make_message(Args&&... args) {
  return MessagePtr(new Envelope<T>(false, std::forward<Args>(args)...));
}

/// Builds a signal: it overtakes ordinary messages in the receiver's mailbox.
template <class T, class... Args>
MessagePtr make_signal(Args&&... args) {
  return MessagePtr(new Envelope<T>(true, std::forward<Args>(args)...));
}

}  // namespace actormq::sched
