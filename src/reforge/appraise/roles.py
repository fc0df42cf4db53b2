"""Expert roles, their weights (voice) and panel quotas, from ``roles.yaml`` (rules as data)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reforge.errors import InvalidInput
from reforge.settings.yaml_files import safe_load

ROLES = ("downstream_user", "key_part_expert", "academic", "government", "finance")


class RoleSpec(BaseModel):
    """One role: its weight (relative voice, >= 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weight: float = Field(ge=0, allow_inf_nan=False)


class Quota(BaseModel):
    """How many experts of a role a panel holds: ``min <= count <= max``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Quota:
        if self.max < self.min:
            raise ValueError("max below min")
        return self


class RoleRules(BaseModel):
    """The validated ``roles.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    effective: str
    source: str
    roles: dict[str, RoleSpec]
    quotas: dict[str, Quota]

    @model_validator(mode="after")
    def _known(self) -> RoleRules:
        unknown = (set(self.roles) | set(self.quotas)) - set(ROLES)
        if unknown or set(self.roles) != set(ROLES):
            raise ValueError(f"roles must be exactly {ROLES}")
        return self

    def weight(self, role: str | None) -> float:
        """The weight of ``role`` (an expert without a role counts as weight 1)."""
        return 1.0 if role is None else self.roles[role].weight

    def weights(self) -> dict[str, float]:
        return {r: s.weight for r, s in self.roles.items()}


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    text = resources.files("reforge.appraise").joinpath("roles.yaml").read_text(encoding="utf-8")
    return dict(safe_load(text))


def load_roles(role_weights: Mapping[str, float] | None = None) -> RoleRules:
    """The default rules with ``role_weights`` ({role: weight}) overriding single roles."""
    data = dict(_raw())
    data["roles"] = {k: dict(v) for k, v in data["roles"].items()}
    data["effective"] = str(data["effective"])
    for role, w in (role_weights or {}).items():
        if role not in ROLES:
            raise InvalidInput(f"unknown expert role {role!r}; known: {', '.join(ROLES)}",
                               code="appraise.role.unknown", params={"role": str(role)[:40], "roles": list(ROLES)})
        data["roles"][role] = {"weight": w}
    try:
        return RoleRules(**data)
    except ValidationError as e:
        err = e.errors()[0]
        raise InvalidInput(f"bad role weight {err['loc']}: {err['msg']}", code="appraise.role.bad_weight",
                           params={"where": ".".join(str(x) for x in err["loc"])}) from None
