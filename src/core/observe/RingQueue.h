#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace socklab {

// A first-in first-out queue in one growing array used as a ring: pushing at the back and
// popping at the front allocate nothing once it has grown to its working size (a std::deque
// allocates a block every few large elements, which the wire's bursts of thousands of frames
// felt). Indexed from the front. Its capacity is a power of two.
template <typename T> class RingQueue
{
  public:
    bool empty() const { return m_size == 0; }
    std::size_t size() const { return m_size; }
    T &operator[](std::size_t i) { return m_items[(m_head + i) & (m_items.size() - 1)]; }
    const T &operator[](std::size_t i) const
    {
        return m_items[(m_head + i) & (m_items.size() - 1)];
    }
    T &front() { return (*this)[0]; }
    const T &front() const { return (*this)[0]; }
    T &back() { return (*this)[m_size - 1]; }

    void push_back(T &&item)
    {
        if (m_size == m_items.size())
            grow();
        (*this)[m_size] = std::move(item);
        ++m_size;
    }
    // What it held is released now (an element's strings, say), not when its place is reused.
    void pop_front()
    {
        front() = T{};
        m_head = (m_head + 1) & (m_items.size() - 1);
        --m_size;
    }
    // Empty, and its memory given back.
    void clear()
    {
        m_items = std::vector<T>();
        m_head = m_size = 0;
    }

  private:
    void grow()
    {
        std::vector<T> bigger(m_items.empty() ? 64 : 2 * m_items.size());
        for (std::size_t i = 0; i < m_size; ++i)
            bigger[i] = std::move((*this)[i]);
        m_items.swap(bigger);
        m_head = 0;
    }

    std::vector<T> m_items;
    std::size_t m_head = 0, m_size = 0;
};

} // namespace socklab
