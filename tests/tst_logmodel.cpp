// The log: batched inserts, ring eviction, filters, highlighting, exports and auto-scroll.
#include "EventExport.h"
#include "log/EventDetail.h"
#include "log/LogModel.h"
#include "log/LogView.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QFont>
#include <QIcon>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QPalette>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <cerrno>

using namespace socklab;

namespace {

Event ev(EventKind kind, const QString &sock, qint64 tNs = 0)
{
    Event e;
    e.kind = kind;
    e.sock = sock;
    e.tNs = tNs;
    return e;
}

QList<Event> numbered(int first, int count, EventKind kind = EventKind::Received,
                      const QString &sock = QStringLiteral("c1"))
{
    QList<Event> out;
    for (int i = first; i < first + count; ++i) {
        Event e = ev(kind, sock, qint64(i) * 1000000);
        e.bytes = i;
        out << e;
    }
    return out;
}

// A small run with a bit of everything: 3 option events, 7 call events on c1/L1/a1.
QList<Event> mixedRun()
{
    QList<Event> l;
    Event o = ev(EventKind::OptionSet, QStringLiteral("c1"), 1000);
    o.op = QStringLiteral("setsockopt");
    o.option = QStringLiteral("SO_RCVBUF");
    o.requested = 10000;
    o.effective = 20000;
    l << o;
    Event inh = ev(EventKind::OptionInherited, QStringLiteral("a1"), 2000);
    inh.option = QStringLiteral("SO_KEEPALIVE");
    inh.effective = 1;
    l << inh;
    Event def = ev(EventKind::SystemDefault, QStringLiteral("L1"), 3000);
    def.option = QStringLiteral("SO_SNDBUF");
    def.effective = 16384;
    l << def;
    l << ev(EventKind::Listening, QStringLiteral("L1"), 4000);
    Event c = ev(EventKind::Connecting, QStringLiteral("c1"), 5000);
    c.op = QStringLiteral("connect");
    l << c;
    Event err = ev(EventKind::Error, QStringLiteral("c1"), 6000);
    err.op = QStringLiteral("connect");
    err.err = ECONNREFUSED;
    err.detail = QStringLiteral("Nothing listens on that port.");
    l << err;
    Event to = ev(EventKind::Timeout, QStringLiteral("c1"), 7000);
    to.op = QStringLiteral("recv");
    to.elapsed = 1.0;
    to.timeout = 1.0;
    l << to;
    l << ev(EventKind::Accepted, QStringLiteral("a1"), 8000);
    Event r = ev(EventKind::Received, QStringLiteral("a1"), 9000);
    r.bytes = 5;
    r.data = QStringLiteral("hello");
    l << r;
    l << ev(EventKind::Closed, QStringLiteral("c1"), 10000);
    return l;
}

} // namespace

