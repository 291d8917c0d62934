"""Cash control: what goes into and out of a session's drawer besides sales.

- the **opening float**, counted once when the session opens (optionally by denomination:
  `[{"value": "20.00", "count": 5}, ...]`, whose sum is the float);
- **cash in** and **cash out**, each with a reason; one above the config's approval limit
  (`cash_move_approval_limit`, whole currency units) needs a manager.

Each is a `CashMove` row, written once and never updated nor deleted by any code of Comptoir
(a mistake is corrected by another move). The session's closing copies them into its record,
which is sealed in the config's chain (closing.py): from then on an edited or deleted move breaks
the chain. A move's `uuid` is the till's, so a move sent twice (a retry) is stored once.

    expected cash = opening float + cash sales - cash refunds + cash in - cash out
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, select, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.models import utc_now

from .fields import Rejection
from .fields import amount as _amount
from .ledger_form import MONEY, TEXT, TIME, parsed
from .models import Money

FLOAT, CASH_IN, CASH_OUT = "float", "in", "out"
KINDS = (FLOAT, CASH_IN, CASH_OUT)
APPROVAL_LIMIT_FIELD = "cash_move_approval_limit"
DEFAULT_APPROVAL_LIMIT = 100
MAX_REASON = 200
MAX_DENOMINATIONS = 30
ZERO = Decimal("0.00")


class CashMove(Model):
    """Money put into or taken out of a session's drawer other than by a sale: the opening
    float (at most one per session), cash in, cash out. Amounts are positive."""
    __tablename__ = "point_of_sale_cash_move"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("point_of_sale_session.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(MAX_REASON), default="")
    denominations: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    by_login: Mapped[str] = mapped_column(String(64), default="")  # who did it ("" for a till)
    approved_by: Mapped[str] = mapped_column(String(64), default="")  # the approving manager

    __table_args__ = (
        Index("uq_point_of_sale_cash_move_one_float", "session_id", unique=True,
              sqlite_where=text("kind = 'float'"), postgresql_where=text("kind = 'float'")),
    )


class CashRefusal(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def parse_cash_move(body):
    """A move as the till sends it -> {uuid, kind, amount (Decimal), reason, denominations};
    CashRefusal (400) says what is wrong."""
    unknown = sorted(set(body) - {"uuid", "kind", "amount", "reason", "denominations"})
    if unknown:
        raise CashRefusal(400, "invalid_field", f"unknown fields: {', '.join(unknown)}")
    uuid, kind = _move_uuid(body.get("uuid")), _move_kind(body.get("kind"))
    reason = _move_reason(body.get("reason", ""), kind)
    try:
        amount, denominations = _move_amount(body, kind)
    except Rejection as rejection:
        raise CashRefusal(400, rejection.code, rejection.message) from None
    if kind != FLOAT and amount <= 0:
        raise CashRefusal(400, "invalid_field", "'amount' must be more than 0")
    return {"uuid": uuid, "kind": kind, "amount": amount, "reason": reason,
            "denominations": denominations}


def _move_uuid(uuid):
    if not isinstance(uuid, str) or not 0 < len(uuid) <= 64 or not uuid.isascii() \
            or not all(c.isalnum() or c in "-_" for c in uuid):
        raise CashRefusal(400, "invalid_field", "'uuid' must be 1 to 64 letters, digits, - or _ "
                          "(made by the till, so that a retried move is stored once)")
    return uuid


def _move_kind(kind):
    if kind not in KINDS:
        raise CashRefusal(400, "invalid_field", "'kind' must be \"float\" (the opening float), "
                          "\"in\" (cash put in) or \"out\" (cash taken out)")
    return kind


def _move_reason(reason, kind):
    """The reason, its blanks folded; required for a cash in or out."""
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise CashRefusal(400, "invalid_field", f"'reason' must be a text of at most "
                          f"{MAX_REASON} characters")
    reason = " ".join(reason.split())
    if kind != FLOAT and not reason:
        raise CashRefusal(400, "reason_required", "Say why the cash goes "
                          + ("in" if kind == CASH_IN else "out") + " (\"reason\").")
    return reason


def _move_amount(body, kind):
    """(amount, denominations as stored or None): the amount sent, or the float's count by
    denomination (which the amount, when sent too, must match). Rejection for an amount."""
    denominations = body.get("denominations")
    if denominations is None:
        if body.get("amount") is None:
            raise CashRefusal(400, "invalid_field", "'amount' is required (e.g. \"150.00\")")
        return _amount(body["amount"], "amount"), None
    if kind != FLOAT:
        raise CashRefusal(400, "invalid_field", "only the opening float is counted by "
                          "denomination")
    counted = _denominations(denominations)
    total = sum((value * count for value, count in counted), ZERO)
    amount = total if body.get("amount") is None else _amount(body["amount"], "amount")
    if amount != total:
        raise CashRefusal(400, "float_mismatch", f"the denominations add up to {total}, "
                          f"not {amount}: count again, or leave 'amount' out")
    return amount, [{"value": str(value), "count": count} for value, count in counted]


def _denominations(items):
    if not isinstance(items, list) or not 0 < len(items) <= MAX_DENOMINATIONS:
        raise CashRefusal(400, "invalid_field", f"'denominations' must be a list of 1 to "
                          f"{MAX_DENOMINATIONS} {{\"value\": \"20.00\", \"count\": 5}}")
    counted = []
    for index, item in enumerate(items):
        where = f"denominations[{index}]"
        if not isinstance(item, dict) or set(item) != {"value", "count"}:
            raise CashRefusal(400, "invalid_field", f"'{where}' must be "
                              "{\"value\": \"20.00\", \"count\": 5}")
        count = item["count"]
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 100000:
            raise CashRefusal(400, "invalid_field", f"'{where}.count' must be a whole number "
                              "from 0 to 100000")
        value = _amount(item["value"], f"{where}.value")
        if value <= 0:
            raise CashRefusal(400, "invalid_field", f"'{where}.value' must be more than 0")
        counted.append((value, count))
    return counted


def approval_limit(connection, config_id, manager):
    """The config's limit above which a cash in or out needs a manager (whole units)."""
    from core.config_fields import declared_fields, read_values
    fields = [f for f in declared_fields(manager, "pos.config") if f.name == APPROVAL_LIMIT_FIELD]
    if not fields:
        return Decimal(DEFAULT_APPROVAL_LIMIT)
    return Decimal(read_values(connection, "pos.config", config_id, fields)[APPROVAL_LIMIT_FIELD])


