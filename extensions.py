"""Extension objects, created unbound and initialised by the application factory."""

from typing import TYPE_CHECKING

from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_marshmallow import Marshmallow
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, Table, event
from sqlalchemy.orm import DeclarativeBase, Mapper

# Stable constraint names, so Alembic can alter or drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # mypy cannot take a base class from an instance attribute (db.Model); at run time Model is
    # db.Model, the Flask-SQLAlchemy subclass of Base.
    Model = Base
else:
    Model = db.Model


@event.listens_for(db.Model, "instrument_class", propagate=True)
def _ids_never_reused(mapper: Mapper, _class) -> None:
    """SQLite gives the id of the newest deleted row to the next insert unless its table is
    AUTOINCREMENT: a new invitation would take an erased one's id (and its cached versions).
    MariaDB never reuses ids; the option is SQLite's only."""
    table = mapper.local_table
    if isinstance(table, Table) and table.autoincrement_column is not None:
        table.dialect_kwargs["sqlite_autoincrement"] = True


migrate = Migrate()
jwt = JWTManager()
# After db: init_app gives the model-derived schemas (ma.SQLAlchemyAutoSchema) db's session.
ma = Marshmallow()
cors = CORS()
api = Api()