class TestLogModel : public QObject
{
    Q_OBJECT
  private slots:
    // The log and its filter keep Qt's model contract through everything the window does to
    // them: batches, ring evictions, a smaller capacity, filters, clear.
    void modelsKeepTheContract()
    {
        LogModel m;
        LogFilterProxy p;
        p.setSourceModel(&m);
        QAbstractItemModelTester checkModel(&m,
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester checkProxy(&p,
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setCapacity(12);
        m.append(mixedRun());
        QCOMPARE(m.rowCount(), 10);
        p.setKindShown(EventKind::OptionSet, false);
        QCOMPARE(p.rowCount(), 9);
        m.append(mixedRun()); // 20 events into 12 rows: 8 evicted first
        QCOMPARE(m.rowCount(), 12);
        p.setSocket(QStringLiteral("c1"));
        p.setText(QStringLiteral("connect"));
        QVERIFY(p.rowCount() > 0);
        m.append(numbered(0, 30)); // larger than the ring
        QCOMPARE(m.rowCount(), 12);
        m.setCapacity(4);
        QCOMPARE(m.rowCount(), 4);
        p.showAllKinds();
        p.setSocket({});
        p.setText({});
        QCOMPARE(p.rowCount(), 4);
        m.clear();
        QCOMPARE(p.rowCount(), 0);
        m.append(mixedRun());
        QCOMPARE(p.rowCount(), 4); // capacity 4 still
    }

    void oneInsertSignalPerBatch()
    {
        LogModel m;
        QSignalSpy inserted(&m, &QAbstractItemModel::rowsInserted);
        m.append(numbered(0, 3));
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.at(0).at(1).toInt(), 0);
        QCOMPARE(inserted.at(0).at(2).toInt(), 2);
        m.append(numbered(3, 5));
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(inserted.at(1).at(1).toInt(), 3);
        QCOMPARE(inserted.at(1).at(2).toInt(), 7);
        m.append({});
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(m.rowCount(), 8);
        QCOMPARE(m.capacity(), 1000000);
        QCOMPARE(m.eventAt(7).bytes, qint64(7));
        QCOMPARE(m.index(7, LogModel::Time).data().toString(), QStringLiteral("0.007000"));
    }

    void ringEvictsOldestInOneRemoval()
    {
        LogModel m;
        m.setCapacity(5);
        QSignalSpy removed(&m, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&m, &QAbstractItemModel::rowsInserted);
        m.append(numbered(0, 3));
        QCOMPARE(removed.count(), 0);
        m.append(numbered(3, 4)); // 7 events into 5 slots: rows 0..1 go, 1 survivor stays
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.at(0).at(1).toInt(), 0);
        QCOMPARE(removed.at(0).at(2).toInt(), 1);
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(inserted.at(1).at(1).toInt(), 1);
        QCOMPARE(inserted.at(1).at(2).toInt(), 4);
        QCOMPARE(m.rowCount(), 5);
        QCOMPARE(m.eventAt(0).bytes, qint64(2));
        QCOMPARE(m.eventAt(4).bytes, qint64(6));

        // A batch bigger than the ring: everything old goes, the batch's newest 5 stay.
        m.append(numbered(100, 8));
        QCOMPARE(removed.count(), 2);
        QCOMPARE(removed.at(1).at(1).toInt(), 0);
        QCOMPARE(removed.at(1).at(2).toInt(), 4);
        QCOMPARE(inserted.count(), 3);
        QCOMPARE(inserted.at(2).at(1).toInt(), 0);
        QCOMPARE(inserted.at(2).at(2).toInt(), 4);
        QCOMPARE(m.rowCount(), 5);
        QCOMPARE(m.eventAt(0).bytes, qint64(103));
        QCOMPARE(m.eventAt(4).bytes, qint64(107));

        // Shrinking keeps the newest.
        m.setCapacity(2);
        QCOMPARE(removed.count(), 3);
        QCOMPARE(m.rowCount(), 2);
        QCOMPARE(m.eventAt(0).bytes, qint64(106));

        QSignalSpy reset(&m, &QAbstractItemModel::modelReset);
        m.clear();
        QCOMPARE(reset.count(), 1);
        QCOMPARE(m.rowCount(), 0);
    }

