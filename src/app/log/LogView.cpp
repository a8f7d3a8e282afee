#include "LogView.h"

#include "EventDetail.h"
#include "EventExport.h"
#include "LogModel.h"
#include "ui_LogView.h"

#include <QAction>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHeaderView>
#include <QKeyEvent>
#include <QMenu>
#include <QMessageBox>
#include <QMouseEvent>
#include <QSaveFile>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QTextCursor>

#include <algorithm>
#include <functional>
#include <tuple>

using socklab::Event;
using socklab::EventKind;

namespace {
// Pixels a log row has above and below its text.
constexpr int kRowPadding = 2;

constexpr int kScrollThrottleMs = 50;
constexpr int kSearchDelayMs = 150;
constexpr qsizetype kWriteChunk = 1 << 20;

const QList<EventKind> kOptionKinds{EventKind::OptionSet, EventKind::OptionInherited,
                                    EventKind::SystemDefault};

// Writes a header (if any) and one line per event through a QSaveFile, so a failed export
// never leaves a half-written file where a good one was.
bool writeEvents(const LogModel *model, const QString &path, const QByteArray &header,
                 const std::function<QByteArray(const Event &)> &line, const char *eol,
                 QString *error)
{
    const auto fail = [&](const QString &why) {
        if (error)
            *error =
                LogView::tr("Could not write “%1”: %2").arg(QDir::toNativeSeparators(path), why);
        return false;
    };
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    QByteArray buf;
    buf.reserve(kWriteChunk + 4096);
    const auto flush = [&] {
        const bool ok = file.write(buf) == buf.size();
        buf.clear();
        return ok;
    };
    if (!header.isEmpty()) {
        buf += header;
        buf += eol;
    }
    const int rows = model->rowCount();
    for (int r = 0; r < rows; ++r) {
        buf += line(model->eventAt(r));
        buf += eol;
        if (buf.size() >= kWriteChunk && !flush()) {
            const QString why = file.errorString();
            file.cancelWriting();
            return fail(why);
        }
    }
    if (!buf.isEmpty() && !flush()) {
        const QString why = file.errorString();
        file.cancelWriting();
        return fail(why);
    }
    if (!file.commit())
        return fail(file.errorString());
    return true;
}

// A cell of copied text must not break the tab-separated layout.
QString tsvCell(QString s)
{
    s.replace(u'\t', u' ');
    s.replace(u'\n', u' ');
    s.replace(u'\r', u' ');
    return s;
}

} // namespace

LogView::LogView(QWidget *parent)
    : QWidget(parent), m_ui(std::make_unique<Ui::LogView>()), m_model(new LogModel(this)),
      m_proxy(new LogFilterProxy(this))
{
    m_ui->setupUi(this);
    m_proxy->setSourceModel(m_model);

    setupTable();
    setupKindsMenu();
    setupExportMenu();

    // Parented as well as owned, so tests and tools can find the throttle by name.
    m_scrollTimer.setParent(this);
    m_scrollTimer.setObjectName(QStringLiteral("scrollThrottle"));
    m_scrollTimer.setSingleShot(true);
    m_scrollTimer.setInterval(kScrollThrottleMs);
    connect(&m_scrollTimer, &QTimer::timeout, this, &LogView::scrollToNewest);

    m_searchTimer.setSingleShot(true);
    m_searchTimer.setInterval(kSearchDelayMs);
    connect(&m_searchTimer, &QTimer::timeout, this,
            [this] { m_proxy->setText(m_ui->searchEdit->text()); });
    connect(m_ui->searchEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        // Clearing is cheap to apply at once and is what the clear button is for.
        if (text.isEmpty()) {
            m_searchTimer.stop();
            m_proxy->setText({});
        } else {
            m_searchTimer.start();
        }
    });
    connect(m_ui->searchEdit, &QLineEdit::returnPressed, this, [this] {
        m_searchTimer.stop();
        m_proxy->setText(m_ui->searchEdit->text());
    });

    m_ui->socketCombo->setItemData(0, QString());
    connect(m_ui->socketCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_proxy->setSocket(m_ui->socketCombo->itemData(index).toString());
    });

    // The detail pane: all of the current event, in a fixed-width font so escaped bytes line up.
    QFont mono = m_ui->detailText->font();
    mono.setFamilies({QFontDatabase::systemFont(QFontDatabase::FixedFont).family()});
    m_ui->detailText->setFont(mono);
    // Closed until an event is selected: on a projector every row of the log counts.
    m_ui->splitter->setStretchFactor(0, 1);
    m_ui->splitter->setStretchFactor(1, 0);
    m_ui->splitter->setSizes({1, 0});
    m_detailTimer.setSingleShot(true);
    m_detailTimer.setInterval(0);
    connect(&m_detailTimer, &QTimer::timeout, this, &LogView::appendDetailSlice);
    connect(m_ui->table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { showDetail(current); });
    connect(m_ui->copyButton, &QPushButton::clicked, this, &LogView::copySelection);
    connect(m_ui->clearButton, &QPushButton::clicked, this, &LogView::clear);
    connect(m_ui->followButton, &QToolButton::clicked, this, &LogView::followNewest);
    // "Paused: follow" floats over the table's bottom-right corner. In the bar above, showing
    // it made the log's minimum wider, and at 1280 px the options panel gave up the width
    // (its fields cut). Over the table it moves nothing.
    m_ui->topBar->removeWidget(m_ui->followButton);
    m_ui->followButton->setParent(m_ui->table);
    m_ui->followButton->setAutoRaise(false);
    m_ui->followButton->hide();
}

