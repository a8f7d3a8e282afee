#pragma once

// Handing work to another thread through Qt's event queue, in a way ThreadSanitizer can see.
//
// A queued call synchronises through Qt's own internals (its post-event list and the event
// dispatcher's wake-up). Debian's Qt is not built with ThreadSanitizer, so a TSan build of
// SockLab cannot see that synchronisation and would report everything handed over (the
// captured arguments, the call object itself) as a data race. queuedCall() marks the
// handoff: a release when the call object is complete, an acquire before it runs. Without
// TSan the marks compile to nothing and queuedCall() is QMetaObject::invokeMethod.

#include <QMetaObject>
#include <QObject>

#include <utility>

#if defined(__SANITIZE_THREAD__)
#define SOCKLAB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SOCKLAB_TSAN 1
#endif
#endif

#ifdef SOCKLAB_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace socklab::handoff {

// Everything this thread did before release(p) happens before what another thread does
// after acquire(p).
inline void release([[maybe_unused]] const void *p)
{
#ifdef SOCKLAB_TSAN
    __tsan_release(const_cast<void *>(p));
#endif
}

inline void acquire([[maybe_unused]] const void *p)
{
#ifdef SOCKLAB_TSAN
    __tsan_acquire(const_cast<void *>(p));
#endif
}

namespace detail {

// Released when copied or moved into place. Being the last member of Call, it is
// constructed after the function it guards, inside Qt's call object.
struct Mark
{
    Mark() { release(this); }
    Mark(const Mark &) { release(this); }
    Mark(Mark &&) noexcept { release(this); }
    Mark &operator=(const Mark &) = delete;
};

template <typename F> class Call
{
  public:
    explicit Call(F f) : m_f(std::move(f)) {}
    Call(const Call &) = default;
    Call(Call &&) noexcept = default;
    // Qt frees its call object on whichever thread drops the last reference: the caller's, if
    // the call already ran. Acquiring here orders the run before the free.
    ~Call() { acquire(&m_mark); }
    void operator()()
    {
        acquire(&m_mark); // first: before the captured values are read
        m_f();
        release(&m_mark); // for ~Call, wherever it runs
    }

  private:
    F m_f;
    Mark m_mark; // last
};

} // namespace detail

// Runs f on target's thread, from its event loop (Qt::QueuedConnection).
template <typename F> void queuedCall(QObject *target, F f)
{
    QMetaObject::invokeMethod(target, detail::Call<F>(std::move(f)), Qt::QueuedConnection);
}

} // namespace socklab::handoff
