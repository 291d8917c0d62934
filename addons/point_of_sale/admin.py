"""The point_of_sale admin pages under /web/pos: configs, sessions, orders, products, partners.

Managers and admins, through the kernel's guard (core.web.guard: each route declares the role
it needs): a visitor is sent to the login page and every POST needs the page's CSRF token. Every form is
checked field by field on the server; an invalid one is shown again with a message per field
and status 400, and nothing of it is written.
"""
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from core import config_fields
from core.i18n import _
from core.plugins import flatten
from core.web import current_instance, current_plugins
from core.web.admin import local_path, moment
from core.web.guard import admin_blueprint as guarded_blueprint
from core.web.guard import requires
from core.web.record_forms import record_of, row_or_404, save_row
from core.web.users import MANAGER

from . import customers, sessions, shop_settings
from .fields import Rejection
from .models import CLOSED, Order, OrderLine, Partner, Payment, PosConfig, PosSession, Product
from .payment_methods import (
    BUILT_IN_METHODS,
    form_rows,
    methods_from_form,
    payment_methods,
    save_payment_methods,
)
from .routes import CONFIG_FORM

PAGE_SIZE = 50
SESSIONS_PER_CONFIG = 20  # on the sessions page; "all sessions" pages through the rest
MAX_AMOUNT = Decimal("1000000000")  # as the order push accepts
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
ADDRESS_FIELDS = {"street": 128, "zip": 16, "city": 64, "country_code": 2}
# Serialises "this partner is the template" saves on PostgreSQL (see `save_partner`).
TEMPLATE_PARTNER_LOCK = 0x706F5F746D706C  # "po_tmpl"

admin_blueprint = guarded_blueprint("point_of_sale_admin", __name__, url_prefix="/web/pos",
                                    template_folder="templates")


# -- helpers shared by the pages ------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """One page of a list: `number` counts from 1; `count` is the number of rows of the list."""
    number: int
    count: int
    size: int = PAGE_SIZE

    @property
    def pages(self):
        return max(1, math.ceil(self.count / self.size))

    @property
    def offset(self):
        return (self.number - 1) * self.size


def page_of(connection, count_query):
    """The page asked for by `?page=`, clamped to the pages that exist."""
    count = connection.scalar(select(func.count()).select_from(count_query.subquery()))
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        number = 1
    return Page(min(max(number, 1), Page(1, count).pages), count)


def engine():
    return current_instance().engine


def back_to(default_endpoint, **values):
    """Redirect to the form's `next` path when it is on this site, else to the default page."""
    return redirect(local_path(request.form.get("next")) or url_for(default_endpoint, **values))


def text_value(form, name, errors, max_length, required=False):
    value = (form.get(name) or "").strip()
    if required and not value:
        errors[name] = "this field is required"
    elif len(value) > max_length:
        errors[name] = f"at most {max_length} characters"
    return value


def decimal_value(form, name, errors, minimum, maximum, places=2, default=None):
    """A decimal number typed in (a comma is read as the decimal point), or an error."""
    raw = (form.get(name) or "").strip().replace(",", ".")
    if not raw:
        if default is None:
            errors[name] = "this field is required"
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        errors[name] = f"{form.get(name).strip()!r} is not a number"
    elif value < minimum:
        errors[name] = f"must be at least {minimum}"
    elif value > maximum:
        errors[name] = f"must be at most {maximum}"
    elif value != value.quantize(Decimal(1).scaleb(-places)):
        errors[name] = f"at most {places} decimal places"
    else:
        return value.quantize(Decimal(1).scaleb(-places)) + 0  # + 0: "-0" is 0
    return None


def checked(form, name):
    return form.get(name) in ("1", "on", "true")


@admin_blueprint.context_processor
def formatting():
    def money(value):
        return f"{Decimal(str(value if value is not None else 0)):.2f}"

    def quantity(value):
        """3 places stored; as few shown as needed (2, 0.5, 1.25), never 1E+1."""
        return "" if value is None else format(Decimal(value).normalize(), "f")

    return {"money": money, "moment": moment, "quantity": quantity,  # moment: the kernel's
            "here": request.full_path.rstrip("?")}


# -- index ----------------------------------------------------------------------------------------

@admin_blueprint.get("/")
@requires(MANAGER)
def index():
    with engine().connect() as connection:
        counts = {name: connection.scalar(select(func.count()).select_from(model))
                  for name, model in [("configs", PosConfig), ("sessions", PosSession),
                                      ("orders", Order), ("products", Product),
                                      ("partners", Partner)]}
    return render_template("point_of_sale/admin/index.html", counts=counts)


