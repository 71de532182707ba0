"""Content files: YAML a clinic edits (questionnaires, plan rules, lessons, practices, catalogues), read through
pydantic models, with one error that a content editor can act on.

Every content loader calls `load_yaml` (a file) or `validate` (a document already read). Each problem is named by
the file, the entry it is in and the field, in the file's own words::

    assessments/instruments/odi.yaml: item 3, field 'options': a mapping is needed here, got 'yes'

An entry of a list is named by its ``id`` (or ``key``, ``slug``, ``name``) when it has one, else by its number
counted from 1; an entry of a mapping by its key. Checks that span entries (uniqueness, cross-references) are
model validators; a validator raises `ValueError` with a sentence, which is shown as it is.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar, get_args, get_origin

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

__all__ = [
    "ContentError",
    "ContentModel",
    "Id",
    "Text",
    "describe_location",
    "load_yaml",
    "read_yaml",
    "repeated",
    "validate",
]

M = TypeVar("M", bound=BaseModel)

#: The package folder: files inside it are named from here ("assessments/instruments/odi.yaml").
_PACKAGE = Path(__file__).resolve().parent

#: Keys that name an entry of a list, in the order they are looked for.
_NAME_KEYS = ("id", "key", "slug", "name")

#: How pydantic's error kinds read to a content editor; others keep pydantic's own words.
_WORDS = {
    "missing": "is missing",
    "extra_forbidden": "is not a known field (check its spelling)",
}
#: Kinds of value a field needs, in a content editor's words (the value found is added).
_NEEDS = {
    "model_type": "a mapping is needed here",
    "model_attributes_type": "a mapping is needed here",
    "dict_type": "a mapping is needed here",
    "list_type": "a list is needed here",
    "tuple_type": "a list is needed here",
}


_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"an id is lower_case_with_underscores, got {value!r}")
    return value


def _text(value: str) -> str:
    words = " ".join(value.split())
    if not words:
        raise ValueError("some text is needed here")
    return words


#: An id stored in records: lower_case_with_underscores.
Id = Annotated[str, AfterValidator(_id)]
#: Text shown to people: not empty; line breaks and runs of spaces become single spaces.
Text = Annotated[str, AfterValidator(_text)]


def repeated(ids: Sequence[str]) -> list[str]:
    """The ids that occur more than once, sorted; for "each ... needs its own id" validators."""
    return sorted({i for i in ids if ids.count(i) > 1})


class ContentModel(BaseModel):
    """Base of the content models: unknown keys are refused (a misspelt key is an error, not ignored), and the
    models are frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: How the entries under a field are named in messages, outermost first, where the field's own name does
    #: not say it: ``{"tasks": ("module", "task")}`` for a mapping of module to a list of tasks.
    entry_names: ClassVar[Mapping[str, tuple[str, ...]]] = {}


class ContentError(ValueError):
    """A content file that cannot be used; ``problems`` lists each, naming the entry and field it is in.

    Attributes
    ----------
    origin : str
        The file (relative to the package when it is shipped with it), or a description of the document.
    problems : tuple of str
        One sentence each, without the file name: ``"item 3, field 'options': ..."``.
    """

    def __init__(self, origin: str | Path, problems: Sequence[str]) -> None:
        self.origin = origin_name(origin)
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{self.origin}: {problem}" for problem in self.problems))


