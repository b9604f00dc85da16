// The thread's Tape: weak references to live entries in recording order.
#include <algorithm>
#include <atomic>
#include <wengert/autograd/tape.hpp>

namespace wengert {

namespace {
std::atomic<std::uint32_t> next_tape_id{detail::kFirstId};
}

Tape::Tape() : id_(next_tape_id.fetch_add(1)) {}

Tape& Tape::current() {
  thread_local Tape tape;
  return tape;
}

void Tape::append(const std::shared_ptr<Node>& node) {
  node->marks.tape = id_;
  node->index = next_index_++;
  if (entries_.size() >= compact_at_) {
    // Drop entries whose outputs died; amortised O(1) per append, the tape stays within
    // kCompactGrowth x live + kMinCompactAt.
    std::erase_if(entries_, [](const std::weak_ptr<Node>& w) { return w.expired(); });
    compact_at_ = std::max(kMinCompactAt, kCompactGrowth * entries_.size());
  }
  entries_.emplace_back(node);
}

std::vector<std::shared_ptr<Node>> Tape::entries() const {
  std::vector<std::shared_ptr<Node>> live;
  live.reserve(entries_.size());
  for (const auto& w : entries_)
    if (auto n = w.lock()) live.push_back(std::move(n));
  return live;
}

std::int64_t Tape::size() const {
  return std::count_if(entries_.begin(), entries_.end(),
                       [](const std::weak_ptr<Node>& w) { return !w.expired(); });
}

void Tape::clear() {
  for (const auto& n : entries()) n->release();
  entries_.clear();
  next_index_ = 0;
  compact_at_ = kMinCompactAt;
}

}  // namespace wengert
