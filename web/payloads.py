"""Request and response bodies of the ingest API: one record or a list of them, and what became of each."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated, ClassVar, Generic, Literal, TypeVar

from litestar import Response
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.typing import FieldDefinition
from pydantic import BaseModel, BeforeValidator, Discriminator, Field, RootModel, SerializeAsAny, Tag

from engine.errors import Conflict, Rejected
from engine.intake.records import EventRecord, MemberRecord, OrderRecord
from engine.intake.saving import Outcome
from engine.limits import MAX_BATCH
from engine.rewards.coupons import CouponCheck

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator  # the type plugins receive; not exported

R = TypeVar("R", MemberRecord, OrderRecord, EventRecord)


def _one_or_many(value: object) -> str:
    return "many" if isinstance(value, list) else "one"


def _a_batch(value: object) -> object:
    """Counted before any record is validated, so an oversized batch costs nothing."""
    if isinstance(value, list) and len(value) > MAX_BATCH:
        raise ValueError(f"holds {len(value):,} records; send at most {MAX_BATCH:,} per request")
    return value


class OneOrMany(
    RootModel[
        Annotated[
            Annotated[R, Tag("one")] | Annotated[list[R], BeforeValidator(_a_batch), Tag("many")],
            Discriminator(_one_or_many),
        ]
    ],
    Generic[R],
):
    def records(self) -> list[R]:
        return self.root if isinstance(self.root, list) else [self.root]

    @property
    def is_batch(self) -> bool:
        return isinstance(self.root, list)


class MemberPayload(OneOrMany[MemberRecord]):
    """One member, or a list of members."""

    record: ClassVar[type[BaseModel]] = MemberRecord


class OrderPayload(OneOrMany[OrderRecord]):
    """One order, or a list of orders."""

    record: ClassVar[type[BaseModel]] = OrderRecord


class EventPayload(OneOrMany[EventRecord]):
    """One event, or a list of events."""

    record: ClassVar[type[BaseModel]] = EventRecord


class OneOrManySchema(OpenAPISchemaPlugin):
    """Documents a payload as what it is on the wire: a record or an array of records (not {"root": ...})."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return isinstance(field_definition.annotation, type) and issubclass(field_definition.annotation, OneOrMany)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        record = schema_creator.for_field_definition(
            FieldDefinition.from_annotation(field_definition.annotation.record)
        )
        return Schema(one_of=[record, Schema(type=OpenAPIType.ARRAY, items=record, max_items=MAX_BATCH)])


class ItemResult(BaseModel):
    key: str
    status: Literal["inserted", "updated", "unchanged", "rejected"]
    reason: str | None = None


class OrderResult(ItemResult):
    coupon: CouponCheck | None = Field(None, description="An order with a coupon_code: redeemed, or why not")


class BatchResult(BaseModel):
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    results: list[SerializeAsAny[ItemResult]]


def respond(
    outcomes: list[Outcome], batch: bool, coupons: dict[str, CouponCheck] | None = None
) -> Response[ItemResult | BatchResult]:
    """A batch answers 200 with every item's fate; a single record answers like a REST resource would (201 inserted,
    200 updated or unchanged; a rejected one raises Conflict or Rejected, web.errors answers). Orders (`coupons`
    given) also say what became of the coupon code each carried."""
    items: list[ItemResult] = [
        ItemResult(key=o.key, status=o.status, reason=o.reason)
        if coupons is None
        else OrderResult(key=o.key, status=o.status, reason=o.reason, coupon=coupons.get(o.key))
        for o in outcomes
    ]
    if batch:
        counted = Counter(o.status for o in outcomes)
        return Response(
            BatchResult(
                inserted=counted["inserted"],
                updated=counted["updated"],
                unchanged=counted["unchanged"],
                rejected=counted["rejected"],
                results=items,
            ),
            status_code=HTTP_200_OK,
        )
    (outcome,) = outcomes
    if outcome.status == "rejected":  # the key taken by other content, else a reference to what does not exist
        raise (Conflict if outcome.conflict else Rejected)([outcome.reason or "rejected"])
    return Response(items[0], status_code=HTTP_201_CREATED if outcome.status == "inserted" else HTTP_200_OK)
