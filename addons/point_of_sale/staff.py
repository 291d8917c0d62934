"""Who may work on which till, and their PINs.

Tills: the POS configs a cashier or manager is allowed on.

An admin may use every till; a cashier or a manager only the configs listed for them here (the
Users page's "POS configs", `core user add LOGIN --role cashier --pos CONFIG_ID`). The kernel
keeps users and roles; the tills they may use are POS data, so they live in this addon's table,
offered to the kernel as a `UserScope`.

PINs: 4 to 8 digits per user, set by a manager, to switch cashiers at a till without signing
out (and to approve as a manager). The instance keeps PBKDF2-SHA256(PIN, salt) only, with the
wrong tries in a row: after `point_of_sale.pin_max_failures` the PIN is locked for
`point_of_sale.pin_lock_seconds` (a new PIN unlocks it). A till's page, to check a PIN while
offline, gets for each of its cashiers a verifier made for that till only: HMAC-SHA256 keyed
with the PBKDF2 key, of "comptoir-pin:<config id>" (`till_cashiers`). Neither is a password
hash, and a PIN signs in to nothing: it only says who is at a till already signed in.
"""
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import DateTime, ForeignKey, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.errors import CoreError
from core.i18n import _, _l
from core.models import User
from core.web.users import ADMIN, UserScope, role_allows

from .models import PosConfig

PIN_PATTERN = re.compile(r"[0-9]{4,8}")
PIN_ITERATIONS = 100_000
MAX_FAILURES, LOCK_SECONDS = "point_of_sale.pin_max_failures", "point_of_sale.pin_lock_seconds"


class PosConfigUser(Model):
    """A user allowed on a POS config's till."""
    __tablename__ = "point_of_sale_config_user"
    config_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("point_of_sale_config.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class PosUserPin(Model):
    """A user's PIN, as PBKDF2-SHA256 of it (never the PIN), and its wrong tries in a row."""
    __tablename__ = "point_of_sale_user_pin"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    salt: Mapped[str] = mapped_column(String(32))
    iterations: Mapped[int] = mapped_column(Integer)
    pin_key: Mapped[str] = mapped_column(String(64))  # hex PBKDF2-SHA256(pin, salt)
    # On an autonomous till: the config whose verifier `pin_key` holds instead (till_verifier).
    verifier_config_id: Mapped[int | None] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PinRefused(Exception):
    """A PIN that does not let its user in: `code` (wrong_pin, pin_locked, no_pin,
    not_on_this_till), a message for people, and the tries left before the lock."""

    def __init__(self, code, message, remaining=None):
        super().__init__(message)
        self.code, self.message, self.remaining = code, message, remaining


def allowed_config_ids(connection, user_id):
    """The ids of the configs `user_id` is listed on (admins need none to use every till)."""
    return sorted(connection.scalars(
        select(PosConfigUser.config_id).where(PosConfigUser.user_id == user_id)))


def allowed_user_ids(connection, config_id):
    """The ids of the users listed on `config_id`."""
    return sorted(connection.scalars(
        select(PosConfigUser.user_id).where(PosConfigUser.config_id == config_id)))


def may_use_config(connection, account, config_id):
    """Whether the signed-in `account` (id, login, role) may use `config_id`'s till."""
    if role_allows(account.role, ADMIN):
        return True
    return connection.scalar(select(PosConfigUser.config_id).where(
        PosConfigUser.user_id == account.id, PosConfigUser.config_id == config_id)) is not None


def is_till_cashier(connection, config_id, login):
    """Whether `login` may have sold on `config_id`'s till: listed on it, or an admin."""
    row = connection.execute(select(User.id, User.role).where(User.login == login)).first()
    return row is not None and (role_allows(row.role, ADMIN) or connection.scalar(
        select(PosConfigUser.user_id).where(PosConfigUser.user_id == row.id,
                                            PosConfigUser.config_id == config_id)) is not None)


def set_allowed_configs(connection, user_id, config_ids):
    """Replace the configs `user_id` is allowed on; an unknown config is refused (CoreError)."""
    wanted = set()
    for value in config_ids:
        try:
            wanted.add(int(str(value).strip()))
        except ValueError:
            raise CoreError(f"a POS config is given by its id (a number), not {value!r}") from None
    known = set(connection.scalars(select(PosConfig.id).where(PosConfig.id.in_(wanted))))
    if wanted - known:
        raise CoreError(f"there is no POS config {', '.join(map(str, sorted(wanted - known)))}"
                        f" (the admin's Point of Sale page lists them)")
    connection.execute(delete(PosConfigUser).where(PosConfigUser.user_id == user_id))
    if wanted:
        connection.execute(PosConfigUser.__table__.insert(),
                           [{"config_id": c, "user_id": user_id} for c in sorted(wanted)])


def config_choices(connection):
    return [(str(config_id), f"{name} ({config_id})") for config_id, name in connection.execute(
        select(PosConfig.id, PosConfig.name).order_by(PosConfig.id))]


POS_SCOPE = UserScope(
    name="pos", label=_l("POS configs"),
    help=_l("the POS configs (ids) whose till a cashier or manager may use; admins use every "
            "till"),
    choices=config_choices,
    read=lambda connection, user_id: [str(c) for c in allowed_config_ids(connection, user_id)],
    write=set_allowed_configs)


# -- PINs -----------------------------------------------------------------------------------------

def pin_key(pin, salt_hex, iterations=PIN_ITERATIONS):
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt_hex), iterations).hex()


