"""The shop-close report drawn with Qt: as HTML for the window, and as a paged PDF.

`report_html` renders a `domain.report.ShopCloseReport` (the rows `services.report_formats`
lists, so every format says the same); `write_pdf` lays it out with `QTextDocument` on a
`QPdfWriter` (A4) with the store, the period and "page N of M" on every page. The command line
imports this module only to write a PDF, and it starts an offscreen Qt application if none
runs. Cards appear masked only.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from edge_app.domain.report import Line, ShopCloseReport
from edge_app.services.report_formats import (
    chain_words,
    money,
    section_rows,
    trigger_words,
    when,
)
from edge_app.ui.i18n import tr

_STYLE = """
body { font-family: sans-serif; font-size: 9pt; color: #1b1b1b; }
h1 { font-size: 15pt; color: #1f3b63; margin-bottom: 2px; }
h2 { font-size: 11pt; color: #1f3b63; margin-top: 14px; margin-bottom: 4px; }
table { border-collapse: collapse; }
th { background: #e8edf4; text-align: left; padding: 3px 6px; }
td { padding: 2px 6px; border-bottom: 1px solid #e0e4ea; }
td.n { text-align: right; }
.bad { color: #b00020; font-weight: bold; }
.ok { color: #1b6e20; font-weight: bold; }
.hint { color: #5f6368; }
"""
# The report's row names (from `services.report_formats`), listed so that they are translated.
REPORT_WORDS = (
    "Sales taken",
    "Voids taken",
    "Refunds taken",
    "Sales confirmed by the gateway",
    "Voids confirmed by the gateway",
    "Refunds confirmed by the gateway",
    "Declined or failed",
    "Held for a manager",
    "Still waiting",
    "Cancelled locally",
)
WAITING = "Still waiting"
_APP: list[QGuiApplication] = []  # the offscreen application this module started, kept alive


def _row(cells: list[str], *, head: bool = False, numeric: tuple[int, ...] = ()) -> str:
    tag = "th" if head else "td"
    parts = []
    for index, cell in enumerate(cells):
        css = ' class="n"' if index in numeric and not head else ""
        parts.append(f"<{tag}{css}>{escape(cell)}</{tag}>")
    return "<tr>" + "".join(parts) + "</tr>"


def _lines_table(title: str, lines: tuple[Line, ...], currency: str) -> str:
    if not lines:
        return ""
    head = [tr("Time"), tr("Kind"), tr("Card"), tr("Amount"), tr("Reason")]
    rows = [
        _row(
            [when(li.captured_ts), li.kind, li.masked_card, money(li.amount, currency), li.reason],
            numeric=(3,),
        )
        for li in lines
    ]
    # 99 %: a table of 100 % is a pixel wider than the view, which then scrolls sideways
    return (
        f'<p class="bad">{escape(title)}</p><table width="99%">'
        + _row(head, head=True)
        + "".join(rows)
        + "</table>"
    )


def _currencies(report: ShopCloseReport) -> list[str]:
    if not report.currencies:
        return [f"<p>{escape(tr('Nothing was captured in this period.'))}</p>"]
    out = []
    for section in report.currencies:
        cur = section.currency
        out.append(f"<h2>{escape(cur)}</h2><table>")
        out.append(_row(["", tr("Count"), tr("Amount")], head=True))
        for _, item, tally in section_rows(section, report.generated_ts):
            name = tr(WAITING) + item[len(WAITING) :] if item.startswith(WAITING) else tr(item)
            out.append(_row([name, str(tally.count), money(tally.amount, cur)], numeric=(1, 2)))
        out.append("</table>")
        out.append(_lines_table(tr("Declined: chase these"), section.declined, cur))
        out.append(_lines_table(tr("Held for a manager"), section.held, cur))
    return out


def _rest(report: ShopCloseReport) -> list[str]:
    cards = report.card_list
    out = [
        f"<h2>{escape(tr('Card list'))}</h2><p>"
        + escape(
            tr(
                "{added} added, {removed} removed here; sent to the gateway: {sent_added} "
                "added, {sent_removed} removed; {failed} refused."
            ).format(**vars(cards))
        )
        + "</p>",
        f"<h2>{escape(tr('Syncs'))}</h2>",
    ]
    if report.syncs:
        out.append("<table>" + _row([tr("Started"), tr("By"), tr("Result"), ""], head=True))
        for run in report.syncs:
            counts = f"uploaded {run.uploaded}, failed {run.failed}, left {run.left}"
            out.append(
                _row([when(run.started_ts), trigger_words(run.trigger), run.outcome, counts])
            )
        out.append("</table>")
    else:
        out.append(f"<p>{escape(tr('No sync ran in this period.'))}</p>")
    out.append(f"<h2>{escape(tr('Differences with the gateway'))}</h2>")
    if report.differences:
        out.append("<table>" + _row(["#", tr("Found"), tr("What")], head=True))
        out.extend(_row([str(d.id), when(d.found_ts), d.detail]) for d in report.differences)
        out.append("</table>")
    else:
        out.append(f"<p>{escape(tr('None open.'))}</p>")
    audit = report.audit
    out.append(f"<h2>{escape(tr('Audit trail'))}</h2>")
    if audit.verified:
        verified = tr("Verified: {n} entries.").format(n=audit.entries)
        head = tr("Chain head (pins the log as printed): entry {id}").format(id=audit.head_id)
        out.append(
            f'<p class="ok">{escape(verified)}</p>'
            f"<p>{escape(head)}<br/><tt>{escape(audit.head_mac)}</tt></p>"
        )
    else:
        out.append(f'<p class="bad">{escape(chain_words(report))}</p>')
    return out


def report_html(report: ShopCloseReport) -> str:
    """The whole report as one HTML page (the window shows it; the PDF prints it)."""
    title = tr("Shop-close report")
    intro = tr("Store {store}, {period}; device {device}; made {made}").format(
        store=report.store_id,
        period=report.period,
        device=report.device_id,
        made=when(report.generated_ts),
    )
    body = [f"<h1>{escape(title)}</h1>", f'<p class="hint">{escape(intro)}</p>']
    body += _currencies(report) + _rest(report)
    return f"<html><head><style>{_STYLE}</style></head><body>{''.join(body)}</body></html>"


def _ensure_gui() -> None:
    """QTextDocument needs a Qt application; the command line has none (and no screen). A
    widgets application, so that a window opened later in this process can use it too."""
    if QGuiApplication.instance() is None:
        from PySide6.QtWidgets import QApplication

        _APP.append(QApplication(["edge-app", "-platform", "offscreen"]))


def write_pdf(report: ShopCloseReport, path: Path) -> None:
    """Lay the report out on A4 pages, each with the store, period and page number."""
    _ensure_gui()
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 18, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle(f"Shop-close report {report.store_id} {report.period}")
    writer.setCreator("Edge Uploader")
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)
    font = QFont("sans-serif", 9)
    font.setFeature(QFont.Tag("liga"), 0)  # "ff", "fi" stay letters when the text is copied
    doc.setDefaultFont(font)
    doc.setHtml(report_html(report))
    page = writer.pageLayout().paintRectPixels(writer.resolution())
    band = writer.resolution() // 4  # room for the header and footer lines
    body = QRectF(0, 0, page.width(), page.height() - 2 * band)
    doc.setPageSize(body.size())
    pages = doc.pageCount()
    painter = QPainter(writer)
    try:
        painter.setFont(QFont("sans-serif", 8))
        for number in range(pages):
            if number:
                writer.newPage()
            _decorate(painter, report, page.width(), page.height(), band, number + 1, pages)
            painter.save()
            painter.translate(0, band - number * body.height())
            doc.drawContents(
                painter, QRectF(0, number * body.height(), body.width(), body.height())
            )
            painter.restore()
    finally:
        painter.end()


def _decorate(
    painter: QPainter, report: ShopCloseReport, width: int, height: int, band: int, n: int, m: int
) -> None:
    head = f"Edge Uploader - store {report.store_id} - shop-close report {report.period}"
    flags = Qt.AlignmentFlag.AlignVCenter
    painter.drawText(QRectF(0, 0, width, band * 0.8), flags | Qt.AlignmentFlag.AlignLeft, head)
    foot = f"Page {n} of {m}"
    painter.drawText(
        QRectF(0, height - band * 0.8, width, band * 0.8), flags | Qt.AlignmentFlag.AlignRight, foot
    )