void LogView::placeFollowButton()
{
    QToolButton *b = m_ui->followButton;
    b->adjustSize();
    const QRect room = m_ui->table->viewport()->geometry();
    constexpr int margin = 6;
    b->move(std::max(room.left(), room.right() + 1 - b->width() - margin),
            std::max(room.top(), room.bottom() + 1 - b->height() - margin));
    b->raise();
}

LogView::~LogView() = default;

void LogView::showDetail(const QModelIndex &current)
{
    m_detailTimer.stop();
    m_detailRest.clear();
    m_detailPos = 0;
    m_ui->detailText->clear();
    if (!current.isValid())
        return;
    if (m_ui->splitter->sizes().value(1) == 0) { // selecting opens the pane, half the height
        const int h = m_ui->splitter->height();
        m_ui->splitter->setSizes({h - h / 2, h / 2});
    }
    const int row = m_proxy->mapToSource(current).row();
    m_detailRest = eventDetailText(m_model->eventAt(row), m_model->payloadReleased(row),
                                   m_model->payloadBudget());
    appendDetailSlice();
}

// Long text goes into the pane in slices that end at a line's end, one per turn of the event
// loop, so the window answers while a megabyte of escaped bytes is laid out.
void LogView::appendDetailSlice()
{
    constexpr qsizetype kSliceChars = 64 * 1024;
    qsizetype end = m_detailRest.size();
    if (end - m_detailPos > kSliceChars) {
        end = m_detailRest.indexOf(QLatin1Char('\n'), m_detailPos + kSliceChars);
        end = end < 0 ? m_detailRest.size() : end + 1;
    }
    QTextCursor cursor(m_ui->detailText->document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(QStringView(m_detailRest).mid(m_detailPos, end - m_detailPos).toString());
    m_detailPos = end;
    if (m_detailPos < m_detailRest.size()) {
        m_detailTimer.start();
    } else {
        m_detailRest.clear();
        m_detailPos = 0;
    }
}

void LogView::setupTable()
{
    QTableView *t = m_ui->table;
    t->setModel(m_proxy);
    // Fixed row heights let the view compute geometry for a million rows without measuring.
    QHeaderView *vh = t->verticalHeader();
    vh->setSectionResizeMode(QHeaderView::Fixed);
    vh->setMinimumSectionSize(1);
    vh->setDefaultSectionSize(t->fontMetrics().height() + kRowPadding);
    t->horizontalHeader()->setStretchLastSection(true);
    t->setWordWrap(false);
    t->setTextElideMode(Qt::ElideRight);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::ExtendedSelection);

    m_copyAction = new QAction(tr("Copy"), t);
    m_copyAction->setShortcut(QKeySequence::Copy);
    m_copyAction->setShortcutContext(Qt::WidgetShortcut);
    m_copyAction->setToolTip(tr("Copy the selected rows as tab-separated text"));
    connect(m_copyAction, &QAction::triggered, this, &LogView::copySelection);
    t->addAction(m_copyAction);
    t->setContextMenuPolicy(Qt::ActionsContextMenu);
    t->installEventFilter(this);
    t->viewport()->installEventFilter(this); // its resize places "Paused: follow"

    QScrollBar *sb = t->verticalScrollBar();
    connect(sb, &QScrollBar::valueChanged, this, &LogView::onScrollValueChanged);
    // The range grows after the view lays out new rows (and on resize or re-filtering):
    // that is when a follower needs to move.
    connect(sb, &QScrollBar::rangeChanged, this, [this] {
        if (m_following)
            scheduleScroll();
    });
}

