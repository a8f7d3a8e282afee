#include "SocketOps.h"

#include "CancelToken.h"
#include "ErrnoText.h"
#include "Platform.h"
#include "ThreadHandoff.h"

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <netdb.h>
#include <poll.h>
#include <thread>
#include <unistd.h>

#include <cstring>
#include <system_error>

namespace socklab::ops {

using platform::monotonicNs;

QString addressText(const sockaddr *sa)
{
    char buf[INET6_ADDRSTRLEN] = {};
    if (sa->sa_family == AF_INET) {
        const auto *in = reinterpret_cast<const sockaddr_in *>(sa);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        return QStringLiteral("%1:%2").arg(QLatin1String(buf)).arg(ntohs(in->sin_port));
    }
    if (sa->sa_family == AF_INET6) {
        const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(sa);
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
        return QStringLiteral("[%1]:%2").arg(QLatin1String(buf)).arg(ntohs(in6->sin6_port));
    }
    return QStringLiteral("?");
}

QString localAddressText(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return {};
    return addressText(reinterpret_cast<sockaddr *>(&ss));
}

QString peerAddressText(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return {};
    return addressText(reinterpret_cast<sockaddr *>(&ss));
}

quint16 localPort(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port);
    return 0;
}

namespace {
QString stripBrackets(const QString &host)
{
    if (host.size() > 2 && host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        return host.mid(1, host.size() - 2);
    return host;
}

ResolvedAddress fromAddrinfo(const addrinfo *ai)
{
    ResolvedAddress r;
    std::memcpy(&r.addr, ai->ai_addr, ai->ai_addrlen);
    r.len = ai->ai_addrlen;
    r.family = ai->ai_family;
    r.text = addressText(ai->ai_addr);
    return r;
}

// Lookup threads still running, abandoned by a cancelled wait included. getaddrinfo cannot be
// interrupted, so a name server that never answers keeps its thread for the resolver's own
// timeout; past kMaxLookups a new lookup is refused instead of adding another.
std::atomic<int> g_lookups{0};

// getaddrinfo's answer, shared with a helper thread that may outlive a cancelled wait.
struct Lookup
{
    int doneFd = -1;
    int rc = 0;
    QList<ResolvedAddress> result;
    ~Lookup()
    {
        if (doneFd >= 0)
            ::close(doneFd);
    }
};
} // namespace

bool parseNumericAddress(const QString &host, quint16 port, ResolvedAddress *out)
{
    const QByteArray h = stripBrackets(host.trimmed()).toLatin1();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo *res = nullptr;
    const QByteArray service = QByteArray::number(port);
    if (getaddrinfo(h.constData(), service.constData(), &hints, &res) != 0 || !res)
        return false;
    *out = fromAddrinfo(res);
    freeaddrinfo(res);
    return true;
}

int lookupsRunning()
{
    return g_lookups.load();
}

int resolve(const QString &host, quint16 port, CancelToken &cancel, QList<ResolvedAddress> *out,
            QString *error)
{
    out->clear();
    ResolvedAddress numeric;
    if (parseNumericAddress(host, port, &numeric)) {
        out->append(numeric);
        return 0;
    }
    auto lookup = std::make_shared<Lookup>();
    lookup->doneFd = platform::wakeFdCreate();
    if (lookup->doneFd < 0) {
        // Out of descriptors (EMFILE): without its wake-up the wait below would never end.
        const int err = errno;
        *error = QStringLiteral("Cannot resolve '%1': %2").arg(host, explainErrno(err, {}));
        return EAI_SYSTEM;
    }
    const QByteArray name = stripBrackets(host.trimmed()).toUtf8();
    if (g_lookups.fetch_add(1) >= kMaxLookups) {
        g_lookups.fetch_sub(1);
        *error = QStringLiteral("Cannot resolve '%1' now: %2 name lookups are still waiting for "
                                "an answer (a name server that does not reply). Use an address, "
                                "or try again when they have given up.")
                     .arg(host)
                     .arg(kMaxLookups);
        return EAI_AGAIN;
    }
    try {
        std::thread([lookup, name, port] {
            addrinfo hints{};
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;
            hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
            addrinfo *res = nullptr;
            const QByteArray service = QByteArray::number(port);
            lookup->rc = getaddrinfo(name.constData(), service.constData(), &hints, &res);
            for (addrinfo *ai = res; ai; ai = ai->ai_next) {
                if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
                    lookup->result.append(fromAddrinfo(ai));
            }
            if (res)
                freeaddrinfo(res);
            handoff::release(lookup.get()); // the eventfd orders it; TSan does not see that
            platform::wakeFdSignal(lookup->doneFd);
            g_lookups.fetch_sub(1);
        }).detach();
    } catch (const std::system_error &e) {
        g_lookups.fetch_sub(1);
        // Out of threads (EAGAIN): say so rather than let the exception end the program.
        *error = QStringLiteral("Cannot resolve '%1': no thread for the lookup (%2).")
                     .arg(host, QString::fromLocal8Bit(e.what()));
        return EAI_SYSTEM;
    }

    pollfd fds[2] = {{lookup->doneFd, POLLIN, 0}, {cancel.wakeFd(), POLLIN, 0}};
    for (;;) {
        const int n = ::ppoll(fds, 2, nullptr, nullptr);
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    if (!(fds[0].revents & POLLIN)) {
        *error = QStringLiteral("Name lookup cancelled.");
        return EAI_CANCELED;
    }
    handoff::acquire(lookup.get());
    if (lookup->rc != 0) {
        *error = QStringLiteral("Cannot resolve '%1': %2.")
                     .arg(host, QString::fromLocal8Bit(gai_strerror(lookup->rc)));
        return lookup->rc;
    }
    if (lookup->result.isEmpty()) {
        *error = QStringLiteral("'%1' has no IPv4 or IPv6 address.").arg(host);
        return EAI_NONAME;
    }
    *out = lookup->result;
    return 0;
}

int setNonBlocking(int fd, bool on)
{
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return errno;
    const int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (wanted != flags && fcntl(fd, F_SETFL, wanted) != 0)
        return errno;
    return 0;
}

int bind(int fd, const ResolvedAddress &at)
{
    return ::bind(fd, reinterpret_cast<const sockaddr *>(&at.addr), at.len) == 0 ? 0 : errno;
}

int listen(int fd, int backlog)
{
    return ::listen(fd, backlog) == 0 ? 0 : errno;
}

namespace {
enum class Wait
{
    Ready,
    Deadline,
    Cancelled,
    Error
};

// Waits for `events` on fd until deadlineNs (-1: no deadline) or cancellation.
//
// The deadline is kept by a timerfd armed at it, in the set with the socket: the kernel lets
// ppoll's own timeout (and poll's, and so Python's settimeout) fire up to 0.1% of it late,
// whatever the thread's timer slack: 10 ms at 10 s, 100 ms at 100 s. A timerfd's timer has
// no such slack. ppoll keeps its timeout too, in case the timer could not be armed.
Wait waitFor(int fd, short events, qint64 deadlineNs, CancelToken &cancel, short *revents, int *err)
{
    pollfd fds[3] = {{fd, events, 0}, {cancel.wakeFd(), POLLIN, 0}, {-1, POLLIN, 0}};
    if (deadlineNs >= 0) {
        const int timer = cancel.deadlineFd(); // the waiting thread's own
        // Arming clears an expiry left from the thread's last wait.
        if (timer >= 0 && platform::alarmFdSet(timer, deadlineNs))
            fds[2].fd = timer;
    }
    const int nfds = fd >= 0 ? 3 : 2;
    pollfd *set = fd >= 0 ? fds : fds + 1;
    for (;;) {
        if (cancel.isCancelled())
            return Wait::Cancelled;
        timespec ts{};
        timespec *tsp = nullptr;
        if (deadlineNs >= 0) {
            const qint64 left = deadlineNs - monotonicNs();
            if (left <= 0)
                return Wait::Deadline;
            ts.tv_sec = left / 1000000000LL;
            ts.tv_nsec = left % 1000000000LL;
            tsp = &ts;
        }
        fds[0].revents = fds[1].revents = fds[2].revents = 0;
        const int n = ::ppoll(set, nfds, tsp, nullptr);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            return Wait::Error;
        }
        if (fds[1].revents)
            return Wait::Cancelled;
        if (fds[0].revents) { // never set when there is no socket (fd < 0: not polled)
            *revents = fds[0].revents;
            return Wait::Ready;
        }
        // A timeout, or the timer: the loop checks the deadline against the clock.
    }
}

qint64 deadlineFor(const Timeout &t, qint64 startNs)
{
    return t.isForever() ? -1 : startNs + t.ms * 1000000LL;
}

// The start of a call: the monotonic clock and, for a call with a deadline, the thread's run
// delay so far. Both run-delay readings lie inside the call's measured time (each costs
// ~0.4 us), so the run delay found between them is part of that time.
void stampStart(CallOutcome &o, const Timeout &t, const CancelToken &cancel)
{
    o.startNs = monotonicNs();
    o.statFd = cancel.statFd();
    o.runDelayAtStartNs = t.mode == Timeout::Mode::Deadline ? platform::runDelayNs(o.statFd) : -1;
}

// The end of a call: both clocks, read as it returned.
void stampEnd(CallOutcome &o)
{
    const platform::Instant at = platform::now();
    o.endNs = at.monoNs;
    o.endWall = at.wall;
}

// The thread's run delay now, for a call that has its starting value; -1 otherwise.
qint64 runDelayAtEnd(const CallOutcome &o)
{
    return o.runDelayAtStartNs >= 0 ? platform::runDelayNs(o.statFd) : -1;
}

// A call that timed out: how long its thread was ready to run but not running between its
// start and `atEnd`.
void noteRunDelay(CallOutcome &o, qint64 atEnd)
{
    if (o.status == CallOutcome::Status::Timeout && o.runDelayAtStartNs >= 0 &&
        atEnd >= o.runDelayAtStartNs)
        o.runDelayNs = atEnd - o.runDelayAtStartNs;
}

CallOutcome finish(CallOutcome o, CallOutcome::Status s, int err = 0)
{
    const qint64 delay = s == CallOutcome::Status::Timeout ? runDelayAtEnd(o) : -1;
    stampEnd(o);
    o.status = s;
    o.err = err;
    noteRunDelay(o, delay);
    return o;
}

CallOutcome fromWait(CallOutcome o, Wait w, int err)
{
    switch (w) {
    case Wait::Deadline:
        return finish(o, CallOutcome::Status::Timeout, EAGAIN);
    case Wait::Cancelled:
        return finish(o, CallOutcome::Status::Cancelled);
    default:
        return finish(o, CallOutcome::Status::Error, err);
    }
}

// A call that blocks inside the kernel (sockopt mechanism, or none): Stop shuts the fd down.
// t is the call's timeout, armed in `timeo` (SO_RCVTIMEO or SO_SNDTIMEO) by the engine. A
// signal handled without SA_RESTART ends the call early with EINTR; calling again as is would
// give it the whole timeout once more (a signal every second would make a 2 s timeout never
// expire), so the call resumes with the time that is left, and the option is put back after.
// A resumed part can itself come back timed out a little before the deadline (the kernel
// counts the remainder in jiffies, not on the monotonic clock; seen once on a loaded VM, a
// resumed connect() 1.7 ms early): SockLab split the call, so the call is not over until its
// deadline, and it goes on waiting for what is left.
template <typename Fn>
CallOutcome blockingCall(int fd, CancelToken &cancel, Fn fn, int timeoutErrno, const Timeout &t,
                         platform::OptionId timeo)
{
    CallOutcome o;
    o.bytes = -1; // the call's return value, even when cancelled (accept: a descriptor)
    stampStart(o, t, cancel);
    if (!cancel.enterBlocking(fd))
        return finish(o, CallOutcome::Status::Cancelled);
    const bool deadline = t.mode == Timeout::Mode::Deadline;
    const auto timedOut = [timeoutErrno](int err) {
        return err == timeoutErrno || (timeoutErrno == EAGAIN && err == EWOULDBLOCK);
    };
    bool resumed = false;
    ssize_t rc;
    int e = 0;
    for (;;) {
        rc = fn();
        e = rc < 0 ? errno : 0;
        if (resumed && rc < 0 && e == EALREADY && timeoutErrno == EINPROGRESS)
            e = EINPROGRESS; // a resumed connect() words its expiry so; the attempt goes on
        if (rc >= 0 || cancel.isCancelled())
            break;
        if (e != EINTR && !(resumed && deadline && timedOut(e)))
            break;
        if (deadline) {
            const qint64 leftNs = o.startNs + t.ms * 1000000LL - monotonicNs();
            if (leftNs <= 0) {
                e = timeoutErrno;
                break;
            }
            platform::setOption(fd, timeo, (leftNs + 999999) / 1000000);
        }
        resumed = true;
    }
    if (resumed && deadline)
        platform::setOption(fd, timeo, t.ms);
    const qint64 delay = runDelayAtEnd(o);
    stampEnd(o);
    cancel.leaveBlocking();
    o.bytes = rc;
    if (cancel.isCancelled()) {
        o.status = CallOutcome::Status::Cancelled;
        return o;
    }
    if (rc < 0) {
        o.status = timedOut(e) ? CallOutcome::Status::Timeout : CallOutcome::Status::Error;
        o.err = e;
        noteRunDelay(o, delay);
        return o;
    }
    o.bytes = rc;
    o.status = CallOutcome::Status::Ok;
    return o;
}

bool kernelTimed(const Timeout &t, TimeoutMechanism m)
{
    // Without a timeout, the poll mechanism still waits in ppoll (instantly cancellable);
    // sockopt mode blocks in the kernel the way a plain blocking socket does.
    return m == TimeoutMechanism::SockOpt && t.mode != Timeout::Mode::NonBlocking;
}
} // namespace

CallOutcome connect(int fd, const ResolvedAddress &to, const Timeout &t, TimeoutMechanism m,
                    CancelToken &cancel, const std::function<void()> &underway)
{
    const auto *sa = reinterpret_cast<const sockaddr *>(&to.addr);
    setNonBlocking(fd, !kernelTimed(t, m));
    if (kernelTimed(t, m)) {
        // SO_SNDTIMEO bounds connect(); when it expires Linux returns EINPROGRESS and the
        // handshake goes on in SYN-SENT.
        return blockingCall(
            fd, cancel, [&] { return ssize_t(::connect(fd, sa, to.len)); }, EINPROGRESS, t,
            platform::OptionId::SndTimeo);
    }
    CallOutcome o;
    stampStart(o, t, cancel);
    if (::connect(fd, sa, to.len) == 0)
        return finish(o, CallOutcome::Status::Ok);
    if (errno != EINPROGRESS)
        return finish(o, CallOutcome::Status::Error, errno);
    if (underway)
        underway();
    if (t.mode == Timeout::Mode::NonBlocking)
        return finish(o, CallOutcome::Status::Error, EINPROGRESS);
    short rev = 0;
    int err = 0;
    const Wait w = waitFor(fd, POLLOUT, deadlineFor(t, o.startNs), cancel, &rev, &err);
    if (w != Wait::Ready)
        return fromWait(o, w, err);
    int soErr = 0;
    socklen_t len = sizeof soErr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &len);
    return finish(o, soErr ? CallOutcome::Status::Error : CallOutcome::Status::Ok, soErr);
}

