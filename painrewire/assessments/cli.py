"""Command-line commands of this domain, attached to the main `painrewire` app.

``painrewire score INSTRUMENT A1 A2 ...`` is a fixed contract other tools rely on: answers in item order,
``-`` for an unanswered item; exactly one JSON object on stdout
``{"instrument", "total", "band", "subscales", "flags", "valid", "messages"}``; input that cannot be scored
(unknown instrument, wrong number of answers, a value that is not an answer) gives a message on stderr and
exit code 2. A score that is not valid because items are unanswered is still a result (exit 0, "valid":
false, messages naming the items).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

INPUT_ERROR = 2


def _error(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(INPUT_ERROR)


def _parse(tokens: list[str]) -> list[int | None]:
    answers: list[int | None] = []
    for number, token in enumerate(tokens, start=1):
        if token == "-":
            answers.append(None)
            continue
        try:
            answers.append(int(token, 10))
        except ValueError:
            raise _error(
                f"item {number}: {token!r} is not a whole number (use '-' for an unanswered item)"
            ) from None
    return answers


def score_command(
    instrument: Annotated[str | None, typer.Argument(help="Instrument id, e.g. phq9 (see --list)")] = None,
    answers: Annotated[
        list[str] | None, typer.Argument(help="Answers in item order; '-' for an unanswered item")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the instruments and exit")] = False,
) -> None:
    """Score a questionnaire and print the result as one JSON object."""
    from painrewire.assessments.instruments import list_instruments
    from painrewire.assessments.scoring import InvalidAnswers, score

    if list_:
        for definition in list_instruments():
            values = sorted({v for item in definition.items for v in item.values})
            typer.echo(
                f"{definition.id}\t{definition.name}\t{definition.item_count} items\t"
                f"answers {values[0]}-{values[-1]}"
            )
        return
    if instrument is None:
        raise _error(
            "name an instrument (painrewire score --list shows them), then its answers in item order"
        )
    try:
        result = score(instrument, _parse(answers or []))
    except InvalidAnswers as exc:
        raise _error(exc.message) from exc
    typer.echo(json.dumps(result.as_json(), ensure_ascii=False))


def check_instrument_text(
    directory: Annotated[
        Path | None, typer.Argument(help="Defaults to PAINREWIRE_INSTRUMENT_TEXT_DIR")
    ] = None,
) -> None:
    """Check a clinic's licensed questionnaire wording files before patients see them."""
    from painrewire.assessments.instruments import (
        InstrumentDefinitionError,
        list_instruments,
        with_clinic_text,
    )
    from painrewire.config import get_settings

    folder = directory or get_settings().instrument_text_dir
    if folder is None:
        raise _error("give a directory, or set PAINREWIRE_INSTRUMENT_TEXT_DIR")
    if not folder.is_dir():
        raise _error(f"{folder} is not a directory")
    problems = 0
    for definition in list_instruments():
        try:
            merged = with_clinic_text(definition, folder)
        except InstrumentDefinitionError as exc:
            problems += 1
            typer.echo(f"{definition.id}: NOT USABLE — {exc}", err=True)
            continue
        if merged.text_source == "clinic":
            typer.echo(f"{definition.id}: clinic wording loaded ({merged.item_count} items)")
        elif definition.has_item_text:
            typer.echo(f"{definition.id}: shipped wording")
        else:
            typer.echo(f"{definition.id}: no wording (neutral labels; clinicians enter paper answers)")
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Attach this domain's commands to the main app."""
    app.command(
        "score",
        context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    )(score_command)
    app.command("check-instrument-text")(check_instrument_text)
