"""Receipts and session reports laid out for a receipt printer: ESC/POS bytes made with
python-escpos (its `Dummy` printer records what it would send), in code page CP858 (Western
European letters and the euro sign), for a paper of `columns` characters (42 or 48 on 80 mm).

A receipt: the shop's header (name, address, VAT number), DUPLICATE n for a copy after the first,
the reference, date and ticket number with its chain link, one line per product with quantity
and unit price, the totals (untaxed, tax per rate, total), the payments and the change, the
reference's 12 digits as a Code 128 barcode (which the till's past-orders search takes) and the
cut. Amounts are written as the config's locale writes them (a decimal comma outside English),
and the receipt's words in its language (the request's locale, set to the config's by jobs.py).
"""
import contextlib
import io
from decimal import Decimal

from escpos.printer import Dummy

from core.i18n import _

CODE_PAGE = "CP858"
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}


class Sheet:
    """A Dummy printer with the few moves a receipt makes."""

    def __init__(self, columns):
        self.columns = columns
        self.printer = Dummy()
        self.printer.hw("INIT")
        self.printer.charcode(CODE_PAGE)

    def line(self, text="", align="left", bold=False, big=False):
        self.printer.set(align=align, bold=bold, double_height=big, double_width=big,
                         normal_textsize=not big)
        width = self.columns // 2 if big else self.columns
        self.printer.textln(text[:width])

    def pair(self, left, right, bold=False, big=False):
        """`left` and `right` on one line, `right` at the right edge (left cut short first)."""
        width = self.columns // 2 if big else self.columns
        right = right[:width]
        left = left[:max(width - len(right) - 1, 0)]
        self.line(left + " " * (width - len(left) - len(right)) + right, bold=bold, big=big)

    def rule(self):
        self.line("-" * self.columns)

    def barcode(self, digits):
        self.printer.set(align="center", normal_textsize=True)
        with contextlib.redirect_stdout(io.StringIO()):  # it prints which renderer it chose
            self.printer.barcode("{B" + digits, "CODE128", function_type="B", height=60,
                                 width=2, pos="BELOW")
        self.printer.ln()

    def cut(self):
        self.printer.cut()

    @property
    def output(self):
        return self.printer.output


def money_text(amount, config):
    """"1,98 €" for a French config in euros, "1.98 $" for an English one in dollars."""
    text = f"{Decimal(amount):.2f}"
    locale = (config.get("locale") or "").lower()
    if locale and not locale.startswith("en"):
        text = text.replace(".", ",")
    code = (config.get("currency_code") or "").upper()
    symbol = SYMBOLS.get(code, code)
    return f"{text} {symbol}".rstrip()


def rate_text(rate, config):
    """A tax rate as the config's locale writes it: "5.5" in English, "5,5" in French."""
    text = f"{rate.normalize():f}"
    locale = (config.get("locale") or "").lower()
    return text.replace(".", ",") if locale and not locale.startswith("en") else text


def _quantity(text):
    value = Decimal(text)
    return str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value.normalize())


def header(sheet, config):
    sheet.line(config.get("shop_name") or config.get("name") or "", align="center", bold=True,
               big=True)
    for part in (config.get("shop_address") or "").splitlines():
        if part.strip():
            sheet.line(part.strip(), align="center")
    if config.get("vat_number"):
        sheet.line(_("VAT %(number)s", number=config["vat_number"]), align="center")


