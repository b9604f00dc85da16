// The thread's Tape: weak references to live entries in recording order, and its printout.
#include <algorithm>
#include <atomic>
#include <sstream>
#include <wengert/autograd/tape.hpp>

namespace wengert {

namespace {
std::atomic<std::uint32_t> next_tape_id{1};
}

Tape::Tape() : id_(next_tape_id.fetch_add(1)) {}

Tape& Tape::current() {
  thread_local Tape tape;
  return tape;
}

void Tape::append(const std::shared_ptr<Node>& node) {
  node->tape_id = id_;
  node->index = next_index_++;
  if (entries_.size() >= compact_at_) {
    // Drop entries whose outputs died; amortised O(1) per append, the tape stays <= 2x live + 64.
    std::erase_if(entries_, [](const std::weak_ptr<Node>& w) { return w.expired(); });
    compact_at_ = std::max<std::size_t>(64, 2 * entries_.size());
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
  compact_at_ = 64;
}

namespace {
std::int64_t bytes_of(const Tensor& t) {
  return t.defined() ? t.numel() * static_cast<std::int64_t>(dtype_size(t.dtype())) : 0;
}

// Bytes an entry keeps alive for its backward: the inputs / output it reads, and extra tensors.
std::int64_t saved_bytes(const Node& n) {
  std::int64_t bytes = 0;
  for (std::size_t i = 0; i < n.inputs.size(); ++i)
    if (saves_input(n.saves, i)) bytes += bytes_of(n.inputs[i].node->value);
  if (n.saves & kSaveOut) bytes += bytes_of(n.value);
  for (const SavedTensor& s : n.saved) bytes += bytes_of(s.tensor);
  return bytes;
}
}  // namespace

std::string Tape::to_string() const {
  std::ostringstream out;
  for (const auto& n : entries()) {
    out << "#" << n->index << "  " << n->op << "(";
    for (std::size_t i = 0; i < n->inputs.size(); ++i)
      out << (i ? ", " : "") << shape_str(n->inputs[i].node->value.shape());
    out << ") -> " << shape_str(n->value.shape());
    if (!n->name.empty()) out << " '" << n->name << "'";
    if (n->released())
      out << "  released";
    else
      out << "  saved " << saved_bytes(*n) << " B";
    out << "\n";
  }
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tape& tape) { return out << tape.to_string(); }

}  // namespace wengert