def needs_approval(move, limit):
    return move["kind"] != FLOAT and move["amount"] > limit


def record_cash_move(connection, session_id, move, by_login="", approved_by=""):
    """Store the move once; return ("created" | "duplicate", its row). CashRefusal (409) for
    a second opening float or a uuid already used by another move."""
    stored = connection.execute(select(CashMove).where(CashMove.uuid == move["uuid"])).first()
    if stored is not None:
        same = (stored.session_id, stored.kind, Decimal(stored.amount), stored.reason) == (
            session_id, move["kind"], move["amount"], move["reason"])
        if not same:
            raise CashRefusal(409, "uuid_conflict", f"cash move {move['uuid']} is already "
                              "stored with other values: send a new uuid for a new move")
        return "duplicate", stored
    if move["kind"] == FLOAT and connection.scalar(select(CashMove.id).where(
            CashMove.session_id == session_id, CashMove.kind == FLOAT)) is not None:
        raise CashRefusal(409, "float_already_counted", "This session's opening float is "
                          "already counted; correct it with a cash in or a cash out.")
    connection.execute(CashMove.__table__.insert().values(
        uuid=move["uuid"], session_id=session_id, kind=move["kind"], amount=move["amount"],
        reason=move["reason"], denominations=move["denominations"], created_at=utc_now(),
        by_login=by_login or "", approved_by=approved_by or ""))
    return "created", connection.execute(
        select(CashMove).where(CashMove.uuid == move["uuid"])).first()


def cash_moves(connection, session_id):
    """The session's moves in the order they were stored."""
    return connection.execute(select(CashMove).where(CashMove.session_id == session_id)
                              .order_by(CashMove.id)).all()


def move_record(row):
    """A move as the closing's sealed record and the report hold it (strings, UTC time)."""
    return {"uuid": row.uuid, "kind": row.kind, "amount": MONEY[0](row.amount),
            "reason": row.reason, "created_at": TIME[0](row.created_at),
            "by": row.by_login, "approved_by": row.approved_by,
            **({"denominations": row.denominations} if row.denominations else {})}


def cash_totals(moves):
    """(opening float or None, cash in, cash out) of a session's moves (rows or records)."""
    opening, cash_in, cash_out = None, ZERO, ZERO
    for move in moves:
        kind = move["kind"] if isinstance(move, dict) else move.kind
        amount = Decimal(move["amount"] if isinstance(move, dict) else move.amount)
        if kind == FLOAT:
            opening = (opening or ZERO) + amount
        elif kind == CASH_IN:
            cash_in += amount
        elif kind == CASH_OUT:
            cash_out += amount
    return opening, cash_in, cash_out


RECEIVED_MOVE_FIELDS = {"uuid": TEXT, "kind": TEXT, "amount": MONEY, "reason": TEXT,
                        "created_at": TIME, "by": TEXT, "approved_by": TEXT}


def store_received_moves(connection, session_id, records):
    """The moves of a closing sealed elsewhere (an autonomous till's), stored here once each so
    that this server's figures of the session include them. ValueError says what is wrong."""
    for index, record in enumerate(records):
        values, denominations = _received_move(record, f"record.cash_moves[{index}]")
        if connection.scalar(select(CashMove.id).where(CashMove.uuid == values["uuid"])):
            continue
        connection.execute(CashMove.__table__.insert().values(
            uuid=values["uuid"], session_id=session_id, kind=values["kind"],
            amount=values["amount"], reason=values["reason"] or "",
            denominations=denominations, created_at=values["created_at"],
            by_login=values["by"] or "", approved_by=values["approved_by"] or ""))


def _received_move(record, where):
    """(its values, its denominations or None) of a move of a received closing's record."""
    if not isinstance(record, dict):
        raise ValueError(f"{where} must be an object")
    denominations = record.get("denominations")
    values = parsed({k: v for k, v in record.items() if k != "denominations"},
                    RECEIVED_MOVE_FIELDS, where)
    if values["kind"] not in KINDS or values["amount"] is None or not values["uuid"]:
        raise ValueError(f"{where} is not a cash move")
    return values, denominations if isinstance(denominations, list) else None