def receipt(order, config, columns, copy=1):
    """The bytes of `order` (point_of_sale.order_details) printed for `config` (its receipt
    settings: shop_name, shop_address, vat_number, currency_code, locale)."""
    money = lambda amount: money_text(amount, config)  # noqa: E731
    sheet = Sheet(columns)
    header(sheet, config)
    if copy > 1:
        sheet.line(_("DUPLICATE %(number)s", number=copy - 1), align="center", bold=True,
                   big=True)
    sheet.rule()
    sheet.line(order["reference"])
    sheet.line(order["created_at"].replace("T", " ")[:16] + " UTC")
    ticket = order.get("ticket")
    if ticket:
        sheet.line(_("Ticket %(number)s · %(link)s", number=ticket["number"],
                     link=ticket["link"][:10]))
    if order.get("partner_name"):
        sheet.line(_("Customer: %(name)s", name=order["partner_name"]))
    sheet.rule()
    by_rate = {}
    for line in order["lines"]:
        sheet.pair(line["name"], money(line["price_subtotal_incl"]))
        detail = f"  {_quantity(line['qty'])} x {money(line['price_unit'])}"
        if Decimal(line["discount"]):
            detail += f" -{_quantity(line['discount'])} %"
        sheet.line(detail)
        rate = Decimal(line["tax_rate"])
        untaxed, total = by_rate.get(rate, (Decimal(0), Decimal(0)))
        by_rate[rate] = (untaxed + Decimal(line["price_subtotal"]),
                         total + Decimal(line["price_subtotal_incl"]))
    sheet.rule()
    sheet.pair(_("Untaxed"), money(order["amount_untaxed"]))
    for rate, (untaxed, total) in sorted(by_rate.items()):
        sheet.pair(_("Tax %(rate)s %% on %(base)s", rate=rate_text(rate, config),
                     base=money(untaxed)), money(total - untaxed))
    sheet.pair(_("TOTAL"), money(order["amount_total"]), bold=True, big=True)
    for payment in order["payments"]:
        sheet.pair(payment["name"], money(payment["amount"]))
    if Decimal(order["amount_return"]):
        sheet.pair(_("Change"), money(order["amount_return"]))
    digits = barcode_digits(order["reference"])
    if digits:
        sheet.line()
        sheet.barcode(digits)
    sheet.line(_("Thank you!"), align="center")
    sheet.cut()
    return sheet.output


def barcode_digits(reference):
    """The reference's 12 digits ("Order 00001-001-0003" -> "000010010003"), or None."""
    tail = (reference or "").rsplit(" ", 1)[-1].split("-")
    if len(tail) == 3 and [len(p) for p in tail] == [5, 3, 4] and all(p.isdigit() for p in tail):
        return "".join(tail)
    return None


def session_report(report, config, columns, copy=1):
    """The bytes of a session report (point_of_sale.session_report) for `config`."""
    money = lambda amount: money_text(amount, config)  # noqa: E731
    sheet = Sheet(columns)
    header(sheet, config)
    _report_title(sheet, report, copy)
    sheet.rule()
    _report_totals(sheet, report, money)
    sheet.rule()
    _report_breakdown(sheet, report, config, money)
    sheet.rule()
    _report_cash(sheet, report, money)
    sheet.cut()
    return sheet.output


def _report_title(sheet, report, copy):
    """CLOSING or SESSION SO FAR (which copy), the session, its sealed ticket if any."""
    title = _("CLOSING") if report["closed"] else _("SESSION SO FAR")
    if copy > 1:
        title = _("%(title)s (copy %(copy)s)", title=title, copy=copy)
    sheet.line(title, align="center", bold=True)
    sheet.line(report["session"]["name"], align="center")
    if report.get("ticket") and report["ticket"].get("number"):
        sheet.line(_("Ticket %(number)s · %(link)s", number=report["ticket"]["number"],
                     link=report["ticket"]["link"][:10]), align="center")


def _report_totals(sheet, report, money):
    refunds = report.get("refund_count") or 0
    sheet.pair(_("Sales"), str(report["order_count"] - refunds))
    sheet.pair(_("Refunds"), f"{refunds} · {money(report['refund_total'])}")
    sheet.pair(_("Period total"), money(report["period_total"]), bold=True)
    sheet.pair(_("Perpetual total"), money(report["perpetual_total"]))


def _report_breakdown(sheet, report, config, money):
    """The totals by payment method (by its name), then by tax rate."""
    names = report.get("method_names") or {}
    for total in report["totals_by_method"]:
        sheet.pair(names.get(total["method"], total["method"]), money(total["amount"]))
    for tax in report["totals_by_tax"]:
        sheet.pair(_("Tax %(rate)s %%", rate=rate_text(Decimal(tax["tax_rate"]), config)),
                   money(tax["tax"]))


def _report_cash(sheet, report, money):
    """The cash figures the report holds (a session without cash control has none)."""
    for label, key in ((_("Opening float"), "opening_float"), (_("Cash sales"), "cash_sales"),
                       (_("Cash refunds"), "cash_refunds"), (_("Cash in"), "cash_in"),
                       (_("Cash out"), "cash_out"), (_("Expected cash"), "expected_cash"),
                       (_("Counted cash"), "counted_cash"),
                       (_("Difference"), "cash_difference")):
        if report.get(key) is not None:
            sheet.pair(label, money(report[key]))
