"""Limits on what one GraphQL request may ask: depth, estimated cost, aliases, introspection.

Each refusal is a validation error with its own code, raised before anything is executed,
so that a query over a limit never reaches a service.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    Visitor,
    get_named_type,
    visit,
)
from strawberry.extensions import SchemaExtension

# A list without a `first` argument (posts of a member, groups of a report) counts this many.
LIST_ESTIMATE = 10


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_cost: int
    max_aliases: int
    introspection: bool


def _unwrap(type_: Any) -> tuple[Any, bool]:
    """The named type under NonNull/List wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            is_list = True
        type_ = type_.of_type
    return type_, is_list


class _Walker:
    """Depth, cost and aliases of one operation, fragments followed (each once per path)."""

    def __init__(self, context: ValidationContext, variables: dict[str, Any]) -> None:
        self.context = context
        self.variables = variables
        self.fragments = {
            d.name.value: d
            for d in context.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.aliases = 0

    def _fields(
        self, selection_set: SelectionSetNode | None, seen: frozenset[str]
    ) -> Iterator[tuple[FieldNode, frozenset[str]]]:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, seen
            elif isinstance(selection, InlineFragmentNode):
                yield from self._fields(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    yield from self._fields(fragment.selection_set, seen | {name})

    def _first(self, node: FieldNode, definition: Any) -> int | None:
        argument = definition.args.get("first") if definition is not None else None
        if argument is None:
            return None
        for given in node.arguments or ():
            if given.name.value != "first":
                continue
            value = given.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                found = self.variables.get(value.name.value)
                if isinstance(found, int):
                    return found
        default = argument.default_value
        return default if isinstance(default, int) else 1

    def walk(
        self, selection_set: SelectionSetNode | None, parent: Any, seen: frozenset[str]
    ) -> tuple[int, int]:
        """(cost, depth) of a selection set on `parent` (a named output type or None)."""
        cost = 0
        depth = 0
        for node, path in self._fields(selection_set, seen):
            name = node.name.value
            if node.alias is not None:
                self.aliases += 1
            if name.startswith("__"):
                continue
            definition = parent.fields.get(name) if isinstance(parent, GraphQLObjectType) else None
            type_: GraphQLOutputType | None = definition.type if definition else None
            named, is_list = _unwrap(type_) if type_ is not None else (None, False)
            inner_cost, inner_depth = self.walk(node.selection_set, named, path)
            first = self._first(node, definition)
            if first is not None:
                multiplier = max(first, 1)
            elif is_list and not (parent is not None and parent.name.endswith("Connection")):
                multiplier = LIST_ESTIMATE
            else:
                multiplier = 1
            cost += 1 + multiplier * inner_cost
            depth = max(depth, 1 + inner_depth)
        return cost, depth


class RequestLimitsRule(ValidationRule):
    """The base of the per-request limits rules: what they find depends on the query text,
    the limits, and the values of the variables given as a list's `first` (nothing else)."""

    request_limits: ClassVar[Limits]
    request_variables: ClassVar[dict[str, Any]]


def first_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables a document passes as the `first` argument of a field."""
    names: set[str] = set()

    class Finder(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            if node.name.value == "first" and isinstance(node.value, VariableNode):
                names.add(node.value.name.value)

    visit(document, Finder())
    return tuple(sorted(names))


def limits_rule(limits: Limits, variables: dict[str, Any]) -> type[ValidationRule]:
    """A validation rule for one request (its variables decide the `first` of each list)."""

    class RequestLimits(RequestLimitsRule):
        request_limits = limits
        request_variables = variables

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            walker = _Walker(self.context, variables)
            root = get_named_type(self.context.schema.get_root_type(node.operation))
            cost, depth = walker.walk(node.selection_set, root, frozenset())
            if depth > limits.max_depth:
                self.report_error(
                    GraphQLError(
                        f"The query nests {depth} levels deep; at most {limits.max_depth} "
                        "are allowed. Ask for the deeper part in a query of its own.",
                        node,
                        extensions={"code": "query_too_deep", "depth": depth},
                    )
                )
            if cost > limits.max_cost:
                self.report_error(
                    GraphQLError(
                        f"The query could touch about {cost} items; at most "
                        f"{limits.max_cost} are allowed. Ask for smaller pages (first) or "
                        "fewer nested lists.",
                        node,
                        extensions={"code": "query_too_costly", "cost": cost},
                    )
                )
            if walker.aliases > limits.max_aliases:
                self.report_error(
                    GraphQLError(
                        f"The query uses {walker.aliases} aliases; at most "
                        f"{limits.max_aliases} are allowed.",
                        node,
                        extensions={"code": "too_many_aliases", "aliases": walker.aliases},
                    )
                )

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if not limits.introspection and node.name.value in ("__schema", "__type"):
                self.report_error(
                    GraphQLError(
                        "Introspection is switched off on this gateway; the schema is "
                        "published as schema.graphql instead.",
                        node,
                        extensions={"code": "introspection_disabled"},
                    )
                )

    return RequestLimits


class RequestLimitsExtension(SchemaExtension):
    """Adds the per-request limits rule, with the request's variables, before validation."""

    limits: Limits

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        variables = context.variables if isinstance(context.variables, dict) else {}
        context.validation_rules = (*context.validation_rules, limits_rule(self.limits, variables))
        yield


def limits_extension(limits: Limits) -> type[RequestLimitsExtension]:
    return type("RequestLimits", (RequestLimitsExtension,), {"limits": limits})
