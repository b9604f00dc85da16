// Edges: the inputs of a tape entry, stored like a small vector. Up to two live inline (nearly
// every op), more on the heap (concat), so recording a unary or binary op allocates nothing but
// its Node. A storage detail of node.hpp: read it as std::vector<Edge>.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace wengert {

struct Node;

// An input of an entry (PyTorch's edge): the input's node and its storage version when recorded.
struct Edge {
  std::shared_ptr<Node> node;
  std::uint64_t version = 0;
};

class Edges {
 public:
  static constexpr std::size_t kInline = 2;
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Edge* begin() { return heap_.empty() ? inline_ : heap_.data(); }
  Edge* end() { return begin() + size_; }
  const Edge* begin() const { return heap_.empty() ? inline_ : heap_.data(); }
  const Edge* end() const { return begin() + size_; }
  Edge& operator[](std::size_t i) { return begin()[i]; }
  const Edge& operator[](std::size_t i) const { return begin()[i]; }
  void reserve(std::size_t n) {
    if (n > kInline) heap_.reserve(n);
  }
  void push_back(Edge e) {
    if (heap_.empty() && size_ < kInline) {
      inline_[size_++] = std::move(e);
      return;
    }
    if (heap_.empty())  // spill the inline edges first, keeping the storage contiguous
      for (std::size_t i = 0; i < size_; ++i) heap_.push_back(std::move(inline_[i]));
    heap_.push_back(std::move(e));
    ++size_;
  }
  void clear() {
    for (Edge& e : inline_) e = Edge{};
    heap_.clear();
    size_ = 0;
  }

 private:
  Edge inline_[kInline];
  std::vector<Edge> heap_;
  std::size_t size_ = 0;
};

}  // namespace wengert
