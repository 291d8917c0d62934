"""The point-of-sale records. Money is Decimal with two places; quantities three."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now

# Odoo's session states, in order. Only `opened` takes new sales.
OPENING_CONTROL, OPENED, CLOSING_CONTROL, CLOSED = (
    "opening_control", "opened", "closing_control", "closed")
SESSION_STATES = (OPENING_CONTROL, OPENED, CLOSING_CONTROL, CLOSED)

Money = Numeric(12, 2)
Quantity = Numeric(12, 3)


class PosConfig(Model):
    """A till (or a group of identical tills): what the POS page is opened for."""
    __tablename__ = "point_of_sale_config"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the receipt and the till show (shop_settings.py checks and documents them).
    shop_name: Mapped[str] = mapped_column(String(128), default="", server_default="")
    shop_address: Mapped[str] = mapped_column(String(512), default="", server_default="")
    vat_number: Mapped[str] = mapped_column(String(32), default="", server_default="")
    currency_code: Mapped[str] = mapped_column(String(3), default="", server_default="")
    locale: Mapped[str] = mapped_column(String(35), default="", server_default="")
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=True,
                                                     server_default=text("true"))


class PosSession(Model):
    """One opening of a config, from opening control to closed; orders belong to one."""
    __tablename__ = "point_of_sale_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_config.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default=OPENING_CONTROL)
    # Incremented each time a POS page loads the session (part of the order references).
    login_number: Mapped[int] = mapped_column(Integer, default=0)
    # The last order number the server has seen for this session.
    sequence_number: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # At most one session per config that is not closed (as Odoo's constraint).
        Index("uq_point_of_sale_session_one_open_per_config", "config_id", unique=True,
              sqlite_where=text("state != 'closed'"), postgresql_where=text("state != 'closed'")),
    )


class Product(Model):
    __tablename__ = "point_of_sale_product"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    barcode: Mapped[str | None] = mapped_column(String(32), unique=True)
    price: Mapped[Decimal] = mapped_column(Money)  # tax excluded
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))  # percent
    category: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Partner(Model):
    """A customer. The one flagged `is_customer_template` gives its defaults to customers created
    at a till (the Divalto "template customer")."""
    __tablename__ = "point_of_sale_partner"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str] = mapped_column(String(128), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    is_customer_template: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the template gives a customer created at a till when the till does not send it.
    street: Mapped[str] = mapped_column(String(128), default="", server_default="")
    zip: Mapped[str] = mapped_column(String(16), default="", server_default="")
    city: Mapped[str] = mapped_column(String(64), default="", server_default="")
    country_code: Mapped[str] = mapped_column(String(2), default="", server_default="")
    # A customer that orders reference is retired rather than deleted (customers.py).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    __table_args__ = (
        # At most one template partner.
        Index("uq_point_of_sale_partner_one_template", "is_customer_template", unique=True,
              sqlite_where=text("is_customer_template"),
              postgresql_where=text("is_customer_template")),
    )


class Order(Model):
    """A paid order as the till sent it; `uuid` is made by the till, so a re-sent order is
    recognised and never stored twice."""
    __tablename__ = "point_of_sale_order"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    reference: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_session.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("point_of_sale_partner.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # on the till
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    amount_untaxed: Mapped[Decimal] = mapped_column(Money)
    amount_tax: Mapped[Decimal] = mapped_column(Money)
    amount_total: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money)
    amount_return: Mapped[Decimal] = mapped_column(Money)  # change given back in cash
    # A refund (negative quantities) names the order it refunds (refunds.py).
    refunded_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("point_of_sale_order.id"), index=True)
    # Who sold it (the cashier's login), sealed with it; empty until staff fills it in.
    cashier: Mapped[str | None] = mapped_column(String(64))


class OrderLine(Model):
    __tablename__ = "point_of_sale_order_line"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("point_of_sale_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_product.id"))
    qty: Mapped[Decimal] = mapped_column(Quantity)
    price_unit: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))  # percent
    price_subtotal: Mapped[Decimal] = mapped_column(Money)  # tax excluded
    price_subtotal_incl: Mapped[Decimal] = mapped_column(Money)
    # The product's tax rate when sold (percent): closings total taxes per rate from it.
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    refunded_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("point_of_sale_order_line.id"), index=True)  # the line a refund line takes back
    # The product's name when sold, as the receipt printed it (sealed with the line).
    label: Mapped[str | None] = mapped_column(String(128))


class Payment(Model):
    __tablename__ = "point_of_sale_payment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("point_of_sale_order.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money)


# -- the ticket ledger (ledger.py, closing.py): numbers and links, never a copy of a ticket --

class LedgerHead(Model):
    """The last number and link of a config's chain; its row is locked while sealing."""
    __tablename__ = "point_of_sale_ledger_head"
    config_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_config.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, default=0)
    link: Mapped[str] = mapped_column(String(64))
    # The chain held here starts after ticket `origin_number` (link `origin_link`), sealed by
    # the config's previous writer (ledger_writer.start_chain_after); 0 and zeros: at ticket 1.
    origin_number: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    origin_link: Mapped[str] = mapped_column(String(64), default="0" * 64,
                                             server_default="0" * 64)