void LogView::setupKindsMenu()
{
    m_kindsMenu = new QMenu(this);
    m_kindsMenu->setToolTipsVisible(true);
    QAction *all = m_kindsMenu->addAction(tr("Show all"));
    all->setToolTip(tr("Show events of every kind"));
    connect(all, &QAction::triggered, this, [this] {
        m_proxy->showAllKinds();
        syncKindActions();
    });
    QAction *hideOptions = m_kindsMenu->addAction(tr("Hide option events"));
    hideOptions->setToolTip(
        tr("Hide option_set, option_inherited and system_default: the setup noise before the "
           "calls"));
    connect(hideOptions, &QAction::triggered, this, [this] {
        m_proxy->setKindsShown(kOptionKinds, false);
        syncKindActions();
    });
    m_kindsMenu->addSeparator();

    // Finished is the engine's end marker; the log never shows it, so it has no switch.
    m_kindActions.assign(size_t(EventKind::Finished), nullptr);
    for (int k = 0; k < int(EventKind::Finished); ++k) {
        const auto kind = EventKind(k);
        QAction *a = m_kindsMenu->addAction(socklab::kindName(kind));
        a->setCheckable(true);
        a->setChecked(m_proxy->isKindShown(kind));
        a->setToolTip(tr("Show or hide %1 events").arg(socklab::kindName(kind)));
        connect(a, &QAction::toggled, this, [this, kind](bool on) {
            m_proxy->setKindShown(kind, on);
            syncKindActions();
        });
        m_kindActions[size_t(k)] = a;
    }
    // Keeps the menu open while ticking several kinds.
    m_kindsMenu->installEventFilter(this);
    m_ui->kindsButton->setMenu(m_kindsMenu);
}

void LogView::setupExportMenu()
{
    auto *menu = new QMenu(this);
    menu->setToolTipsVisible(true);
    QAction *csv = menu->addAction(tr("CSV…"));
    csv->setToolTip(tr("Comma-separated values for spreadsheets; one row per event, the CLI's "
                       "field names as columns"));
    connect(csv, &QAction::triggered, this, [this] { exportWithDialog(true); });
    QAction *ndjson = menu->addAction(tr("NDJSON…"));
    ndjson->setToolTip(tr("One JSON object per line, exactly as socklab-cli --json prints"));
    connect(ndjson, &QAction::triggered, this, [this] { exportWithDialog(false); });
    m_ui->exportButton->setMenu(menu);
}

void LogView::syncKindActions()
{
    int hidden = 0;
    for (size_t k = 0; k < m_kindActions.size(); ++k) {
        const bool shown = m_proxy->isKindShown(EventKind(k));
        if (!shown)
            ++hidden;
        const QSignalBlocker block(m_kindActions[k]);
        m_kindActions[k]->setChecked(shown);
    }
    m_ui->kindsButton->setText(hidden ? tr("Kinds (%1 hidden)").arg(hidden) : tr("Kinds"));
}

int LogView::heightForRows(int rows) const
{
    const QTableView *t = m_ui->table;
    // The horizontal scroll bar comes with the first long row, if it is not there yet.
    const int bar =
        t->horizontalScrollBar()->isVisible() ? 0 : t->horizontalScrollBar()->sizeHint().height();
    // (And two pixels that the layouts around it may round away.)
    return height() - t->viewport()->height() + bar +
           rows * t->verticalHeader()->defaultSectionSize() + 2;
}