CallOutcome recv(int fd, char *buf, size_t len, const Timeout &t, TimeoutMechanism m,
                 CancelToken &cancel)
{
    CallOutcome o;
    setNonBlocking(fd, !kernelTimed(t, m));
    if (kernelTimed(t, m)) {
        o = blockingCall(
            fd, cancel, [&] { return ::recv(fd, buf, len, 0); }, EAGAIN, t,
            platform::OptionId::RcvTimeo);
    } else {
        stampStart(o, t, cancel);
        if (t.mode != Timeout::Mode::NonBlocking) {
            short rev = 0;
            int err = 0;
            const Wait w = waitFor(fd, POLLIN, deadlineFor(t, o.startNs), cancel, &rev, &err);
            if (w != Wait::Ready)
                return fromWait(o, w, err);
        }
        const ssize_t n = ::recv(fd, buf, len, MSG_DONTWAIT);
        if (n < 0)
            return finish(o, CallOutcome::Status::Error, errno);
        o = finish(o, CallOutcome::Status::Ok);
        o.bytes = n;
    }
    if (o.status == CallOutcome::Status::Ok && o.bytes == 0 && len > 0)
        o.status = CallOutcome::Status::PeerClosed;
    return o;
}

CallOutcome sendAll(int fd, const char *buf, size_t len, const Timeout &t, TimeoutMechanism m,
                    CancelToken &cancel)
{
    const qint64 firstStart = monotonicNs();
    size_t done = 0;
    CallOutcome o;
    setNonBlocking(fd, !kernelTimed(t, m));
    while (done < len) {
        if (kernelTimed(t, m)) {
            o = blockingCall(
                fd, cancel, [&] { return ::send(fd, buf + done, len - done, MSG_NOSIGNAL); },
                EAGAIN, t, platform::OptionId::SndTimeo);
        } else {
            o = CallOutcome{};
            stampStart(o, t, cancel);
            if (t.mode != Timeout::Mode::NonBlocking) {
                short rev = 0;
                int err = 0;
                const Wait w = waitFor(fd, POLLOUT, deadlineFor(t, o.startNs), cancel, &rev, &err);
                if (w != Wait::Ready) {
                    o = fromWait(o, w, err);
                    o.bytes = qint64(done);
                    return o;
                }
            }
            const ssize_t n = ::send(fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                o = finish(o, CallOutcome::Status::Error, errno);
                o.bytes = qint64(done);
                o.startNs = firstStart; // see below
                return o;
            }
            o = finish(o, CallOutcome::Status::Ok);
            o.bytes = n;
        }
        if (o.status != CallOutcome::Status::Ok) {
            o.bytes = qint64(done);
            // An error ends the whole send, and is often only noticed by the call after the
            // one that waited (a blocking send() returns what it copied before the connection
            // died; the next one fails at once): its elapsed time is the send's. A timeout
            // stays the one call's, since each call has its own deadline.
            if (o.status == CallOutcome::Status::Error)
                o.startNs = firstStart;
            return o;
        }
        done += size_t(o.bytes);
    }
    o.startNs = firstStart;
    o.bytes = qint64(done);
    if (o.endNs == 0)
        stampEnd(o);
    return o;
}

