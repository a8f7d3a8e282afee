#pragma once

#include "CancelToken.h"
#include "Lab.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>

class QTemporaryDir;

namespace socklab::platform {

// Where strace writes a traced program's calls (run --trace): a FIFO in a private temporary
// directory (mode 0700, removed with this), opened here for reading and writing so that it
// never reports an end by itself. strace opens it by its path, close-on-exec, so the program
// it runs never holds it.
class TracePipe
{
  public:
    TracePipe();
    ~TracePipe();
    TracePipe(const TracePipe &) = delete;
    TracePipe &operator=(const TracePipe &) = delete;
    int open(); // 0, or the errno of what failed
    QString path() const { return m_path; }
    int takeFd(); // the read end, now the caller's (ProgramWatch::addTrace)

  private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
    int m_fd = -1;
};

// A program started in the lab (Lab::runProgram), watched until it ends: its output line by
// line, its wait status, and an end on Stop. Owns the program's descriptors; a program still
// running when this is destroyed is killed.
class ProgramWatch
{
  public:
    explicit ProgramWatch(const Lab::Program &p);
    ~ProgramWatch();
    ProgramWatch(const ProgramWatch &) = delete;
    ProgramWatch &operator=(const ProgramWatch &) = delete;

    enum class Outcome
    {
        Ended,    // it ended and its output is read to the end
        Cancelled // the token was cancelled first: end() it
    };
    // Also reads what its tracer writes to fd (a FIFO opened for reading and writing, so that
    // it never ends by itself): its lines are stream kTrace, and after each read the line
    // written so far, if any, is passed as kTraceTail (strace writes a call when it enters the
    // kernel, and the rest when it returns). Takes ownership of fd.
    void addTrace(int fd);
    static constexpr int kTrace = 3;
    static constexpr int kTraceTail = 4;
    // Reads its output until it has ended and everything it wrote is read, or the token is
    // cancelled. Each line (without its newline; a longer one in pieces of kLineMax bytes) goes
    // to onLine with its stream (1 stdout, 2 stderr, kTrace, kTraceTail) and when it was read.
    using LineSink = std::function<void(int stream, const QByteArray &line, qint64 monoNs)>;
    Outcome watch(CancelToken &cancel, const LineSink &onLine);
    // Ends it: SIGTERM, then SIGKILL if it is still running after graceMs; waits a moment for
    // its status, and passes on what it wrote before it ended. Returns the signal sent (0 if it
    // had ended by itself).
    int end(int graceMs, const LineSink &onLine);

    bool ended() const { return m_status >= 0; }
    int waitStatus() const { return m_status; }   // as waitpid() gives it; -1: not ended
    int execErrno() const { return m_execErrno; } // the errno of an exec that failed, else 0
    int pid() const { return m_pid; }
    // "exited with status 0", "was killed by signal 15 (SIGTERM)"
    static QString describe(int waitStatus);
    static int exitCode(int waitStatus); // the code a shell gives it: status, or 128 + signal

    static constexpr int kLineMax = 4096;
    static constexpr int kStatusWaitMs = 1000; // after it ended, for the helper's word

  private:
    // Reads the status socket once it is readable (it then holds all there is to read).
    void readStatus();
    void drain(int stream, const LineSink &onLine, bool atEnd);

    int m_pid;
    int m_pidfd;
    int m_statusFd;
    int m_fds[4] = {-1, -1, -1, -1}; // [1] stdout, [2] stderr, [kTrace] its tracer's lines
    QByteArray m_partial[4];
    int m_status = -1;
    int m_execErrno = 0;
};

} // namespace socklab::platform
