"""The :class:`Settings` class: one field per ``REFORGE_<FIELD>`` environment variable.

Units: sizes in bytes unless the name says MB, times in seconds, rates per second.
``None`` means "derived at start" (e.g. analysis workers = CPU count). Face options given
explicitly (``--db``, ``--port``, ``create_app(login_global=…)``) win over these values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from reforge.errors import InvalidInput

KB, MB = 1024, 1024 * 1024
Pos = Annotated[int, Field(gt=0)]
PosF = Annotated[float, Field(gt=0)]


class Settings(BaseSettings):
    """Reforge's settings; each field ``x`` is read from ``$REFORGE_X`` (see docs/settings.md)."""

    model_config = SettingsConfigDict(env_prefix="REFORGE_", env_ignore_empty=True, extra="ignore",
                                      frozen=True)

    # data
    db: Path = Field(Path(".reforge") / "reforge.duckdb", description="DuckDB database file")
    warehouse: Path | None = Field(None, description="Parquet warehouse for --engine spark "
                                                     "(default: <db>.warehouse, exported on demand)")
    wait: Annotated[float, Field(ge=0)] = Field(60.0, description="seconds to wait for a locked database")
    # faces
    lang: str | None = Field(None, description="message language: en or zh (also zh-CN, en-GB, …)")
    secret_key: SecretStr | None = Field(None, description="token-signing key, >= 32 bytes "
                                                           "(unset: random per server process)")
    host: str = Field("127.0.0.1", description="address `reforge serve` binds")
    port: Annotated[int, Field(ge=1, le=65535)] = Field(8000, description="TCP port of `reforge serve`")
    trusted_proxies: str = Field("", description="comma-separated proxies whose X-Forwarded-For is believed")
    # Spark
    spark_master: str = Field("local[2]", min_length=1, description="Spark master URL")
    spark_memory: str = Field("4g", pattern=r"^[0-9]+[kKmMgGtT]?$", description="Spark driver memory")
    spark_max_result: str = Field("1g", pattern=r"^[0-9]+[kKmMgGtT]?$",
                                  description="largest result collected to the Spark driver "
                                              "(spark.driver.maxResultSize; 0 = unlimited)")
    spark_tiny: bool = Field(False, description="tiny data: no whole-stage codegen, no AQE (tests)")
    # API limits
    import_max_bytes: Pos = Field(200 * MB, description="body of an import upload, bytes")
    body_max_bytes: Pos = Field(1 * MB, description="body of any other request, bytes")
    login_max_bytes: Pos = Field(16 * KB, description="body of a login form, bytes")
    login_per_ip: Pos | None = Field(None, description="login attempts per client per window "
                                                       "(default 3 x the per-name limit)")
    login_global: Pos = Field(120, description="login attempts over all clients per window")
    login_hashing: Pos = Field(2, description="password hashes computed at once")
    analysis_workers: Pos | None = Field(None, description="analyses run at once (default CPU count)")
    analysis_queue: Annotated[int, Field(ge=0)] | None = Field(
        None, description="analyses waiting for a worker (default 4 per worker)")
    analysis_rate: PosF = Field(4.0, description="analyses per second per account")
    analysis_burst: PosF = Field(40.0, description="burst of analyses per account")
    analysis_max_wait: Annotated[float, Field(ge=0)] = Field(0.5, description="seconds a request waits "
                                                                               "for a slot before 503")
    warm_pages: bool = Field(True, description="compute the heavy pages' results in the background after "
                                               "the server starts and after every data change")
    # importer limits (per file)
    import_max_rows: Pos = Field(2_000_000, description="data rows per file")
    import_max_columns: Pos = Field(200, description="columns per file")
    import_max_unzipped_mb: Pos = Field(2048, description="uncompressed XLSX parts read, MB")
    import_max_zip_ratio: Pos = Field(200, description="compression ratio of an XLSX part > 1 MB")

    def secret_bytes(self) -> bytes:
        """The signing key as bytes (empty when unset)."""
        return self.secret_key.get_secret_value().encode() if self.secret_key else b""


def env_name(field: str) -> str:
    """The environment variable of a field: ``REFORGE_<FIELD>``."""
    return "REFORGE_" + field.upper()


def load(env: dict[str, str]) -> Settings:
    """Settings from the environment; :class:`InvalidInput` (``config.invalid``) on a bad value.

    pydantic-settings reads ``os.environ`` itself; ``env`` is the ``REFORGE_*`` part of it
    that the caller saw just before (for the error message). Empty values count as unset.
    """
    try:
        return Settings()
    except ValidationError as e:
        err = e.errors()[0]
        field = str(err["loc"][0]) if err.get("loc") else "?"
        name = env_name(field)
        value = env.get(name, "")
        raise InvalidInput(f"environment variable {name}={value!r} is not valid: {err['msg']}",
                           code="config.invalid",
                           params={"variable": name, "value": value[:80], "reason": err["msg"]}) from None


__all__ = ["KB", "MB", "Settings", "env_name", "load"]