# -- POS configs ----------------------------------------------------------------------------------

def current_sessions_query():
    """Each config with its session that is not closed (if any)."""
    current = select(PosSession).where(PosSession.state != CLOSED).subquery()
    return (select(PosConfig.id, PosConfig.name, PosConfig.active,
                   current.c.id.label("session_id"), current.c.name.label("session_name"),
                   current.c.state.label("session_state"))
            .outerjoin(current, current.c.config_id == PosConfig.id)
            .order_by(PosConfig.name, PosConfig.id))


@admin_blueprint.get("/configs")
@requires(MANAGER)
def configs():
    with engine().connect() as connection:
        rows = connection.execute(current_sessions_query()).all()
    return render_template("point_of_sale/admin/configs.html", rows=rows)


def config_fields_of_addons():
    """The fields installed addons add to the POS config form, each marked with its addon."""
    return config_fields.declared_fields(current_plugins(), CONFIG_FORM)


CONFIG_BLANK = {"name": "", "active": True}  # with shop_settings.DEFAULTS
CONFIG_TYPED = ("name", *shop_settings.TEXT_FIELDS, "currency_code", "locale")


@admin_blueprint.route("/configs/new", methods=["GET", "POST"], defaults={"config_id": None})
@admin_blueprint.route("/configs/<int:config_id>", methods=["GET", "POST"])
@requires(MANAGER)
def config_form(config_id):
    fields = config_fields_of_addons()
    with engine().connect() as connection:
        config = row_or_404(connection, PosConfig, config_id)
        if request.method == "GET":
            return show_config_form(connection, config, fields)
    errors = {}
    record = {"name": text_value(request.form, "name", errors, 64, required=True),
              "active": checked(request.form, "active"),
              **shop_settings.clean_settings(request.form, errors)}
    cleaned, field_errors = config_fields.validate(fields, request.form)
    errors.update(field_errors)
    methods, method_rows, method_errors = methods_from_form(request.form)
    if errors or method_errors:  # show what was typed, to fix it
        typed = {**record, **{name: request.form.get(name, "") for name in CONFIG_TYPED}}
        return render_config_form(config, typed, fields, request.form.to_dict(), errors,
                                  method_rows, method_errors), 400
    with engine().begin() as connection:
        config_id = save_row(connection, PosConfig.__table__, config_id, record)
        config_fields.write_values(connection, CONFIG_FORM, config_id, fields, cleaned)
        save_payment_methods(connection, config_id, methods)
    flash(_('Saved POS config %(name)s.', name=record['name']))
    return redirect(url_for(".configs"))


def show_config_form(connection, config, fields):
    """The form as first shown: the config's values, or a new config's defaults (the addons'
    fields' defaults and the built-in payment methods)."""
    record = {**record_of(config, CONFIG_BLANK),
              **(shop_settings.settings_of(config) if config else shop_settings.DEFAULTS)}
    if config:
        extra = config_fields.read_values(connection, CONFIG_FORM, config.id, fields)
        methods = payment_methods(connection, config.id)
    else:
        extra = {f.name: f.default for f in fields}
        methods = BUILT_IN_METHODS
    return render_config_form(config, record, fields, extra, {}, form_rows(methods))


def render_config_form(config, record, fields, extra, errors, method_rows, method_errors=None):
    links = []
    if config is not None:
        with engine().connect() as connection:
            links = flatten(current_plugins(), "pos_config_form_links",
                            connection=connection, config_id=config.id)
    return render_template("point_of_sale/admin/config_form.html", config=config, record=record,
                           fields=fields, extra=extra, errors=errors, links=links,
                           method_rows=method_rows, method_errors=method_errors or {})


@admin_blueprint.post("/configs/<int:config_id>/open-session")
@requires(MANAGER)
def open_session(config_id):
    try:
        with engine().begin() as connection:
            session_id = sessions.open_session(connection, config_id)
            name = connection.scalar(select(PosSession.name).where(PosSession.id == session_id))
        flash(_('Session %(name)s is open.', name=name))
    except sessions.SessionError as exc:
        flash(str(exc), "error")
    except IntegrityError:
        # The unique index: another admin or command opened one at the same moment.
        flash(_('Another session of this config was opened at the same time; see below.'), "error")
    return back_to(".configs")


