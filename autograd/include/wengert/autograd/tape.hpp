// The tape: this thread's Wengert list, every recorded entry in recording order.
//
// Recording order is a topological order (an op runs after the ops that produced its inputs), so
// a backward sweep visits entries in reverse recording order. The tape does not own entries:
// each entry lives in its output's Node and dies with it, so a graph nobody can reach (a finished
// minibatch, state cut off with detach()) is freed at once. The tape keeps weak references only,
// and compacts away dead ones as it grows, so it stays within about twice the live entries.
// A graph belongs to the thread that recorded it; mixing entries of two threads in one op throws.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "node.hpp"

namespace wengert {

class Tape {
 public:
  static Tape& current();  // this thread's tape

  // Live entries (their outputs still exist), in recording order.
  std::vector<std::shared_ptr<Node>> entries() const;
  std::int64_t size() const;
  // Releases every live entry of this thread (frees saved tensors and inputs, so a later backward
  // through them throws) and restarts numbering at 0. A hard reset between training steps.
  void clear();
  // One line per entry: index, op, input shapes -> output shape, saved bytes.
  std::string to_string() const;

  // Called by record().
  void append(const std::shared_ptr<Node>& node);
  std::uint32_t id() const { return id_; }
  std::int64_t next_index() const { return next_index_; }

 private:
  Tape();
  std::vector<std::weak_ptr<Node>> entries_;
  std::int64_t next_index_ = 0;
  // Dead entries are dropped once the list reaches compact_at_: kCompactGrowth times the live
  // entries after the last compaction, and never below kMinCompactAt (so short tapes are not
  // scanned on every op).
  static constexpr std::size_t kCompactGrowth = 2;
  static constexpr std::size_t kMinCompactAt = 64;
  std::size_t compact_at_ = kMinCompactAt;
  std::uint32_t id_;
};

std::ostream& operator<<(std::ostream& out, const Tape& tape);

}  // namespace wengert