def till_verifier(key_hex, config_id):
    """What a till of `config_id` gets to check a PIN offline: useless on another till, and no
    hash of the PIN itself."""
    return hmac.new(bytes.fromhex(key_hex), f"comptoir-pin:{config_id}".encode(),
                    hashlib.sha256).hexdigest()


def set_pin(connection, user_id, pin):
    """Give `user_id` a new PIN (4 to 8 digits); it unlocks a locked one."""
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        raise CoreError("a PIN is 4 to 8 digits")
    if connection.scalar(select(User.id).where(User.id == user_id)) is None:
        raise CoreError(f"there is no user {user_id}")
    salt = secrets.token_hex(16)
    values = {"salt": salt, "iterations": PIN_ITERATIONS, "pin_key": pin_key(pin, salt),
              "verifier_config_id": None, "failures": 0, "locked_until": None}
    done = connection.execute(update(PosUserPin).where(PosUserPin.user_id == user_id)
                              .values(**values))
    if not done.rowcount:
        connection.execute(PosUserPin.__table__.insert().values(user_id=user_id, **values))


def has_pin(connection, user_id):
    return connection.scalar(select(PosUserPin.user_id).where(PosUserPin.user_id == user_id)) \
        is not None


def check_pin(connection, user_id, pin, max_failures, lock_seconds, now=None):
    """Whether `pin` is `user_id`'s: return None, or raise PinRefused. A wrong PIN is counted
    (the caller commits the transaction either way); the one after too many is locked out."""
    now = now or datetime.now(timezone.utc)
    row = _open_pin_row(connection, user_id, now)
    typed = pin if isinstance(pin, str) else ""
    if PIN_PATTERN.fullmatch(typed) and hmac.compare_digest(
            _stored_form(typed, row), row.pin_key):
        _clear_failures(connection, row)
        return
    _count_failure(connection, row, max_failures, lock_seconds, now)


def approval_message(config_id, order_uuid, action):
    """What a till signs when a manager's PIN approves `action` on the order `order_uuid` while
    the server cannot be reached (order_approvals.py): bound to the till, the order and the
    action, so it approves nothing else."""
    return f"comptoir-approval:{config_id}:{order_uuid}:{action}"


def check_pin_proof(connection, user_id, message, proof, max_failures, lock_seconds, now=None):
    """Whether `proof` is HMAC-SHA256 of `message` keyed with `user_id`'s PIN key (PBKDF2 of
    the PIN: what a till computes from the PIN typed, never holds): None, or PinRefused. A wrong
    proof counts as a wrong PIN; a locked PIN refuses even a right one. An autonomous till holds
    verifiers, not keys: it cannot check a proof (`approval_unverifiable`)."""
    now = now or datetime.now(timezone.utc)
    row = _open_pin_row(connection, user_id, now)
    if row.verifier_config_id is not None:
        raise PinRefused("approval_unverifiable", _(
            "This till holds PIN verifiers only and cannot check an approval given offline: "
            "a manager approves again here."))
    expected = hmac.new(bytes.fromhex(row.pin_key), message.encode(), hashlib.sha256)
    if hmac.compare_digest(expected.hexdigest(), proof):
        _clear_failures(connection, row)
        return
    _count_failure(connection, row, max_failures, lock_seconds, now)


def _open_pin_row(connection, user_id, now):
    """`user_id`'s PIN row, locked for update; PinRefused when there is none or it is locked."""
    row = connection.execute(select(PosUserPin).where(PosUserPin.user_id == user_id)
                             .with_for_update()).first()
    if row is None:
        raise PinRefused("no_pin", _("This cashier has no PIN yet: a manager sets one on the "
                                     "admin's Staff page."))
    locked_until = row.locked_until
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=timezone.utc)
    if locked_until is not None and locked_until > now:
        wait = int((locked_until - now).total_seconds()) + 1
        raise PinRefused("pin_locked", _("Too many wrong PINs: locked for %(seconds)s more "
                                         "seconds, or until a manager sets a new PIN.",
                                         seconds=wait), 0)
    return row


def _clear_failures(connection, row):
    if row.failures:
        connection.execute(update(PosUserPin).where(PosUserPin.user_id == row.user_id)
                           .values(failures=0, locked_until=None))


