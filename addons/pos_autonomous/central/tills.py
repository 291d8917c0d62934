"""Tills as the central instance knows them: credentials of their own (revocable), the cashier
accounts allowed on each, and which till writes a config's tickets (one writer per config:
point_of_sale refuses sessions, sales and closings here for a config a till serves)."""
import hashlib
import hmac
import json
import secrets
from datetime import timedelta

from sqlalchemy import select

import addons.point_of_sale as point_of_sale
from core.errors import CoreError
from core.models import User, utc_now
from core.times import as_utc
from core.values import whole_number

from .models import Till

TILL_ROLES = ("cashier", "manager")  # an admin of the central instance is nobody's cashier
CONTACT_WRITE_INTERVAL = timedelta(seconds=30)  # last_contact_at is not written on every pull


class TillAuthError(Exception):
    pass


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def register_till(connection, config_id, name, cashier_logins=(), shop_id=None):
    """A new till for `config_id`; return (till id, its bearer token). Only the secret's
    SHA-256 is stored: the token is shown once, in the package. `shop_id`: the first till of
    the shop it belongs to (None: alone, or the first itself, see `make_shop`)."""
    secret = secrets.token_urlsafe(32)
    till_id = connection.execute(Till.__table__.insert().values(
        config_id=config_id, name=name, secret_hash=_digest(secret), shop_id=shop_id,
        created_at=utc_now())).inserted_primary_key[0]
    if cashier_logins:  # else: those already allowed on the config
        set_cashiers(connection, till_id, cashier_logins)
    return till_id, f"{till_id}.{secret}"


def make_shop(connection, till_id):
    """Till `till_id` heads a shop: its own shop_id names it (the others get it at their
    registration)."""
    connection.execute(Till.__table__.update().where(Till.id == till_id)
                       .values(shop_id=till_id))


def scope(connection, till):
    """The POS configs whose rows `till` pulls: those of every till of its shop when it heads
    one, else its own config. A tuple, in the shop's order."""
    if till.shop_id is None or till.shop_id != till.id:
        return (till.config_id,)
    return tuple(connection.scalars(select(Till.config_id).where(Till.shop_id == till.id)
                                    .order_by(Till.id)))


def export_scope(connection, config_id):
    """What file exports for `config_id` hold: a shop's configs (a tuple) when the config is
    the first of a shop still served, else the config alone."""
    head = connection.execute(select(Till).where(
        Till.config_id == config_id, Till.shop_id == Till.id, Till.revoked_at.is_(None))
        .order_by(Till.id.desc())).first()
    return config_id if head is None else scope(connection, head)


def shop_tills(connection, shop_id):
    """The tills of a shop (its first one first)."""
    return connection.execute(select(Till).where(Till.shop_id == shop_id)
                              .order_by(Till.id)).all()


def take_config(connection, config_id, till_id, name):
    """Make till `till_id` the one writer of `config_id` (journaled): refused while this server
    has a session of it open (close it first) or another active till serves it (revoke that one
    first: this till replaces it). Return the last ticket (number, link) this server holds of
    the config: the till's chain goes on after it."""
    config = point_of_sale.get_config(connection, config_id)
    session = point_of_sale.current_session(connection, config_id)
    if session is not None:
        raise CoreError(f"{config.name} has session {session.name} open on this server: close "
                        f"it first (core pos close {config_id}), then make the till's package; "
                        "the till then sells after this server's last ticket")
    key = point_of_sale.config_writer_key(connection, config_id)
    current_id = whole_number(key)
    current = connection.execute(select(Till).where(Till.id == current_id)).first() \
        if current_id is not None else None
    if current is not None and current.revoked_at is None:
        raise CoreError(f"{config.name} is served by autonomous till {current.name!r} (till "
                        f"{current.id}): revoke it first to replace it, or move the config back "
                        f"to this server (core autonomous move {config_id} --to-central)")
    reason = (f"replaces till {current.id}" if current is not None else
              "a till is made for it") + f" (till {till_id}'s package)"
    return point_of_sale.set_config_writer(
        connection, config_id, f"autonomous till {name!r} (till {till_id})", reason,
        writer_key=str(till_id))


def move_to_central(connection, config_id, reason):
    """The config is written by this server again (journaled); return the last ticket this
    server holds of it: the next one it seals follows it. The till that served it must have
    pushed its last tickets (revoke it: what it sells after this is refused)."""
    config = point_of_sale.get_config(connection, config_id)
    if point_of_sale.config_writer(connection, config_id) is None:
        raise CoreError(f"{config.name} is already served by this server")
    return point_of_sale.set_config_writer(connection, config_id, None, reason)


def check_cashiers(connection, logins):
    """{login: user id} of `logins`; CoreError naming the ones that are no user, or admins (a
    till gets cashiers and managers: an admin of the central instance is nobody's cashier)."""
    rows = connection.execute(
        select(User.login, User.id, User.role).where(User.login.in_(logins))).all()
    unknown = sorted(set(logins) - {row.login for row in rows})
    if unknown:
        raise CoreError(f"no user {', '.join(unknown)} (create them with `core user add`)")
    admins = sorted(row.login for row in rows if row.role not in TILL_ROLES)
    if admins:
        raise CoreError(f"{', '.join(admins)}: an admin is nobody's cashier; a till gets "
                        f"cashiers and managers (core user add LOGIN --role cashier)")
    return {row.login: row.id for row in rows}