@admin_blueprint.post("/configs/<int:config_id>/close-session")
@requires(MANAGER)
def close_session(config_id):
    """Close the config's session; from its session page, with the counted cash (`session_id`
    then names the session the manager saw, so a session opened since is not closed)."""
    errors = {}
    counted = decimal_value(request.form, "counted_cash", errors, Decimal("0"), MAX_AMOUNT,
                            default=False)
    if errors:
        flash(_('Counted cash: %(counted_cash)s', counted_cash=errors['counted_cash']), "error")
        return back_to(".configs")
    try:
        with engine().begin() as connection:
            session_id = sessions.close_session(
                connection, config_id, current_plugins(),
                counted_cash=None if counted is False else counted,
                session_id=request.form.get("session_id", type=int))
            name = connection.scalar(select(PosSession.name).where(PosSession.id == session_id))
        sessions.announce_closed(engine(), current_plugins(), session_id, config_id)
        flash(_('Session %(name)s is closed.', name=name))
    except sessions.SessionError as exc:
        flash(str(exc), "error")
    return back_to(".configs")


@admin_blueprint.get("/sessions/<int:session_id>")
@requires(MANAGER)
def session_page(session_id):
    """A session's report (closing.session_report); while it is open, the closing form."""
    from .closing import session_report
    from .closing_routes import open_tills
    with engine().connect() as connection:
        row = connection.execute(select(PosSession).where(PosSession.id == session_id)).first()
        if row is None:
            abort(404)
        report = session_report(connection, session_id)
        warnings = open_tills(connection, current_plugins(), row)
        method_names = {m["code"]: m["name"] for m in payment_methods(connection, row.config_id)}
    return render_template("point_of_sale/admin/session.html", report=report,
                           warnings=warnings, session=row, method_names=method_names)


# -- sessions -------------------------------------------------------------------------------------

def order_totals():
    """Per session: how many orders and their total."""
    return (select(Order.session_id, func.count(Order.id).label("order_count"),
                   func.sum(Order.amount_total).label("order_total"))
            .group_by(Order.session_id).subquery())


def sessions_query(totals, config_id):
    return (select(PosSession.id, PosSession.name, PosSession.state, PosSession.opened_at,
                   PosSession.closed_at, func.coalesce(totals.c.order_count, 0)
                   .label("order_count"), totals.c.order_total)
            .outerjoin(totals, totals.c.session_id == PosSession.id)
            .where(PosSession.config_id == config_id)
            .order_by(PosSession.id.desc()))


@admin_blueprint.get("/sessions")
@requires(MANAGER)
def sessions_page():
    """Every config with its latest sessions; `?config_id=` pages through all of one config's."""
    only = request.args.get("config_id", type=int)
    totals = order_totals()
    groups = []
    with engine().connect() as connection:
        query = current_sessions_query()
        if only is not None:
            query = query.where(PosConfig.id == only)
        configs_rows = connection.execute(query).all()
        if only is not None and not configs_rows:
            abort(404)
        page = None
        for config in configs_rows:
            listing = sessions_query(totals, config.id)
            count = connection.scalar(select(func.count()).select_from(PosSession)
                                      .where(PosSession.config_id == config.id))
            if only is not None:
                page = page_of(connection, select(PosSession.id)
                               .where(PosSession.config_id == config.id))
                listing = listing.limit(page.size).offset(page.offset)
            else:
                listing = listing.limit(SESSIONS_PER_CONFIG)
            groups.append({"config": config, "count": count,
                           "sessions": connection.execute(listing).all()})
    return render_template("point_of_sale/admin/sessions.html", groups=groups, page=page,
                           only=only, per_config=SESSIONS_PER_CONFIG)


# -- orders ---------------------------------------------------------------------------------------

@admin_blueprint.get("/orders")
@requires(MANAGER)
def orders():
    """Newest first (by the till's time), PAGE_SIZE per page; `?session_id=` for one session."""
    session_id = request.args.get("session_id", type=int)
    query = (select(Order.id, Order.reference, Order.created_at, Order.amount_total,
                    Order.amount_paid, Order.amount_return, Order.session_id, Order.partner_id,
                    PosSession.name.label("session_name"), Partner.name.label("partner_name"))
             .join(PosSession, PosSession.id == Order.session_id)
             .outerjoin(Partner, Partner.id == Order.partner_id))
    counted = select(Order.id)
    session_name = None
    with engine().connect() as connection:
        if session_id is not None:
            session_name = connection.scalar(
                select(PosSession.name).where(PosSession.id == session_id))
            if session_name is None:
                abort(404)
            query = query.where(Order.session_id == session_id)
            counted = counted.where(Order.session_id == session_id)
        page = page_of(connection, counted)
        rows = connection.execute(query.order_by(Order.created_at.desc(), Order.id.desc())
                                  .limit(page.size).offset(page.offset)).all()
    return render_template("point_of_sale/admin/orders.html", rows=rows, page=page,
                           session_id=session_id, session_name=session_name)