CallOutcome accept(int listenFd, const Timeout &t, TimeoutMechanism m, CancelToken &cancel)
{
    CallOutcome o;
    socklen_t alen = sizeof o.addr;
    setNonBlocking(listenFd, !kernelTimed(t, m));
    if (kernelTimed(t, m)) {
        sockaddr_storage peer{};
        o = blockingCall(
            listenFd, cancel,
            [&] {
                return ssize_t(
                    ::accept4(listenFd, reinterpret_cast<sockaddr *>(&peer), &alen, SOCK_CLOEXEC));
            },
            EAGAIN, t, platform::OptionId::RcvTimeo);
        if (o.status == CallOutcome::Status::Ok) {
            o.fd = int(o.bytes);
            o.addr = peer;
        } else if (o.status == CallOutcome::Status::Cancelled && o.bytes >= 0) {
            ::close(int(o.bytes)); // accepted just as Stop came: nobody will use it
        }
        o.bytes = 0;
        return o;
    }
    stampStart(o, t, cancel);
    const qint64 deadline = deadlineFor(t, o.startNs);
    for (;;) {
        if (t.mode != Timeout::Mode::NonBlocking) {
            short rev = 0;
            int err = 0;
            const Wait w = waitFor(listenFd, POLLIN, deadline, cancel, &rev, &err);
            if (w != Wait::Ready)
                return fromWait(o, w, err);
        }
        alen = sizeof o.addr;
        const int fd =
            ::accept4(listenFd, reinterpret_cast<sockaddr *>(&o.addr), &alen, SOCK_CLOEXEC);
        if (fd >= 0) {
            o = finish(o, CallOutcome::Status::Ok);
            o.fd = fd;
            return o;
        }
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && t.mode != Timeout::Mode::NonBlocking)
            continue; // another acceptor was faster; wait again
        return finish(o, CallOutcome::Status::Error, errno);
    }
}

CallOutcome idle(int fd, double seconds, CancelToken &cancel)
{
    CallOutcome o;
    o.startNs = monotonicNs();
    const qint64 deadline = seconds < 0 ? -1 : o.startNs + qint64(seconds * 1e9);
    short rev = 0;
    int err = 0;
    const Wait w = waitFor(fd, POLLRDHUP, deadline, cancel, &rev, &err);
    if (w == Wait::Deadline)
        return finish(o, CallOutcome::Status::Ok);
    if (w != Wait::Ready)
        return fromWait(o, w, err);
    if (rev & POLLERR) {
        int soErr = 0;
        socklen_t len = sizeof soErr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &len);
        return finish(o, CallOutcome::Status::Error, soErr ? soErr : EPIPE);
    }
    return finish(o, CallOutcome::Status::PeerClosed);
}

} // namespace socklab::ops