class LedgerEntry(Model):
    """Ticket `number` of a config's chain: which record (`kind`, `uuid`) it seals, and how."""
    __tablename__ = "point_of_sale_ledger_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_config.id"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # "order" | "closing"
    uuid: Mapped[str] = mapped_column(String(64))
    previous_link: Mapped[str] = mapped_column(String(64))
    link: Mapped[str] = mapped_column(String(64))
    # When the instance that sealed it did (its clock), and the Comptoir version it ran: both are
    # in the canonical form of the entries sealed with a version (none before this column).
    sealed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    software_version: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("config_id", "number", name="uq_point_of_sale_ledger_entry_number"),
        UniqueConstraint("kind", "uuid", name="uq_point_of_sale_ledger_entry_record"),
    )


class Closing(Model):
    """A session's closing: its figures as computed when it closed (closing.py), sealed in the
    config's chain. Totals per tax rate and per payment method are lists of dicts of strings."""
    __tablename__ = "point_of_sale_closing"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_session.id"), unique=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    order_count: Mapped[int] = mapped_column(Integer)
    refund_count: Mapped[int] = mapped_column(Integer)
    refund_total: Mapped[Decimal] = mapped_column(Money)
    period_total: Mapped[Decimal] = mapped_column(Money)
    perpetual_total: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    expected_cash: Mapped[Decimal] = mapped_column(Money)
    counted_cash: Mapped[Decimal | None] = mapped_column(Money)
    cash_difference: Mapped[Decimal | None] = mapped_column(Money)
    totals_by_tax: Mapped[list] = mapped_column(JSON)
    totals_by_method: Mapped[list] = mapped_column(JSON)
    # Cash control (cash_control.py): null when the session had no cash move.
    opening_float: Mapped[Decimal | None] = mapped_column(Money)
    cash_in: Mapped[Decimal | None] = mapped_column(Money)
    cash_out: Mapped[Decimal | None] = mapped_column(Money)
    cash_moves: Mapped[list | None] = mapped_column(JSON)


class LedgerAlarm(Model):
    """Something a check of a config's chain found (ledger_alarms.py): which ticket first, whose
    copy (`side`: "central" is this server's database, "till" an autonomous till's), in words.
    The same alarm raised again counts up instead of piling up rows."""
    __tablename__ = "point_of_sale_ledger_alarm"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_config.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    number: Mapped[int | None] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(String(1024))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    last_raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    count: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(256))


class LedgerCheckpoint(Model):
    """How far a config's stored chain was last verified (ledger_check.py): ticket `number` with
    `link` was intact at `checked_at`; a full pass from ticket 1 at `full_checked_at`."""
    __tablename__ = "point_of_sale_ledger_checkpoint"
    config_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_config.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, default=0)
    link: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    full_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last unlocking of sealed rows (ledger_guard.unsealed) the checks have seen.
    unseal_seen: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class LedgerUnseal(Model):
    """Each time sealed rows were let through the database's triggers (ledger_guard.unsealed): why
    and when. Open (no closed_at) only inside the transaction that unlocks."""
    __tablename__ = "point_of_sale_ledger_unseal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(String(512))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# -- the journal of technical events (journal.py): every row holds what it says, chained --------

class JournalHead(Model):
    """The last number and link of a journal chain (`local`: this instance's own events; a
    till's chain received by a central instance under its own name); locked while recording."""
    __tablename__ = "point_of_sale_journal_head"
    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, default=0)
    link: Mapped[str] = mapped_column(String(64))


class JournalEvent(Model):
    """Event `number` of a journal chain. `details` is the canonical JSON text of what the event
    says; `config_id` (no foreign key: the journal outlives what it mentions) the POS config it
    concerns, None for the whole instance."""
    __tablename__ = "point_of_sale_journal_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    config_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details: Mapped[str] = mapped_column(Text)
    previous_link: Mapped[str] = mapped_column(String(64))
    link: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("chain", "number", name="uq_point_of_sale_journal_event_number"),
    )


class ConfigWriter(Model):
    """A config whose tickets another instance writes (an autonomous till): this one refuses to
    open, sell or close on it (ledger_writer.py). No row: this instance writes them."""
    __tablename__ = "point_of_sale_config_writer"
    config_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_config.id"), primary_key=True)
    writer: Mapped[str] = mapped_column(String(128))
    writer_key: Mapped[str | None] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    reason: Mapped[str] = mapped_column(String(256))


class CustomerChange(Model):
    """Who created or edited a customer from a till, and when (customers.py): `source` names the
    till ("config:3" for a POS config's page or token, "autonomous_till:5" for an autonomous
    till on the central instance); `fields` the edited fields' new values (JSON)."""
    __tablename__ = "point_of_sale_customer_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # created | edited | abandoned
    source: Mapped[str] = mapped_column(String(64))
    fields: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Quarantine(Model):
    """An order an autonomous till sealed that breaks a rule of POST /pos/orders (order_rules.py):
    stored as received, its number kept in the chain, but counted in no refund balance, report
    or closing."""
    __tablename__ = "point_of_sale_quarantine"
    order_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


MODELS = [PosConfig, PosSession, Product, Partner, Order, OrderLine, Payment,
          LedgerHead, LedgerEntry, Closing, LedgerAlarm, LedgerCheckpoint, LedgerUnseal, ConfigWriter,
          JournalHead, JournalEvent, CustomerChange, Quarantine]