def _count_failure(connection, row, max_failures, lock_seconds, now):
    """Count a wrong try of `row`'s PIN and raise its PinRefused (locked after too many)."""
    failures = row.failures + 1
    locked = failures >= max_failures
    connection.execute(update(PosUserPin).where(PosUserPin.user_id == row.user_id).values(
        failures=0 if locked else failures,
        locked_until=now + timedelta(seconds=lock_seconds) if locked else None))
    if locked:
        raise PinRefused("pin_locked", _("Too many wrong PINs: locked for %(seconds)s seconds, "
                                         "or until a manager sets a new PIN.",
                                         seconds=lock_seconds), 0)
    raise PinRefused("wrong_pin", _("Wrong PIN (%(left)s tries left before it locks).",
                                    left=max_failures - failures), max_failures - failures)


def _stored_form(pin, row):
    """What `row.pin_key` holds for `pin`: its PBKDF2 key, or on a till the verifier."""
    key = pin_key(pin, row.salt, row.iterations)
    return key if row.verifier_config_id is None else till_verifier(key, row.verifier_config_id)


def _verifier(row, config_id):
    if row.salt is None:
        return None
    if row.verifier_config_id is None:
        return till_verifier(row.pin_key, config_id)
    return row.pin_key if row.verifier_config_id == config_id else None


def till_cashiers(connection, config_id, roles=None):
    """The users allowed on `config_id` (of `roles`, default any), as its till gets them: id,
    login, role and, for those with a PIN, the till's verifier (`till_verifier`). Never a
    password hash, nor anything that checks a PIN on another till."""
    query = (select(User.id, User.login, User.role, PosUserPin.salt, PosUserPin.iterations,
                    PosUserPin.pin_key, PosUserPin.verifier_config_id)
             .join(PosConfigUser, PosConfigUser.user_id == User.id)
             .outerjoin(PosUserPin, PosUserPin.user_id == User.id)
             .where(PosConfigUser.config_id == config_id).order_by(User.login))
    if roles is not None:
        query = query.where(User.role.in_(roles))
    cashiers = []
    for row in connection.execute(query):
        verifier = _verifier(row, config_id)
        cashiers.append({"id": row.id, "login": row.login, "role": row.role,
                         "pin": {"salt": row.salt, "iterations": row.iterations,
                                 "verifier": verifier} if verifier else None})
    return cashiers


# -- an autonomous till's cashiers ------------------------------------------------------------

NO_PASSWORD = "!"  # what a till's cashier has as password hash: no password opens it


def store_till_cashiers(connection, config_id, accounts, previous_logins):
    """On an autonomous till: make its cashiers what the central instance sent (`accounts`,
    as `till_cashiers` makes them, without ids): a user each, with no password (they sign in
    with their PIN, here only), allowed on `config_id`, their PIN verifier. The logins of
    `previous_logins` not sent any more are removed. Return the logins stored. An account of a
    shop (an instance serving several configs) names the `configs` it is allowed on and the
    `verifier_config` its PIN verifier was made for."""
    wanted = {account["login"]: account for account in accounts}
    users = User.__table__
    for login in set(previous_logins) - set(wanted):
        user_id = connection.scalar(select(User.id).where(User.login == login))
        if user_id is not None:
            connection.execute(delete(PosUserPin).where(PosUserPin.user_id == user_id))
            connection.execute(delete(PosConfigUser).where(PosConfigUser.user_id == user_id))
            connection.execute(users.delete().where(users.c.id == user_id))
    for login, account in wanted.items():
        user_id = connection.scalar(select(User.id).where(User.login == login))
        if user_id is None:
            user_id = connection.execute(users.insert().values(
                login=login, role=account["role"], password_hash=NO_PASSWORD)
            ).inserted_primary_key[0]
        else:
            connection.execute(users.update().where(users.c.id == user_id)
                               .values(role=account["role"], password_hash=NO_PASSWORD))
        set_allowed_configs(connection, user_id, account.get("configs") or [config_id])
        connection.execute(delete(PosUserPin).where(PosUserPin.user_id == user_id))
        pin = account.get("pin")
        if pin:
            connection.execute(PosUserPin.__table__.insert().values(
                user_id=user_id, salt=pin["salt"], iterations=pin["iterations"],
                pin_key=pin["verifier"],
                verifier_config_id=account.get("verifier_config", config_id), failures=0))
    return sorted(wanted)


def sign_in_with_pin(connection, login, pin, max_failures, lock_seconds):
    """On an autonomous till, the id of the till cashier `login` when `pin` is theirs (counted
    and locked as at the switch), else None. Central users never sign in with a PIN."""
    user_id = connection.scalar(
        select(User.id).join(PosUserPin, PosUserPin.user_id == User.id)
        .where(User.login == login, PosUserPin.verifier_config_id.is_not(None)))
    if user_id is None:
        return None
    try:
        check_pin(connection, user_id, pin, max_failures, lock_seconds)
    except PinRefused:
        return None
    return user_id