def origin_name(origin: str | Path) -> str:
    """A file named from the package folder when it is inside it, else as given."""
    if isinstance(origin, Path) or "/" in str(origin) or str(origin).endswith((".yaml", ".yml", ".md")):
        path = Path(origin)
        try:
            return path.resolve().relative_to(_PACKAGE).as_posix()
        except ValueError:
            return str(origin)
    return str(origin)


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file; a file that is missing or not YAML raises `ContentError` naming it."""
    file = Path(path)
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContentError(file, [f"cannot be read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ContentError(file, ["cannot be read: it is not UTF-8 text"]) from None
    except yaml.YAMLError as exc:
        raise ContentError(file, [f"not valid YAML: {exc}"]) from None


def load_yaml(path: str | Path, model: type[M], *, context: dict[str, Any] | None = None) -> M:
    """Read a YAML file and check it with a pydantic model.

    Parameters
    ----------
    path : str | pathlib.Path
        The file.
    model : type of pydantic.BaseModel
        The model of the whole document.
    context : dict | None
        Passed to the model's validators (for example the file's name, which an entry's id must match); a
        fresh dict when None, so validators may keep what they found for later entries (ids seen so far).

    Returns
    -------
    document : model
        The checked document.

    Raises
    ------
    ContentError
        Naming the file, and for each problem the entry and the field.
    """
    return validate(read_yaml(path), model, origin=path, context=context)


def validate(
    document: Any, model: type[M], *, origin: str | Path, context: dict[str, Any] | None = None
) -> M:
    """Check a document (as read from YAML) with a pydantic model; see `load_yaml`."""
    try:
        return model.model_validate(document, context={} if context is None else context)
    except ValidationError as exc:
        raise ContentError(origin, [_problem(error, model, document) for error in exc.errors()]) from None


def _problem(error: Mapping[str, Any], model: type[BaseModel], document: Any) -> str:
    where = describe_location(tuple(error["loc"]), model, document)
    kind = error["type"]
    if kind == "value_error":
        message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"].removeprefix("Value error, ")
    elif kind in _WORDS:
        message = _WORDS[kind]
    elif kind in _NEEDS:
        message = f"{_NEEDS[kind]}, got {error['input']!r}"
    else:
        message = f"{error['msg'][0].lower()}{error['msg'][1:]}, got {error['input']!r}"
    return f"{where}: {message}" if where else message


def _singular(field: str) -> str:
    word = field.rsplit("_", 1)[-1] if field.startswith(("add_", "repeat_")) else field
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _unwrap(tp: Any) -> list[Any]:
    """The types a value of this annotation may have (Optional and unions spread, Annotated removed)."""
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [t for arg in get_args(tp) for t in _unwrap(arg) if t is not type(None)]
    return [tp]


def _names(tps: list[Any], key: Any) -> list[str]:
    for tp in tps:
        if isinstance(tp, type) and issubclass(tp, ContentModel) and key in tp.entry_names:
            return list(tp.entry_names[key])
    return []


def _step(tps: list[Any], key: Any) -> tuple[str, list[Any]] | None:
    """What a location key is for a value of these types: ("field", types) or ("entry", types); None when the
    key is pydantic's own (a union member's tag)."""
    for tp in tps:
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(key, str):
            if key in tp.model_fields:
                return "field", _unwrap(tp.model_fields[key].annotation)
            return "field", []
        if origin in (list, tuple, Sequence, set, frozenset) and isinstance(key, int):
            args = [a for a in get_args(tp) if a is not Ellipsis]
            return "entry", _unwrap(args[0]) if args else []
        if origin in (dict, Mapping) and isinstance(key, str):
            pair = get_args(tp)
            return "entry", _unwrap(pair[1]) if len(pair) == 2 else []
    if not tps:
        return ("entry" if isinstance(key, int) else "field"), []
    return None


def describe_location(loc: tuple[Any, ...], model: type[BaseModel], document: Any) -> str:
    """Name a pydantic error location in a content editor's words: ``"rule 'x', module 1, field 'weeks'"``.

    Parameters
    ----------
    loc : tuple
        The error's ``loc``.
    model : type of pydantic.BaseModel
        The document's model, to tell a field from an entry.
    document : object
        The document as read, to name entries by their id.
    """
    words: list[str] = []
    fields: list[str] = []
    tps: list[Any] = [model]
    names: list[str] = []
    data = document
    for key in loc:
        step = _step(tps, key)
        if step is None:
            continue
        kind, next_tps = step
        if kind == "field":
            names = _names(tps, key)
            tps = next_tps
            fields.append(str(key))
            data = data.get(key) if isinstance(data, Mapping) else None
            continue
        tps = next_tps
        owner = names.pop(0) if names else _singular(fields[-1]) if fields else "entry"
        if isinstance(key, int):
            item = data[key] if isinstance(data, list) and 0 <= key < len(data) else None
            name = next(
                (item[k] for k in _NAME_KEYS if isinstance(item, Mapping) and isinstance(item.get(k), str)),
                None,
            )
            words.append(f"{owner} {name!r}" if name else f"{owner} {key + 1}")
        else:
            item = data.get(key) if isinstance(data, Mapping) else None
            words.append(f"{owner} {key!r}")
        data = item
        fields = []
    if fields:
        words.append(f"field {'.'.join(fields)!r}")
    return ", ".join(words)