bool LogView::isDetailOpen() const
{
    return m_ui->splitter->sizes().value(1) > 0;
}

void LogView::closeDetail()
{
    m_ui->splitter->setSizes({1, 0});
}

LogModel *LogView::model() const
{
    return m_model;
}

LogFilterProxy *LogView::proxy() const
{
    return m_proxy;
}

void LogView::append(const QList<Event> &batch)
{
    // The CLI never prints Finished and the exports follow the CLI, so the log drops it.
    const bool hasFinished = std::any_of(
        batch.cbegin(), batch.cend(), [](const Event &e) { return e.kind == EventKind::Finished; });
    QList<Event> kept;
    if (hasFinished) {
        kept.reserve(batch.size());
        for (const Event &e : batch) {
            if (e.kind != EventKind::Finished)
                kept << e;
        }
    }
    const QList<Event> &events = hasFinished ? kept : batch;
    if (events.isEmpty())
        return;

    m_model->append(events);
    for (const Event &e : events) {
        if (!e.sock.isEmpty() && !m_sockets.contains(e.sock))
            addSocketLabel(e.sock);
    }
    sizeColumnsOnce();
    if (m_following)
        scheduleScroll();
}

void LogView::addSocketLabel(const QString &label)
{
    m_sockets.insert(label);
    QComboBox *combo = m_ui->socketCombo;
    int pos = 1;
    while (pos < combo->count() &&
           QString::compare(combo->itemData(pos).toString(), label, Qt::CaseInsensitive) < 0)
        ++pos;
    combo->insertItem(pos, label, label);
    combo->setItemData(pos, tr("Show only the events of socket %1").arg(label), Qt::ToolTipRole);
}

// A zoom for the projector changes the font: the columns are measured again, or times and
// errno symbols are cut ("4.092…", "ETIMED…").
void LogView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange) {
        m_columnsSized = false;
        sizeColumnsOnce();
    }
    QWidget::changeEvent(event);
}

void LogView::sizeColumnsOnce()
{
    if (m_columnsSized || m_proxy->rowCount() == 0)
        return;
    m_columnsSized = true;
    QTableView *t = m_ui->table;
    // Timeouts and dead peers are drawn bold: measure with the bold font.
    QFont bold = t->font();
    bold.setBold(true);
    const QFontMetrics fm(bold);
    const int pad = fm.horizontalAdvance(QLatin1Char('M')) * 2;
    const int icon = t->iconSize().width() > 0 ? t->iconSize().width() + 8 : 24;
    // Content-sized from the first rows, but never narrower than typical later values.
    const std::tuple<int, QString, int> widest[] = {
        {LogModel::Time, QStringLiteral("0000.000000"), 0},
        {LogModel::Socket, QStringLiteral("peer1"), 0},
        {LogModel::Kind, QStringLiteral("probe_unanswered"), icon},
        {LogModel::Op, QStringLiteral("setsockopt"), 0},
        {LogModel::Errno, QStringLiteral("ECONNREFUSED"), 0},
    };
    for (const auto &[column, sample, extra] : widest) {
        t->resizeColumnToContents(column);
        t->setColumnWidth(
            column, std::max(t->columnWidth(column), fm.horizontalAdvance(sample) + pad + extra));
    }
}

void LogView::clear()
{
    m_model->clear();
    showDetail({});
    // Keep the chosen socket selectable: the next run usually reuses the same labels.
    QComboBox *combo = m_ui->socketCombo;
    const QString current = combo->currentData().toString();
    {
        const QSignalBlocker block(combo);
        while (combo->count() > 1)
            combo->removeItem(combo->count() - 1);
        m_sockets.clear();
        if (!current.isEmpty()) {
            addSocketLabel(current);
            combo->setCurrentIndex(1);
        } else {
            combo->setCurrentIndex(0);
        }
    }
    setFollowing(true);
}

void LogView::clearForNewPage()
{
    m_ui->searchEdit->clear();
    m_ui->socketCombo->setCurrentIndex(0);
    clear();
}

