// The HTML handout: built from a real experiment, self-contained, escaped, well-formed, capped.
#include "Handout.h"
#include "TestSupport.h"

#include <QFile>
#include <QHash>
#include <QTemporaryDir>
#include <QXmlStreamReader>

#include <cerrno>

using namespace socklab;
using namespace socklab::test;

namespace {

// A real 1x1 RGBA PNG (signature, IHDR, IDAT, IEND with valid CRCs), 70 bytes.
constexpr unsigned char kPng[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
    0xda, 0x63, 0xb0, 0x6e, 0xfa, 0xf6, 0x1f, 0x00, 0x05, 0x62, 0x02, 0xb3, 0x40, 0xbc,
    0xc5, 0x4f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
// Its base64, written out independently of QByteArray::toBase64.
const char *const kPngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mOwbvr2HwA"
                               "FYgKzQLzFTwAAAABJRU5ErkJggg==";

QByteArray png()
{
    return QByteArray(reinterpret_cast<const char *>(kPng), sizeof kPng);
}

const QString kEvil = QStringLiteral("<script>alert(1)</script> & \"double\" 'single' %1%2 "
                                     "Ünïcødé ✓ 日本語");

struct Row
{
    QString cls;
    QStringList cells;
};

// What an XML parser sees in the handout: the document must be well-formed for it to read.
struct Doc
{
    QString error;
    QString title;
    QStringList elements;   // every element name, in order
    QStringList attributes; // every attribute name
    QStringList imgSrc;
    QHash<QString, QList<Row>> tables; // by the table's id: the rows of its tbody
    QHash<QString, QString> textById;  // the text of every element with an id
};

Doc parse(const QString &html)
{
    Doc doc;
    QXmlStreamReader xml(html);
    QString table;
    bool inBody = false;
    int cellDepth = 0; // > 0 while inside a td
    struct Open
    {
        QString id;
        QString text;
    };
    QList<Open> open; // the elements with an id that enclose the current position
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            const QString name = xml.name().toString();
            doc.elements << name;
            for (const QXmlStreamAttribute &a : xml.attributes())
                doc.attributes << a.name().toString();
            const QString id = xml.attributes().value(QStringLiteral("id")).toString();
            open.append(Open{id, {}}); // id empty: text passes through to the enclosing one
            if (name == QStringLiteral("title") && doc.title.isEmpty()) {
                doc.title = xml.readElementText();
                open.removeLast();
                continue;
            }
            if (name == QStringLiteral("img"))
                doc.imgSrc << xml.attributes().value(QStringLiteral("src")).toString();
            if (name == QStringLiteral("table"))
                table = id;
            if (name == QStringLiteral("tbody"))
                inBody = true;
            if (name == QStringLiteral("tr") && inBody)
                doc.tables[table].append(
                    {xml.attributes().value(QStringLiteral("class")).toString(), {}});
            if (name == QStringLiteral("td") && inBody) {
                doc.tables[table].last().cells << QString();
                cellDepth = 1;
            } else if (cellDepth > 0) {
                ++cellDepth;
            }
        } else if (xml.isEndElement()) {
            const QString name = xml.name().toString();
            if (name == QStringLiteral("tbody"))
                inBody = false;
            if (name == QStringLiteral("table"))
                table.clear();
            if (cellDepth > 0)
                --cellDepth;
            const Open o = open.takeLast();
            if (!o.id.isEmpty())
                doc.textById.insert(o.id, o.text);
            if (!open.isEmpty())
                open.last().text += o.text;
        } else if (xml.isCharacters()) {
            if (cellDepth > 0)
                doc.tables[table].last().cells.last() += xml.text();
            if (!open.isEmpty())
                open.last().text += xml.text();
        }
    }
    if (xml.hasError())
        doc.error = QStringLiteral("%1 at line %2, column %3")
                        .arg(xml.errorString())
                        .arg(xml.lineNumber())
                        .arg(xml.columnNumber());
    return doc;
}

Event makeEvent(EventKind kind, qint64 tNs, const QString &sock = QStringLiteral("c1"))
{
    Event e;
    e.kind = kind;
    e.tNs = tNs;
    e.sock = sock;
    return e;
}

} // namespace

class TestHandout : public QObject
{
    Q_OBJECT