@admin_blueprint.get("/orders/<int:order_id>")
@requires(MANAGER)
def order(order_id):
    with engine().connect() as connection:
        row = connection.execute(
            select(Order, PosSession.name.label("session_name"),
                   Partner.name.label("partner_name"))
            .join(PosSession, PosSession.id == Order.session_id)
            .outerjoin(Partner, Partner.id == Order.partner_id)
            .where(Order.id == order_id)).first()
        if row is None:
            abort(404)
        lines = connection.execute(
            select(OrderLine, Product.name.label("product_name"))
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id == order_id).order_by(OrderLine.id)).all()
        payments = connection.execute(
            select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)).all()
        # A refund's original, and the refunds of this order (refunds.py).
        related = connection.execute(select(Order.id, Order.reference).where(or_(
            Order.id == row.refunded_order_id,
            Order.refunded_order_id == row.id)).order_by(Order.id)).all()
    return render_template("point_of_sale/admin/order.html", order=row, lines=lines,
                           payments=payments,
                           refunded=[r for r in related if r.id == row.refunded_order_id],
                           refunds=[r for r in related if r.id != row.refunded_order_id])


# -- products -------------------------------------------------------------------------------------

def search_filter(columns):
    """A case-insensitive "contains" over `columns` for `?q=` (None when nothing is searched)."""
    q = (request.args.get("q") or "").strip()
    if not q:
        return q, None
    return q, or_(*(column.icontains(q, autoescape=True) for column in columns))


@admin_blueprint.get("/products")
@requires(MANAGER)
def products():
    q, where = search_filter([Product.name, Product.barcode, Product.category])
    query = select(Product)
    if where is not None:
        query = query.where(where)
    with engine().connect() as connection:
        page = page_of(connection, query)
        rows = connection.execute(query.order_by(Product.name, Product.id)
                                  .limit(page.size).offset(page.offset)).all()
    return render_template("point_of_sale/admin/products.html", rows=rows, page=page, q=q)


def barcode_taken(connection, barcode, product_id):
    query = select(Product.id).where(Product.barcode == barcode)
    if product_id is not None:
        query = query.where(Product.id != product_id)
    return connection.scalar(query.limit(1)) is not None


BARCODE_TAKEN = "another product already has this barcode"


PRODUCT_BLANK = {"name": "", "barcode": "", "price": "", "tax_rate": "0", "category": "",
                 "active": True}


@admin_blueprint.route("/products/new", methods=["GET", "POST"], defaults={"product_id": None})
@admin_blueprint.route("/products/<int:product_id>", methods=["GET", "POST"])
@requires(MANAGER)
def product_form(product_id):
    with engine().connect() as connection:
        product = row_or_404(connection, Product, product_id)
    if request.method == "GET":
        record = record_of(product, PRODUCT_BLANK)
        return render_product_form(product, {**record, "barcode": record["barcode"] or ""}, {})
    values, errors = read_product(request.form, product_id)
    if not errors:
        errors = save_product(product_id, values)
    if errors:
        record = {**request.form.to_dict(), "active": checked(request.form, "active")}
        return render_product_form(product, record, errors), 400
    flash(_('Saved product %(name)s.', name=values['name']))
    return redirect(url_for(".products"))


def read_product(form, product_id):
    """(values, errors) of the product form; a barcode must be no other product's."""
    errors = {}
    values = {"name": text_value(form, "name", errors, 128, required=True),
              "barcode": text_value(form, "barcode", errors, 32) or None,
              "price": decimal_value(form, "price", errors, Decimal("0"), MAX_AMOUNT),
              "tax_rate": decimal_value(form, "tax_rate", errors, Decimal("0"), Decimal("100"),
                                        default=Decimal("0")),
              "category": text_value(form, "category", errors, 64),
              "active": checked(form, "active")}
    if values["barcode"] and "barcode" not in errors:
        with engine().connect() as connection:
            if barcode_taken(connection, values["barcode"], product_id):
                errors["barcode"] = BARCODE_TAKEN
    return values, errors