    void proxyFiltersByKindSocketAndText()
    {
        LogModel m;
        LogFilterProxy p;
        p.setSourceModel(&m);
        m.append(mixedRun());
        QCOMPARE(p.rowCount(), 10);

        p.setKindsShown(
            {EventKind::OptionSet, EventKind::OptionInherited, EventKind::SystemDefault}, false);
        QCOMPARE(p.rowCount(), 7);
        QVERIFY(!p.isKindShown(EventKind::OptionSet));
        p.setKindShown(EventKind::Timeout, false);
        QCOMPARE(p.rowCount(), 6);
        p.showAllKinds();
        QCOMPARE(p.rowCount(), 10);

        p.setSocket(QStringLiteral("c1"));
        QCOMPARE(p.rowCount(), 5);
        p.setSocket(QStringLiteral("a1"));
        QCOMPARE(p.rowCount(), 3);
        p.setSocket({});

        p.setText(QStringLiteral("econnrefused")); // errno column, case-insensitive
        QCOMPARE(p.rowCount(), 1);
        QCOMPARE(p.index(0, LogModel::Kind).data().toString(), QStringLiteral("error"));
        p.setText(QStringLiteral("so_rcvbuf")); // detail column
        QCOMPARE(p.rowCount(), 1);
        p.setText(QStringLiteral("CONNECT")); // op column, plus "connecting" in the kind
        QCOMPARE(p.rowCount(), 2);
        p.setText(QStringLiteral("0.000007")); // time column
        QCOMPARE(p.rowCount(), 1);
        QCOMPARE(p.index(0, LogModel::Kind).data().toString(), QStringLiteral("timeout"));
        p.setText(QStringLiteral("nothing listens"));
        QCOMPARE(p.rowCount(), 1);

        // Criteria combine.
        p.setText(QStringLiteral("connect"));
        p.setSocket(QStringLiteral("c1"));
        p.setKindShown(EventKind::Error, false);
        QCOMPARE(p.rowCount(), 1);
        p.setText(QStringLiteral("no such text"));
        QCOMPARE(p.rowCount(), 0);
        p.setText({});
        QCOMPARE(p.rowCount(), 4);

        // New rows pass through the same filter.
        m.append({ev(EventKind::Error, QStringLiteral("c1")),
                  ev(EventKind::Closed, QStringLiteral("c1")),
                  ev(EventKind::Closed, QStringLiteral("a1"))});
        QCOMPARE(p.rowCount(), 5);
    }

    void rolesMakeProblemsStandOut()
    {
        LogModel m;
        m.append(mixedRun());
        const auto row = [&m](EventKind k) {
            for (int r = 0; r < m.rowCount(); ++r) {
                if (m.eventAt(r).kind == k)
                    return r;
            }
            return -1;
        };
        const int plain = row(EventKind::Listening);
        const int timeout = row(EventKind::Timeout);
        const int error = row(EventKind::Error);
        const int option = row(EventKind::OptionSet);
        const QVariant plainBg = m.index(plain, LogModel::Detail).data(Qt::BackgroundRole);
        const QVariant timeoutBg = m.index(timeout, LogModel::Detail).data(Qt::BackgroundRole);
        const QVariant errorBg = m.index(error, LogModel::Detail).data(Qt::BackgroundRole);
        QVERIFY(!plainBg.isValid());
        QVERIFY(timeoutBg.canConvert<QBrush>());
        QVERIFY(errorBg.canConvert<QBrush>());
        QVERIFY(timeoutBg.value<QBrush>().color().alpha() > 0);
        QVERIFY(timeoutBg.value<QBrush>().color() != errorBg.value<QBrush>().color());
        QVERIFY(m.index(error, LogModel::Kind).data(Qt::FontRole).value<QFont>().bold());
        QVERIFY(!m.index(plain, LogModel::Kind).data(Qt::FontRole).isValid());
        QVERIFY(m.index(option, LogModel::Kind).data(Qt::ForegroundRole).isValid());

        QCOMPARE(m.index(option, LogModel::Detail).data().toString(),
                 QStringLiteral("SO_RCVBUF requested 10000 → effective 20000"));
        QCOMPARE(m.index(error, LogModel::Errno).data().toString(), QStringLiteral("ECONNREFUSED"));
        QCOMPARE(m.index(error, LogModel::Kind).data(LogModel::KindRole).toInt(),
                 int(EventKind::Error));
        QCOMPARE(m.index(error, LogModel::Op).data(LogModel::SocketRole).toString(),
                 QStringLiteral("c1"));
        QVERIFY(m.index(error, LogModel::Time)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("errno=ECONNREFUSED")));
        QVERIFY(m.index(error, LogModel::Time)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .endsWith(QStringLiteral("\nNothing listens on that port.")));
        const QIcon icon = m.index(error, LogModel::Kind).data(Qt::DecorationRole).value<QIcon>();
        QVERIFY(!icon.isNull());
        QCOMPARE(icon.cacheKey(),
                 m.index(error, LogModel::Kind).data(Qt::DecorationRole).value<QIcon>().cacheKey());
        QVERIFY(!m.index(error, LogModel::Socket).data(Qt::DecorationRole).isValid());