void LogView::copySelection() const
{
    const QItemSelectionModel *sel = m_ui->table->selectionModel();
    if (!sel)
        return;
    QModelIndexList rows = sel->selectedRows();
    if (rows.isEmpty())
        return;
    std::sort(rows.begin(), rows.end(),
              [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QString text;
    for (const QModelIndex &r : std::as_const(rows)) {
        for (int c = 0; c < LogModel::ColumnCount; ++c) {
            if (c)
                text += u'\t';
            text += tsvCell(m_proxy->index(r.row(), c).data().toString());
        }
        text += u'\n';
    }
    QGuiApplication::clipboard()->setText(text);
}

bool LogView::exportCsv(const QString &path, QString *error) const
{
    return writeEvents(
        m_model, path, socklab::csvHeader().toUtf8(),
        [](const Event &e) { return socklab::toCsvRow(e).toUtf8(); }, "\r\n", error);
}

bool LogView::exportNdjson(const QString &path, QString *error) const
{
    return writeEvents(m_model, path, {}, &socklab::toNdjsonLine, "\n", error);
}

void LogView::exportWithDialog(bool csv)
{
    const QString suffix = csv ? QStringLiteral("csv") : QStringLiteral("ndjson");
    const QString dir = m_lastExportDir.isEmpty() ? QDir::homePath() : m_lastExportDir;
    QString path = QFileDialog::getSaveFileName(
        this, csv ? tr("Export log as CSV") : tr("Export log as NDJSON"),
        QDir(dir).filePath(QStringLiteral("socklab-log.") + suffix),
        csv ? tr("CSV files (*.csv);;All files (*)")
            : tr("NDJSON files (*.ndjson *.jsonl);;All files (*)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    m_lastExportDir = QFileInfo(path).absolutePath();
    QString error;
    const bool ok = csv ? exportCsv(path, &error) : exportNdjson(path, &error);
    if (!ok)
        QMessageBox::warning(this, tr("Export failed"), error);
}

void LogView::setFollowing(bool following)
{
    if (following == m_following)
        return;
    m_following = following;
    if (!following)
        placeFollowButton();
    m_ui->followButton->setVisible(!following);
    if (!following)
        m_scrollTimer.stop();
    emit followingChanged(following);
}

void LogView::followNewest()
{
    setFollowing(true);
    scrollToNewest();
}

void LogView::scheduleScroll()
{
    if (!m_scrollTimer.isActive())
        m_scrollTimer.start();
}

void LogView::scrollToNewest()
{
    if (!m_following)
        return;
    m_scrollingToBottom = true;
    m_ui->table->scrollToBottom();
    m_scrollingToBottom = false;
}

void LogView::onScrollValueChanged(int value)
{
    if (m_scrollingToBottom)
        return;
    // Any move away from the bottom is the user looking back (the view itself only clamps
    // the value to a shrinking range, which lands on the bottom); back at the bottom resumes.
    setFollowing(value >= m_ui->table->verticalScrollBar()->maximum());
}

bool LogView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_ui->table &&
        (event->type() == QEvent::ShortcutOverride || event->type() == QEvent::KeyPress)) {
        // The view's own Ctrl+C copies one cell; take the key so whole rows are copied.
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Copy)) {
            event->accept();
            if (event->type() == QEvent::KeyPress)
                copySelection();
            return true;
        }
    } else if (watched == m_ui->table && event->type() == QEvent::FontChange) {
        // Rows as tall as the table's new text (presenter mode's is half as large again):
        // set once from the font at start, they clipped its glyphs.
        m_ui->table->verticalHeader()->setDefaultSectionSize(m_ui->table->fontMetrics().height() +
                                                             kRowPadding);
    } else if (watched == m_ui->table->viewport() && event->type() == QEvent::Resize) {
        placeFollowButton();
    } else if (watched == m_kindsMenu && event->type() == QEvent::MouseButtonRelease) {
        auto *mouse = static_cast<QMouseEvent *>(event);
        QAction *a = m_kindsMenu->actionAt(mouse->position().toPoint());
        if (a && a->isCheckable() && a->isEnabled()) {
            a->toggle();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}