def save_product(product_id, values):
    """Insert or update the product; its errors ({} when saved)."""
    try:
        with engine().begin() as connection:
            save_row(connection, Product.__table__, product_id, values)
    except IntegrityError:
        # The barcode was taken between our check and the write (its unique constraint is
        # the only one a product has).
        return {"barcode": BARCODE_TAKEN}
    return {}


def render_product_form(product, record, errors):
    return render_template("point_of_sale/admin/product_form.html", product=product,
                           record=record, errors=errors)


# -- partners -------------------------------------------------------------------------------------

@admin_blueprint.get("/partners")
@requires(MANAGER)
def partners():
    q, where = search_filter([Partner.name, Partner.email, Partner.phone])
    query = select(Partner)
    if where is not None:
        query = query.where(where)
    with engine().connect() as connection:
        page = page_of(connection, query)
        rows = connection.execute(query.order_by(Partner.name, Partner.id)
                                  .limit(page.size).offset(page.offset)).all()
    return render_template("point_of_sale/admin/partners.html", rows=rows, page=page, q=q)


PARTNER_BLANK = {"name": "", "email": "", "phone": "", "is_customer_template": False,
                 **{name: "" for name in ADDRESS_FIELDS}}


@admin_blueprint.route("/partners/new", methods=["GET", "POST"], defaults={"partner_id": None})
@admin_blueprint.route("/partners/<int:partner_id>", methods=["GET", "POST"])
@requires(MANAGER)
def partner_form(partner_id):
    with engine().connect() as connection:
        partner = row_or_404(connection, Partner, partner_id)
    if request.method == "GET":
        return render_partner_form(partner, record_of(partner, PARTNER_BLANK), {})
    values, errors = read_partner(request.form)
    if errors:
        record = {**request.form.to_dict(), "is_customer_template": values["is_customer_template"]}
        return render_partner_form(partner, record, errors), 400
    with engine().begin() as connection:
        save_partner(connection, partner_id, values)
    flash(_('Saved partner %(name)s.', name=values['name']))
    return redirect(url_for(".partners"))


def read_partner(form):
    """(values, errors) of the partner form: the country code in capitals."""
    errors = {}
    values = {"name": text_value(form, "name", errors, 128, required=True),
              "email": text_value(form, "email", errors, 128),
              "phone": text_value(form, "phone", errors, 32),
              **{name: text_value(form, name, errors, length)
                 for name, length in ADDRESS_FIELDS.items()},
              "is_customer_template": checked(form, "is_customer_template")}
    values["country_code"] = values["country_code"].upper()
    if values["country_code"] and not re.fullmatch(r"[A-Z]{2}", values["country_code"]):
        errors["country_code"] = "two letters (ISO 3166), such as FR"
    if values["email"] and "email" not in errors and not EMAIL_PATTERN.match(values["email"]):
        errors["email"] = "not an email address (name@example.com)"
    return values, errors


@admin_blueprint.post("/partners/<int:partner_id>/retire")
@requires(MANAGER)
def retire_partner(partner_id):
    """Delete a customer no order references; retire one that orders reference (kept for them,
    no longer offered at the tills)."""
    try:
        with engine().begin() as connection:
            name = connection.scalar(select(Partner.name).where(Partner.id == partner_id))
            outcome = customers.retire_customer(connection, partner_id)
    except Rejection as rejection:
        flash(rejection.message, "error")
        return back_to(".partners")
    if outcome == "deleted":
        flash(_('Deleted partner %(name)s.', name=name))
    else:
        flash(_('%(name)s is retired: orders refer to it, so it is kept for them and no longer offered '
                'at the tills.', name=name))
    return redirect(url_for(".partners"))


def save_partner(connection, partner_id, values):
    """Insert or update a partner; when it becomes the template for customers created at a
    till, the previous template stops being one, in the same transaction (cleared first, so a
    unique index on the flag would hold at every statement)."""
    if values["is_customer_template"]:
        if connection.dialect.name == "postgresql":
            # Two admins making two partners the template at once: the second waits here, then
            # its statements see the first one's template and clear it (SQLite writes one
            # transaction at a time).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": TEMPLATE_PARTNER_LOCK})
        clear = update(Partner).where(Partner.is_customer_template)
        if partner_id is not None:
            clear = clear.where(Partner.id != partner_id)
        connection.execute(clear.values(is_customer_template=False))
    return save_row(connection, Partner.__table__, partner_id, values)


def render_partner_form(partner, record, errors):
    return render_template("point_of_sale/admin/partner_form.html", partner=partner,
                           record=record, errors=errors)