        // On a dark palette the tint is still there and the muted text is light, not dark.
        const QPalette saved = QApplication::palette();
        QPalette dark = saved;
        dark.setColor(QPalette::Window, QColor(0x20, 0x20, 0x20));
        dark.setColor(QPalette::Base, QColor(0x18, 0x18, 0x18));
        dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
        QApplication::setPalette(dark);
        QVERIFY(m.index(timeout, LogModel::Detail).data(Qt::BackgroundRole).isValid());
        const QColor muted =
            m.index(option, LogModel::Kind).data(Qt::ForegroundRole).value<QBrush>().color();
        QVERIFY2(muted.lightness() > 0x60, qPrintable(muted.name()));
        QApplication::setPalette(saved);
    }

    void csvQuotesAndGuardsFormulas()
    {
        QCOMPARE(csvHeader(),
                 QStringLiteral("t,run,seq,wall,sock,kind,op,errno,elapsed,timeout,mechanism,"
                                "probe,option,requested,effective,bytes,data,local,"
                                "remote,state,detail,payload,payload_omitted"));
        Event e = ev(EventKind::Received, QStringLiteral("c1"), 1500000);
        e.op = QStringLiteral("=cmd");
        e.bytes = 12;
        e.detail = QStringLiteral("He said \"hi\", then\nleft");
        const QString row = toCsvRow(e);
        QCOMPARE(row, QStringLiteral("0.001500,,,0.000000,c1,received,'=cmd,,,,,,,,,12,,,,,"
                                     "\"He said \"\"hi\"\", then\nleft\",,"));

        QCOMPARE(csvTextCell(QStringLiteral("+1")), QStringLiteral("'+1"));
        QCOMPARE(csvTextCell(QStringLiteral("-1")), QStringLiteral("'-1"));
        QCOMPARE(csvTextCell(QStringLiteral("@SUM(A1)")), QStringLiteral("'@SUM(A1)"));
        QCOMPARE(csvTextCell(QStringLiteral("\tx")), QStringLiteral("'\tx"));
        QCOMPARE(csvTextCell(QStringLiteral("\rx")), QStringLiteral("\"'\rx\""));
        QCOMPARE(csvTextCell(QStringLiteral("=a,b")), QStringLiteral("\"'=a,b\""));
        QCOMPARE(csvTextCell(QStringLiteral("plain")), QStringLiteral("plain"));

        // Numbers stay numbers, negative ones too; text that looks negative is guarded.
        Event o = ev(EventKind::OptionSet, QStringLiteral("c1"));
        o.option = QStringLiteral("SO_LINGER");
        o.requested = -1;
        o.effective = QStringLiteral("-1");
        o.timeoutNone = true;
        const QStringList cells = toCsvRow(o).split(u',');
        QCOMPARE(cells.size(), 23);
        QCOMPARE(cells.at(9), QStringLiteral("none"));
        QCOMPARE(cells.at(13), QStringLiteral("-1"));
        QCOMPARE(cells.at(14), QStringLiteral("'-1"));
        QCOMPARE(cells.at(15), QString()); // bytes -1 means absent
    }

    void ndjsonLineParsesBack()
    {
        Event e = ev(EventKind::Timeout, QStringLiteral("c1"), 2500000);
        e.op = QStringLiteral("recv");
        e.elapsed = 0.25;
        const QByteArray line = toNdjsonLine(e);
        QVERIFY(!line.contains('\n'));
        QJsonParseError perr;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &perr);
        QCOMPARE(perr.error, QJsonParseError::NoError);
        const QJsonObject o = doc.object();
        QCOMPARE(o.value(QStringLiteral("kind")).toString(), QStringLiteral("timeout"));
        QCOMPARE(o.value(QStringLiteral("sock")).toString(), QStringLiteral("c1"));
        QCOMPARE(o.value(QStringLiteral("t")).toDouble(), 0.0025);
        QCOMPARE(o.value(QStringLiteral("elapsed")).toDouble(), 0.25);
        QCOMPARE(o, e.toJson());
    }

    // Received payloads are held whole within the log's budget; older ones are released, and
    // then their bytes are still counted and said to be released, never silently gone.
    void payloadsAreKeptWithinTheBudget()
    {
        LogModel m;
        m.setPayloadBudget(250);
        QList<Event> batch;
        for (int i = 0; i < 4; ++i) {
            Event e = ev(EventKind::Received, QStringLiteral("c1"), i);
            e.payload = QByteArray(100, char('a' + i));
            e.bytes = 100 + i; // i bytes counted, not kept
            e.payloadKept = true;
            batch << e;
        }
        batch << ev(EventKind::Info, QStringLiteral("c1"), 9); // no payload at all
        m.append(batch.mid(0, 2));
        m.append(batch.mid(2));
        QCOMPARE(m.payloadBytesHeld(), qint64(200)); // the two newest
        for (int row : {0, 1}) {
            QVERIFY(m.payloadReleased(row));
            const Event e = m.eventAt(row);
            QVERIFY(e.payloadKept);
            QVERIFY(e.payload.isEmpty());
            QCOMPARE(e.payloadOmitted(), qint64(100 + row));
            QCOMPARE(e.toJson().value(QStringLiteral("payload_omitted")).toInteger(),
                     qint64(100 + row));
            const QString text = eventDetailText(e, true, m.payloadBudget());
            QVERIFY2(text.contains(QStringLiteral("no longer held")), qPrintable(text));
        }
        for (int row : {2, 3}) {
            QVERIFY(!m.payloadReleased(row));
            const Event e = m.eventAt(row);
            QCOMPARE(e.payload, QByteArray(100, char('a' + row)));
            QCOMPARE(e.payloadOmitted(), qint64(row));
            QCOMPARE(e.toJson().value(QStringLiteral("payload")).toString(),
                     QString(100, QLatin1Char('a' + row)));
            const QString text = eventDetailText(e, false, m.payloadBudget());
            QVERIFY2(text.contains(QString(100, QLatin1Char('a' + row))), qPrintable(text));
            QVERIFY2(text.contains(QStringLiteral("%1 more received bytes").arg(row)),
                     qPrintable(text));
        }
        QVERIFY(!m.payloadReleased(4));
        QVERIFY(!m.eventAt(4).payloadKept);
        // Rows leaving the ring take their payloads with them.
        m.setCapacity(2);
        QCOMPARE(m.payloadBytesHeld(), qint64(100));
        QCOMPARE(m.eventAt(0).payload, QByteArray(100, 'd'));
        m.clear();
        QCOMPARE(m.payloadBytesHeld(), qint64(0));
    }

    // The detail pane shows the current event whole, bytes included.
    void detailPaneShowsTheCurrentEvent()
    {
        LogView view;
        Event e = ev(EventKind::Received, QStringLiteral("c1"), 5);
        e.payload = QByteArray("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n\x00\xff", 32);
        e.bytes = e.payload.size();
        e.payloadKept = true;
        e.data = escapeBytes(e.payload, 8);
        view.append({ev(EventKind::Info, QStringLiteral("c1"), 1), e});
        auto *pane = view.findChild<QPlainTextEdit *>(QStringLiteral("detailText"));
        QVERIFY(pane);
        auto *table = view.findChild<QTableView *>(QStringLiteral("table"));
        table->setCurrentIndex(view.proxy()->index(1, 0));
        const QString text = pane->toPlainText();
        QVERIFY2(text.contains(QStringLiteral("  HTTP/1.1 200 OK\\r\\n\n  Server: x\\r\\n\n  "
                                              "\\r\\n\n  \\x00\\xff\n")),
                 qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("32 of 32 bytes")));
        // A megabyte goes in by slices, the window answering in between, and arrives whole.
        Event big = ev(EventKind::Received, QStringLiteral("c1"), 6);
        big.payload = QByteArray(kPayloadLimit, Qt::Uninitialized);
        for (qsizetype i = 0; i < big.payload.size(); ++i)
            big.payload[i] = char((i * 2654435761u) >> 13);
        big.bytes = big.payload.size() + 5;
        big.payloadKept = true;
        view.append({big});
        table->setCurrentIndex(view.proxy()->index(2, 0));
        const QString whole = eventDetailText(big, false, view.model()->payloadBudget());
        QVERIFY(pane->toPlainText().size() < whole.size()); // not all at once
        QTRY_COMPARE(pane->toPlainText(), whole);
        QVERIFY(whole.contains(QStringLiteral("(5 more received bytes were counted")));
        view.clear();
        QVERIFY(pane->toPlainText().isEmpty());
    }

    // On a projector the pane is narrow: an event's long sentence is read in lines that fit
    // it, never by scrolling sideways.
    void detailPaneWrapsLongSentences()
    {
        LogView view;
        view.resize(420, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        Event e = ev(EventKind::Timeout, QStringLiteral("c1"), 1);
        e.detail = QStringLiteral("recv() returned EAGAIN after the 1.5 s SO_RCVTIMEO: the peer "
                                  "sent nothing in that time, and the kernel ended the call; the "
                                  "connection itself is still open and the next call may wait "
                                  "again.");
        view.append({e});
        auto *pane = view.findChild<QPlainTextEdit *>(QStringLiteral("detailText"));
        auto *table = view.findChild<QTableView *>(QStringLiteral("table"));
        table->setCurrentIndex(view.proxy()->index(0, 0));
        QTRY_VERIFY(pane->toPlainText().contains(e.detail));
        QTRY_VERIFY(pane->height() > 0);
        QCoreApplication::processEvents();
        QVERIFY(pane->fontMetrics().horizontalAdvance(e.detail) > pane->viewport()->width());
        QCOMPARE(pane->horizontalScrollBar()->maximum(), 0);
    }

    // The escaping of data and payload gives every byte back, and a line break after each \n.
    void escapingIsReversible()
    {
        QByteArray all;
        for (int c = 0; c < 256; ++c)
            all += char(c);
        all += "\\x41\\"; // text that looks like an escape
        const QString escaped = escapeBytes(all, all.size());
        QCOMPARE(unescapeBytes(escaped), all);
        QVERIFY(!escaped.contains(QLatin1Char('"')));
        QCOMPARE(escapeBytes(all, 3), QStringLiteral("\\x00\\x01\\x02..."));
        Event e = ev(EventKind::Received, QStringLiteral("c1"));
        e.payload = QByteArray("a\nb\n");
        e.bytes = 4;
        e.payloadKept = true;
        QCOMPARE(payloadText(e, QStringLiteral("| ")), QStringLiteral("| a\\n\n| b\\n\n"));
        e.payload = QByteArray(10, 'x');
        e.bytes = 10;
        QCOMPARE(payloadText(e, {}, 4), QStringLiteral("xxxx\nxxxx\nxx\n"));
    }

    void exportWritesEveryEventRoundTrip()
    {
        LogView view;
        // Each event's run and place in the stream go out with it.
        const auto numberedRun = [] {
            QList<Event> l = mixedRun();
            for (qsizetype i = 0; i < l.size(); ++i) {
                l[i].run = 4 + quint64(i / 5);
                l[i].seq = 100 + quint64(i);
            }
            return l;
        };
        QList<Event> run = numberedRun();
        run << ev(EventKind::Finished, QString()); // the engine's marker: not logged
        view.append(run);
        QCOMPARE(view.model()->rowCount(), 10);
        view.proxy()->setSocket(QStringLiteral("a1")); // exports ignore the filter
        QCOMPARE(view.proxy()->rowCount(), 3);

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString error;
        const QString csvPath = dir.filePath(QStringLiteral("log.csv"));
        QVERIFY2(view.exportCsv(csvPath, &error), qPrintable(error));
        QFile csv(csvPath);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> csvLines = csv.readAll().split('\n');
        QCOMPARE(csvLines.size(), 12); // header, 10 rows, and the empty tail after the last CRLF
        QCOMPARE(csvLines.first(), csvHeader().toUtf8() + "\r");
        QCOMPARE(csvLines.at(1), toCsvRow(numberedRun().first()).toUtf8() + "\r");
        QVERIFY(csvLines.at(1).startsWith("0.000001,4,100,"));
        QVERIFY(csvLines.at(6).contains(",5,105,"));
        QVERIFY(csvLines.at(6).contains(",error,connect,ECONNREFUSED,"));
        QVERIFY(csvLines.last().isEmpty());

        const QString ndPath = dir.filePath(QStringLiteral("log.ndjson"));
        QVERIFY2(view.exportNdjson(ndPath, &error), qPrintable(error));
        QFile nd(ndPath);
        QVERIFY(nd.open(QIODevice::ReadOnly));
        QList<QByteArray> lines = nd.readAll().split('\n');
        QCOMPARE(lines.size(), 11);
        QVERIFY(lines.takeLast().isEmpty());
        const QList<Event> expected = numberedRun();
        for (int i = 0; i < lines.size(); ++i) {
            const QJsonObject o = QJsonDocument::fromJson(lines.at(i)).object();
            QCOMPARE(o.value(QStringLiteral("seq")).toInteger(), qint64(100 + i));
            QCOMPARE(o.value(QStringLiteral("kind")).toString(), kindName(expected.at(i).kind));
            QCOMPARE(o.value(QStringLiteral("sock")).toString(), expected.at(i).sock);
            QCOMPARE(o, expected.at(i).toJson());
        }

        error.clear();
        QVERIFY(!view.exportCsv(dir.filePath(QStringLiteral("missing/dir/log.csv")), &error));
        QVERIFY2(error.contains(QStringLiteral("missing")), qPrintable(error));
    }

    void socketComboListsLabelsAndFilters()
    {
        LogView view;
        view.append(mixedRun());
        auto *combo = view.findChild<QComboBox *>(QStringLiteral("socketCombo"));
        QVERIFY(combo);
        QCOMPARE(combo->count(), 4);
        QCOMPARE(combo->itemText(0), QStringLiteral("All sockets"));
        QCOMPARE(combo->itemText(1), QStringLiteral("a1"));
        QCOMPARE(combo->itemText(2), QStringLiteral("c1"));
        QCOMPARE(combo->itemText(3), QStringLiteral("L1"));
        combo->setCurrentIndex(2);
        QCOMPARE(view.proxy()->rowCount(), 5);
        combo->setCurrentIndex(0);
        QCOMPARE(view.proxy()->rowCount(), 10);

        auto *search = view.findChild<QLineEdit *>(QStringLiteral("searchEdit"));
        QVERIFY(search);
        QCOMPARE(search->placeholderText(), QStringLiteral("Search…"));
        search->setText(QStringLiteral("SO_"));
        QTRY_COMPARE(view.proxy()->rowCount(), 3);
        search->clear();
        QCOMPARE(view.proxy()->rowCount(), 10);
    }

    void copiesSelectedRowsAsTabSeparated()
    {
        LogView view;
        view.append(mixedRun());
        auto *table = view.findChild<QTableView *>(QStringLiteral("table"));
        QVERIFY(table);
        QCOMPARE(table->model(), view.proxy());
        QApplication::clipboard()->clear();
        table->selectRow(5);
        view.copySelection();
        QCOMPARE(QApplication::clipboard()->text(),
                 QStringLiteral("0.000006\tc1\terror\tconnect\tECONNREFUSED\tNothing listens on "
                                "that port.\n"));

        table->selectAll();
        QApplication::clipboard()->clear();
        table->setFocus();
        QTest::keyClick(table, Qt::Key_C, Qt::ControlModifier);
        const QStringList lines = QApplication::clipboard()->text().split(u'\n');
        QCOMPARE(lines.size(), 11);
        QVERIFY(lines.first().startsWith(QStringLiteral("0.000001\tc1\toption_set\t")));
        QCOMPARE(lines.first().count(u'\t'), 5);
    }

    void autoScrollFollowsAndPauses()
    {
        LogView view;
        view.resize(700, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        auto *table = view.findChild<QTableView *>(QStringLiteral("table"));
        auto *follow = view.findChild<QToolButton *>(QStringLiteral("followButton"));
        QVERIFY(table && follow);
        QScrollBar *sb = table->verticalScrollBar();

        view.append(numbered(0, 100));
        view.append(numbered(100, 100));
        QTRY_VERIFY(sb->maximum() > 0);
        QTRY_COMPARE(sb->value(), sb->maximum());
        QVERIFY(view.isFollowing());
        QVERIFY(follow->isHidden());

        // The user looks back: new events must not move the view.
        sb->setValue(10);
        QVERIFY(!view.isFollowing());
        QVERIFY(follow->isVisible());
        const int maxBefore = sb->maximum();
        view.append(numbered(200, 100));
        QTRY_VERIFY(sb->maximum() > maxBefore);
        auto *throttle = view.findChild<QTimer *>(QStringLiteral("scrollThrottle"));
        QVERIFY(throttle);
        QTRY_VERIFY(!throttle->isActive());
        QCOMPARE(sb->value(), 10);
        QVERIFY(!view.isFollowing());

        // The button jumps back and following resumes.
        QTest::mouseClick(follow, Qt::LeftButton);
        QVERIFY(view.isFollowing());
        QCOMPARE(sb->value(), sb->maximum());
        QVERIFY(follow->isHidden());
        const int maxAfter = sb->maximum();
        view.append(numbered(300, 100));
        QTRY_VERIFY(sb->maximum() > maxAfter);
        QTRY_COMPARE(sb->value(), sb->maximum());

        // Scrolling back to the bottom by hand resumes too.
        sb->setValue(0);
        QVERIFY(!view.isFollowing());
        sb->setValue(sb->maximum());
        QVERIFY(view.isFollowing());

        // A flood of small batches scrolls far fewer times than it has batches.
        int moves = 0;
        connect(sb, &QScrollBar::valueChanged, this, [&moves] { ++moves; });
        for (int i = 0; i < 200; ++i)
            view.append(numbered(400 + i * 5, 5));
        QTRY_COMPARE(sb->value(), sb->maximum());
        QTRY_VERIFY(!throttle->isActive());
        QCOMPARE(view.model()->rowCount(), 1400);
        QVERIFY2(moves < 20, qPrintable(QString::number(moves)));
    }

    void clearEmptiesAndResumes()
    {
        LogView view;
        view.append(mixedRun());
        view.clear();
        QCOMPARE(view.model()->rowCount(), 0);
        QCOMPARE(view.proxy()->rowCount(), 0);
        QVERIFY(view.isFollowing());
        auto *combo = view.findChild<QComboBox *>(QStringLiteral("socketCombo"));
        QCOMPARE(combo->count(), 1);
    }
};

QTEST_MAIN(TestLogModel)
#include "tst_logmodel.moc"