def set_cashiers(connection, till_id, logins):
    """The till's cashiers are those allowed on its config (the Users page's POS configs):
    choosing them here allows exactly `logins` on that config."""
    users = check_cashiers(connection, logins)
    config_id = connection.scalar(select(Till.config_id).where(Till.id == till_id))
    if config_id is None:
        raise CoreError(f"no till {till_id}")
    for user_id in point_of_sale.allowed_user_ids(connection, config_id):
        if user_id not in users.values():
            point_of_sale.set_allowed_configs(connection, user_id, [
                c for c in point_of_sale.allowed_config_ids(connection, user_id) if c != config_id])
    for user_id in users.values():
        point_of_sale.set_allowed_configs(connection, user_id, [
            *point_of_sale.allowed_config_ids(connection, user_id), config_id])


def get_till(connection, till_id):
    till = connection.execute(select(Till).where(Till.id == till_id)).first()
    if till is None:
        raise CoreError(f"no till {till_id}")
    return till


def cashier_logins(connection):
    """[(till id, login)] of every till's cashiers: the cashiers and managers allowed on its
    config."""
    found = []
    for till_id, config_id in connection.execute(select(Till.id, Till.config_id)
                                                 .order_by(Till.id)):
        found += [(till_id, cashier["login"]) for cashier in point_of_sale.till_cashiers(
            connection, config_id, roles=TILL_ROLES)]
    return found


def revoke(connection, till_id):
    """Refuse the till's credentials from now on; the first till of a shop takes the whole
    shop with it (one instance: its other configs' credentials are in the same database)."""
    table = Till.__table__
    done = connection.execute(table.update().where(
        Till.id == till_id, Till.revoked_at.is_(None)).values(revoked_at=utc_now()))
    if not done.rowcount:
        raise CoreError(f"no active till {till_id}")
    connection.execute(table.update().where(Till.shop_id == till_id, Till.id != till_id,
                                            Till.revoked_at.is_(None))
                       .values(revoked_at=utc_now()))


def parse_token(token):
    """(till id, secret) of a bearer token "<till id>.<secret>" (the till's package holds it);
    TillAuthError when it has not that form. No database: a push is refused on it before it
    waits for a slot (routes.push)."""
    till_id, _, secret = (token or "").partition(".")
    till_number = whole_number(till_id)
    if till_number is None or not secret:
        raise TillAuthError("this is not a till token (it comes in the till's package)")
    return till_number, secret


def authenticate(connection, token):
    """The Till row the bearer token belongs to (one SELECT by primary key); TillAuthError
    says why not."""
    return check_secret(connection, *parse_token(token))


def check_secret(connection, till_number, secret):
    """The Till row numbered `till_number` if `secret` is its own and it is not revoked (one
    SELECT by primary key); TillAuthError says why not."""
    till = connection.execute(select(Till).where(Till.id == till_number)).first()
    if till is None or not hmac.compare_digest(till.secret_hash, _digest(secret)):
        raise TillAuthError("unknown till or wrong secret")
    return _not_revoked(till)


def still_active(connection, till_id):
    """The Till row of `till_id`, authenticated earlier, read again (its secret never changes,
    its revocation may have come since); TillAuthError when it was revoked."""
    till = connection.execute(select(Till).where(Till.id == till_id)).first()
    if till is None:
        raise TillAuthError("unknown till or wrong secret")
    return _not_revoked(till)


def _not_revoked(till):
    if till.revoked_at is not None:
        raise TillAuthError(f"till {till.id} was revoked on the central admin; make it a new "
                            "package")
    return till


def note_contact(connection, till):
    now = utc_now()
    last = as_utc(till.last_contact_at)
    if last is None or now - last > CONTACT_WRITE_INTERVAL:
        connection.execute(Till.__table__.update().where(Till.id == till.id)
                           .values(last_contact_at=now))


def cashiers_part(connection, till_id, digest_held):
    """{"digest", "accounts"?}: the cashiers and managers allowed on the till's config (the
    Users page), each with the PIN verifier made for that till: never a password hash, nothing
    that signs in here. The accounts only when the till's digest differs. For a shop, those of
    each of its configs, once each, with the configs they are allowed on there."""
    till = get_till(connection, till_id)
    configs = scope(connection, till)
    accounts = (_accounts(connection, configs[0]) if len(configs) == 1
                else _shop_accounts(connection, configs))
    digest = hashlib.sha256(json.dumps(accounts, sort_keys=True).encode()).hexdigest()
    return {"digest": digest} if digest == digest_held else {"digest": digest,
                                                             "accounts": accounts}


def _accounts(connection, config_id):
    return [{"login": cashier["login"], "role": cashier["role"], "pin": cashier["pin"]}
            for cashier in point_of_sale.till_cashiers(connection, config_id, roles=TILL_ROLES)]


def _shop_accounts(connection, config_ids):
    """A shop's cashiers: each login once, its PIN verifier made for the first of the shop's
    configs it is allowed on (`verifier_config`: the shop checks the PIN against it), and
    `configs`, every config of the shop it is allowed on."""
    merged = {}
    for config_id in config_ids:
        for account in _accounts(connection, config_id):
            held = merged.setdefault(account["login"], {**account, "configs": [],
                                                        "verifier_config": config_id})
            held["configs"].append(config_id)
    return [merged[login] for login in sorted(merged)]


def tills(connection):
    return connection.execute(select(Till).order_by(Till.id)).all()
