"""Who may work on which till: the POS configs a cashier or manager is allowed on.

An admin may use every till; a cashier or a manager only the configs listed for them here (the
Users page's "POS configs", `core user add LOGIN --role cashier --pos CONFIG_ID`). The kernel
keeps users and roles; the tills they may use are POS data, so they live in this addon's table,
offered to the kernel as a `UserScope`.
"""
from sqlalchemy import ForeignKey, Integer, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.errors import CoreError
from core.web.users import ADMIN, UserScope, role_allows

from .models import PosConfig


class PosConfigUser(Model):
    """A user allowed on a POS config's till."""
    __tablename__ = "point_of_sale_config_user"
    config_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("point_of_sale_config.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


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
    name="pos", label="POS configs",
    help="the POS configs (ids) whose till a cashier or manager may use; admins use every till",
    choices=config_choices,
    read=lambda connection, user_id: [str(c) for c in allowed_config_ids(connection, user_id)],
    write=set_allowed_configs)
