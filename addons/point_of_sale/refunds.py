"""Refunds: an order with negative quantities that refers to the order it refunds.

On the wire a refund names the original by `refunded_order_uuid`, and each of its lines the
original line by `refunded_line_index` (its position in the original's `lines`, from 0): a till
can refund an order it holds before the server has acknowledged it. Every line of a refund
refunds a line of that one original: same product, same unit price and discount, a negative
quantity. What is refunded of a line, over every refund of it, never exceeds what was sold.

Race-free: a push that holds refunds locks their originals' rows (PostgreSQL `FOR UPDATE`, in id
order so two pushes cannot deadlock) before it reads what was already refunded; a concurrent
refund of the same order waits for this push's commit and then sees its lines. SQLite writes
one transaction at a time (`engine.begin()` takes the write lock first).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from core.i18n import _

from .fields import Rejection
from .models import Order, OrderLine, PosSession
from .order_rules import not_quarantined


@dataclass
class OriginalLine:
    id: int
    product_id: int
    qty: Decimal
    price_unit: Decimal
    discount: Decimal
    refunded: Decimal  # positive: what the stored refunds took back


@dataclass
class Original:
    id: int
    uuid: str
    reference: str
    config_id: int
    is_refund: bool
    lines: list = field(default_factory=list)


@dataclass(frozen=True)
class RefundLinks:
    """What a checked refund stores: the original order's id and, per line, the line it
    refunds."""
    order_id: int
    line_ids: tuple
    quantities: tuple  # ((line id, quantity refunded), ...)


class Refunds:
    """The originals a push refunds, locked and read once for the whole push; `check` keeps
    count of what this push's refunds take, so two refunds in one push add up too."""

    def __init__(self, connection, orders):
        uuids = sorted({o.refunded_order_uuid for o in orders if o.refunded_order_uuid})
        self.originals = {}
        self.taken = defaultdict(Decimal)  # line id -> quantity refunded by this push so far
        if not uuids:
            return
        locked = (select(Order.id).where(Order.uuid.in_(uuids)).order_by(Order.id)
                  .with_for_update())
        ids = list(connection.execute(locked).scalars())
        if not ids:
            return
        for row in connection.execute(
                select(Order.id, Order.uuid, Order.reference, Order.refunded_order_id,
                       PosSession.config_id)
                .join(PosSession, PosSession.id == Order.session_id)
                .where(Order.id.in_(ids), not_quarantined(Order.id))):
            self.originals[row.uuid] = Original(row.id, row.uuid, row.reference, row.config_id,
                                                row.refunded_order_id is not None)
        by_id = {o.id: o for o in self.originals.values()}
        refunded = refunded_quantities(connection, ids)
        for line in connection.execute(select(OrderLine).where(OrderLine.order_id.in_(ids))
                                       .order_by(OrderLine.order_id, OrderLine.id)):
            by_id[line.order_id].lines.append(OriginalLine(
                line.id, line.product_id, line.qty, line.price_unit, line.discount,
                refunded.get(line.id, Decimal("0"))))

    def check(self, order, session):
        """None for a sale; the `RefundLinks` of a valid refund; else raises `Rejection`."""
        if order.refunded_order_uuid is None:
            return None
        original = self._original(order, session)
        wanted = defaultdict(Decimal)
        line_ids = []
        for index, line in enumerate(order.lines):
            sold = _line_taken_back(line, f"lines[{index}]", original)
            wanted[sold.id] += -line.qty
            line_ids.append(sold.id)
        self._check_left(original, wanted)
        return RefundLinks(original.id, tuple(line_ids), tuple(wanted.items()))

    def _original(self, order, session):
        """The order `order` refunds: of its session's config, and no refund itself."""
        original = self.originals.get(order.refunded_order_uuid)
        if original is None or original.config_id != session.config_id:
            raise Rejection("unknown_refunded_order",
                            _("there is no order %(uuid)s of this till's config to refund (an "
                              "order is refunded once the server has it)",
                              uuid=order.refunded_order_uuid))
        if original.is_refund:
            raise Rejection("invalid_refund", _("%(reference)s is a refund; it cannot be "
                                                "refunded", reference=original.reference))
        return original

    def _check_left(self, original, wanted):
        """Each line of `original` has at least `wanted` (line id -> qty) left to refund."""
        for index, sold in enumerate(original.lines):
            left = sold.qty - sold.refunded - self.taken[sold.id]
            if wanted[sold.id] > left:
                raise Rejection("refund_exceeds_sale",
                                _("line %(number)s of %(reference)s: %(wanted)s to refund but only "
                                  "%(left)s of %(sold)s sold is left to refund",
                                  number=index + 1, reference=original.reference,
                                  wanted=_qty(wanted[sold.id]), left=_qty(left),
                                  sold=_qty(sold.qty)))

    def take(self, links):
        """Count a refund that passed every check against what later ones may refund."""
        for line_id, qty in links.quantities if links else ():
            self.taken[line_id] += qty


def refunded_quantities(connection, order_ids):
    """{line id: quantity refunded so far (positive)} for the lines of `order_ids`."""
    refunding = OrderLine.__table__.alias("refunding")
    refunded = OrderLine.__table__.alias("refunded")
    rows = connection.execute(
        select(refunded.c.id, func.sum(refunding.c.qty))
        .join(refunding, refunding.c.refunded_line_id == refunded.c.id)
        .where(refunded.c.order_id.in_(order_ids), not_quarantined(refunding.c.order_id))
        .group_by(refunded.c.id))
    return {line_id: -Decimal(total) for line_id, total in rows}


def _line_taken_back(line, where, original):
    """The line of `original` that the refund line `line` takes back, at its product, unit
    price and discount; else Rejection."""
    if line.refunded_line_index is None or line.qty >= 0:
        raise Rejection("invalid_refund",
                        _("%(where)s: every line of a refund takes back a line of "
                          "%(reference)s (a negative qty and its "
                          "refunded_line_index); sell new items in another order",
                          where=where, reference=original.reference))
    if line.refunded_line_index >= len(original.lines):
        raise Rejection("invalid_refund",
                        _("%(where)s.refunded_line_index: %(reference)s has %(count)s lines",
                          where=where, reference=original.reference,
                          count=len(original.lines)))
    sold = original.lines[line.refunded_line_index]
    if (line.product_id, line.price_unit, line.discount) != (
            sold.product_id, sold.price_unit, sold.discount):
        raise Rejection("invalid_refund",
                        _("%(where)s must refund at the original's product, unit price "
                          "and discount (%(product)s, %(price)s, %(discount)s %%)",
                          where=where, product=sold.product_id,
                          price=sold.price_unit, discount=sold.discount))
    return sold


def _qty(value):
    return format(value.normalize(), "f")