  private slots:
    void fromRealExperiment()
    {
        Engine engine;
        EventRecorder rec(engine.bus());
        SocketOptions o = timeouts(0.2, TimeoutMechanism::Poll);
        o.rcvBuf = 10000;
        engine.run({peer(PeerBehavior::Silent), connectToPeer(o), recv()});
        QTRY_VERIFY_WITH_TIMEOUT(rec.finished(), 10000);
        QVERIFY2(rec.has(EventKind::Timeout, QStringLiteral("c1")), qPrintable(rec.dump()));
        const Event rcvbuf = [&] {
            for (const Event &e : rec.of(EventKind::OptionSet, QStringLiteral("c1"))) {
                if (e.option == QStringLiteral("SO_RCVBUF"))
                    return e;
            }
            return Event{};
        }();
        QCOMPARE(rcvbuf.requested.toInt(), 10000);
        QCOMPARE(rcvbuf.effective.toInt(), 20000); // the kernel doubles it

        const double elapsed = *rec.first(EventKind::Timeout, QStringLiteral("c1")).elapsed;
        handout::Input in;
        in.title = QStringLiteral("recv() on a silent server");
        in.explanation = QStringLiteral("A server that accepts and never answers.\n\n"
                                        "With a 0.2 s timeout, recv() gives up on its own.\n"
                                        "Without one it would wait forever.");
        in.verdict = handout::Verdict{
            true, QStringLiteral("recv() times out after about 0.2 s."),
            QStringLiteral("recv() timed out after %1 s.").arg(QString::number(elapsed, 'f', 3))};
        in.timelinePng = png();
        in.events = rec.events;
        in.machine = QStringLiteral("Linux test x86_64");

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("handout.html"));
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.write(handout::html(in).toUtf8()) > 0);
        }
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(f.readAll());

        QVERIFY(html.startsWith(QStringLiteral("<!DOCTYPE html>")));
        const Doc doc = parse(html);
        QVERIFY2(doc.error.isEmpty(), qPrintable(doc.error));
        QCOMPARE(doc.title, in.title);

        // Header.
        QVERIFY(html.contains(QStringLiteral("<h1>recv() on a silent server</h1>")));
        QVERIFY(html.contains(QStringLiteral(SOCKLAB_VERSION)));
        QVERIFY(html.contains(QStringLiteral("Linux test x86_64")));

        // The explanation, one paragraph per blank-line block, single breaks kept.
        QVERIFY(html.contains(QStringLiteral("<p>A server that accepts and never answers.</p>")));
        QVERIFY(html.contains(QStringLiteral("<p>With a 0.2 s timeout, recv() gives up on its "
                                             "own.<br/>\nWithout one it would wait forever.</p>")));

        // The verdict.
        QVERIFY(html.contains(QStringLiteral("class=\"verdict pass\"")));
        QVERIFY(doc.textById.value(QStringLiteral("verdict")).contains(QStringLiteral("PASSED")));
        QVERIFY(html.contains(in.verdict->predicted));
        QVERIFY(html.contains(in.verdict->observed));

        // The options row for SO_RCVBUF: asked 10000, the kernel read back 20000, highlighted.
        bool rcvbufRow = false;
        for (const Row &r : doc.tables.value(QStringLiteral("options"))) {
            if (r.cells.value(1) != QStringLiteral("SO_RCVBUF"))
                continue;
            rcvbufRow = true;
            QCOMPARE(r.cells.value(0), QStringLiteral("c1"));
            QCOMPARE(r.cells.value(2), QStringLiteral("10000"));
            QCOMPARE(r.cells.value(3), QStringLiteral("20000"));
            QCOMPARE(r.cls, QStringLiteral("differs"));
            QVERIFY(r.cells.value(4).contains(QStringLiteral("doubles")));
        }
        QVERIFY2(rcvbufRow, qPrintable(html));

        // The timeline, embedded byte for byte.
        QCOMPARE(png().toBase64(), QByteArray(kPngBase64));
        QVERIFY(html.contains(QStringLiteral("<img src=\"data:image/png;base64,") +
                              QLatin1StringView(kPngBase64) + u'"'));
        QCOMPARE(doc.imgSrc, QStringList{QStringLiteral("data:image/png;base64,") +
                                         QLatin1StringView(kPngBase64)});

        // The log: every event but Finished, and the recv timeout as an amber row.
        const QList<Row> log = doc.tables.value(QStringLiteral("log"));
        QCOMPARE(log.size(), rec.events.size() - rec.count(EventKind::Finished));
        int timeoutRows = 0;
        for (const Row &r : log) {
            if (r.cls != QStringLiteral("k-timeout"))
                continue;
            ++timeoutRows;
            QCOMPARE(r.cells.size(), 7);
            QCOMPARE(r.cells[1], QStringLiteral("c1"));
            QCOMPARE(r.cells[2], QStringLiteral("timeout"));
            QCOMPARE(r.cells[3], QStringLiteral("recv"));
            QVERIFY2(r.cells[5].toDouble() >= 0.2, qPrintable(r.cells[5]));
            QVERIFY(r.cells[6].contains(QStringLiteral("timeout=0.2s")));
            QVERIFY(r.cells[6].contains(QStringLiteral("mechanism=poll")));
        }
        QCOMPARE(timeoutRows, 1);
        // t has microsecond resolution.
        QVERIFY(QRegularExpression(QStringLiteral("^\\d+\\.\\d{6}$"))
                    .match(log.first().cells[0])
                    .hasMatch());
        const QString summary = doc.textById.value(QStringLiteral("summary"));
        QVERIFY2(summary.contains(QStringLiteral("1 timeout (recv 1)")), qPrintable(summary));
        QVERIFY(summary.contains(QStringLiteral("peer declared dead: no")));
        QVERIFY(summary.contains(QStringLiteral(" \u00b7 "))); // a middle dot, not mojibake
        QVERIFY(!html.contains(QStringLiteral("\u00c2")));
    }

    void selfContainedAndPrintable()
    {
        handout::Input in;
        in.title = QStringLiteral("T");
        in.timelinePng = png();
        in.events << makeEvent(EventKind::Info, 0);
        const QString html = handout::html(in);
        const Doc doc = parse(html);
        QVERIFY2(doc.error.isEmpty(), qPrintable(doc.error));
        QVERIFY(!doc.elements.contains(QStringLiteral("script")));
        QVERIFY(!doc.elements.contains(QStringLiteral("link")));
        QVERIFY(!doc.elements.contains(QStringLiteral("iframe")));
        QVERIFY(!html.contains(QStringLiteral("url("), Qt::CaseInsensitive));
        QVERIFY(!html.contains(QStringLiteral("@import"), Qt::CaseInsensitive));
        // The only address is the XHTML namespace name, which nothing loads.
        QCOMPARE(html.count(QStringLiteral("http")), 1);
        QVERIFY(html.contains(QStringLiteral("xmlns=\"http://www.w3.org/1999/xhtml\"")));
        for (const QString &src : doc.imgSrc)
            QVERIFY(src.startsWith(QStringLiteral("data:image/png;base64,")));
        QVERIFY(html.contains(QStringLiteral("<meta charset=\"utf-8\"/>")));
        QVERIFY(html.contains(QStringLiteral("name=\"viewport\"")));
        QVERIFY(html.contains(QStringLiteral("max-width")));
        QVERIFY(html.contains(QStringLiteral("@media print")));
        QVERIFY(html.contains(QStringLiteral("page-break-inside: avoid")));
    }

    void everythingFromOutsideIsEscaped()
    {
        handout::Input in;
        in.title = kEvil;
        in.explanation = kEvil + QStringLiteral("\n\nsecond \x01 paragraph");
        in.machine = kEvil;
        in.verdict = handout::Verdict{false, kEvil, kEvil};
        Event opt = makeEvent(EventKind::OptionSet, 1000, kEvil);
        opt.option = kEvil;
        opt.requested = kEvil;
        opt.effective = 5;
        opt.detail = kEvil;
        Event rx = makeEvent(EventKind::Received, 2000, kEvil);
        rx.op = kEvil;
        rx.bytes = 40;
        rx.data = kEvil;
        rx.local = kEvil;
        rx.remote = kEvil;
        rx.state = kEvil;
        rx.mechanism = kEvil;
        rx.detail = kEvil + QChar(0x7) + QChar(0xd800); // a control char and a lone surrogate
        Event dead = makeEvent(EventKind::PeerDead, 3000, kEvil);
        Event err = makeEvent(EventKind::Error, 4000);
        err.err = ETIMEDOUT;
        err.op = QStringLiteral("%1");
        in.events = {opt, rx, dead, err};

        const QString html = handout::html(in);
        const Doc doc = parse(html);
        QVERIFY2(doc.error.isEmpty(), qPrintable(doc.error));
        QVERIFY(!html.contains(QStringLiteral("<script"), Qt::CaseInsensitive));
        QVERIFY(!doc.elements.contains(QStringLiteral("script")));
        for (const QString &a : doc.attributes)
            QVERIFY2(!a.startsWith(QStringLiteral("on"), Qt::CaseInsensitive), qPrintable(a));
        // Every occurrence is the escaped one.
        const qsizetype n = html.count(QStringLiteral("alert(1)"));
        QVERIFY(n >= 10);
        QCOMPARE(html.count(QStringLiteral("&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
                                           "&quot;double&quot; &#39;single&#39;")),
                 n);
        // Escaped, not mangled: the parser gets the text back as it was, non-ASCII included.
        QCOMPARE(doc.title, kEvil);
        QVERIFY(html.contains(QStringLiteral("Ünïcødé ✓ 日本語")));
        QVERIFY(html.contains(QStringLiteral("%1%2"))); // no placeholder substitution
        QVERIFY(!html.contains(QChar(0x1)));
        QVERIFY(!html.contains(QChar(0x7)));
        QVERIFY(html.contains(QChar(0xfffd)));
        QVERIFY(doc.textById.value(QStringLiteral("verdict")).contains(QStringLiteral("FAILED")));
        QVERIFY(html.contains(QStringLiteral("class=\"verdict fail\"")));
        const QString summary = doc.textById.value(QStringLiteral("summary"));
        QVERIFY2(summary.contains(QStringLiteral("1 error (ETIMEDOUT 1)")), qPrintable(summary));
        QVERIFY(summary.contains(QStringLiteral("peer declared dead: yes (") + kEvil));
    }

    void noPictureSaysSo()
    {
        handout::Input in;
        in.title = QStringLiteral("No picture");
        const QString html = handout::html(in);
        QVERIFY(html.contains(QStringLiteral("No timeline picture was captured")));
        QVERIFY(!html.contains(QStringLiteral("<img")));
        QVERIFY(parse(html).error.isEmpty());

        in.timelinePng = QByteArray("\"><script>alert(1)</script>"); // not a PNG
        const QString bad = handout::html(in);
        QVERIFY(bad.contains(QStringLiteral("No timeline picture was captured")));
        QVERIFY(!bad.contains(QStringLiteral("<img")));
        QVERIFY(!bad.contains(QStringLiteral("<script")));
    }

    void emptyExperiment()
    {
        handout::Input in;
        in.generated = QDateTime(QDate(2024, 3, 5), QTime(14, 30, 0));
        const QString html = handout::html(in);
        const Doc doc = parse(html);
        QVERIFY2(doc.error.isEmpty(), qPrintable(doc.error));
        QCOMPARE(doc.title, QStringLiteral("SockLab experiment"));
        QVERIFY(html.contains(QStringLiteral("2024-03-05 14:30:00")));
        QVERIFY(!doc.textById.contains(QStringLiteral("verdict")));
        QVERIFY(!doc.textById.contains(QStringLiteral("explanation")));
        QVERIFY(html.contains(QStringLiteral("No socket option was set")));
        QVERIFY(html.contains(QStringLiteral("No events were recorded.")));
        QVERIFY(doc.textById.value(QStringLiteral("summary")).contains(QStringLiteral("0 events")));
    }

    void optionKinds()
    {
        handout::Input in;
        Event set = makeEvent(EventKind::OptionSet, 1);
        set.option = QStringLiteral("TCP_NODELAY");
        set.requested = true;
        set.effective = true;
        Event def = makeEvent(EventKind::SystemDefault, 2);
        def.option = QStringLiteral("TCP_KEEPINTVL");
        def.effective = 75;
        Event inh = makeEvent(EventKind::OptionInherited, 3, QStringLiteral("a1"));
        inh.option = QStringLiteral("TCP_KEEPIDLE");
        inh.requested = 45;
        inh.effective = 45;
        Event refused = makeEvent(EventKind::Error, 4);
        refused.op = QStringLiteral("setsockopt");
        refused.option = QStringLiteral("SO_LINGER");
        refused.requested = 70000;
        refused.err = EINVAL;
        in.events = {set, set, def, inh, refused}; // the repeated set shows once
        const Doc doc = parse(handout::html(in));
        QVERIFY2(doc.error.isEmpty(), qPrintable(doc.error));
        const QList<Row> rows = doc.tables.value(QStringLiteral("options"));
        QCOMPARE(rows.size(), 4);
        QCOMPARE(rows[0].cells.mid(0, 4),
                 (QStringList{QStringLiteral("c1"), QStringLiteral("TCP_NODELAY"),
                              QStringLiteral("true"), QStringLiteral("true")}));
        QCOMPARE(rows[0].cls, QString());
        QCOMPARE(rows[1].cells[2], QStringLiteral("not set (system default)"));
        QCOMPARE(rows[1].cells[3], QStringLiteral("75"));
        QCOMPARE(rows[2].cells[0], QStringLiteral("a1"));
        QCOMPARE(rows[3].cls, QStringLiteral("refused"));
        QCOMPARE(rows[3].cells[3], QStringLiteral("refused: EINVAL"));
    }

    void lessonResultInLog()
    {
        handout::Input in;
        Event r = makeEvent(EventKind::LessonResult, 5, QStringLiteral("lesson"));
        r.extra.insert(QStringLiteral("passed"), false);
        r.extra.insert(QStringLiteral("observed"), kEvil);
        in.events = {r};
        const QString html = handout::html(in);
        const Doc doc = parse(html);
        QVERIFY2(doc.error.isEmpty(), qPrintable(doc.error));
        const QList<Row> log = doc.tables.value(QStringLiteral("log"));
        QCOMPARE(log.size(), 1);
        QCOMPARE(log[0].cls, QStringLiteral("k-lesson k-lesson-failed"));
        QCOMPARE(log[0].cells[2], QStringLiteral("lesson_result"));
        QVERIFY(log[0].cells[6].contains(QStringLiteral("passed=false")));
        QVERIFY(log[0].cells[6].contains(QStringLiteral("observed=\"") + kEvil + u'"'));
        QVERIFY(!html.contains(QStringLiteral("<script")));
    }

    void largeLogIsCappedWithNote()
    {
        handout::Input in;
        const int total = 5100;
        for (int i = 0; i < total; ++i) {
            Event e = makeEvent(EventKind::Info, qint64(i) * 1000000);
            e.detail = QStringLiteral("event %1").arg(i);
            if (i == 2550) { // in the part that is left out: still counted in the summary
                e.kind = EventKind::Timeout;
                e.op = QStringLiteral("recv");
            }
            in.events << e;
        }
        QCOMPARE(in.maxLogRows, 5000);
        const QString html = handout::html(in);
        const Doc doc = parse(html);
        QVERIFY2(doc.error.isEmpty(), qPrintable(doc.error));
        const QList<Row> rows = doc.tables.value(QStringLiteral("log"));
        QList<Row> shown, gaps;
        for (const Row &r : rows)
            (r.cls == QStringLiteral("gap") ? gaps : shown) << r;
        QCOMPARE(shown.size(), 5000);
        QCOMPARE(gaps.size(), 1);
        QVERIFY2(gaps[0].cells.value(0).contains(QStringLiteral("100 events left out")),
                 qPrintable(gaps[0].cells.value(0)));
        // The first half and the last half, in order.
        QCOMPARE(shown.first().cells[6], QStringLiteral("event 0"));
        QCOMPARE(shown[2499].cells[6], QStringLiteral("event 2499"));
        QCOMPARE(shown[2500].cells[6], QStringLiteral("event 2600"));
        QCOMPARE(shown.last().cells[6], QStringLiteral("event 5099"));
        const QString note = doc.textById.value(QStringLiteral("log-cap"));
        QVERIFY2(note.contains(QStringLiteral("5000 of 5100")), qPrintable(note));
        QVERIFY(note.contains(QStringLiteral("100 events in between are left out")));
        const QString summary = doc.textById.value(QStringLiteral("summary"));
        QVERIFY2(summary.contains(QStringLiteral("5100 events")), qPrintable(summary));
        QVERIFY(summary.contains(QStringLiteral("1 timeout (recv 1)")));

        // Under the cap: no note, no gap.
        in.events.resize(4000);
        const Doc small = parse(handout::html(in));
        QCOMPARE(small.tables.value(QStringLiteral("log")).size(), 4000);
        QVERIFY(!small.textById.contains(QStringLiteral("log-cap")));
    }
};

QTEST_GUILESS_MAIN(TestHandout)
#include "tst_handout.moc"
