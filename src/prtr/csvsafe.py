"""Write CSV files that a spreadsheet opens as data, never as formulas.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return,
which some spreadsheets skip before reading the rest) is run as a formula when the file
is opened in Excel or LibreOffice: a facility name such as ``=HYPERLINK(...)`` would
become a live link in an analyst's workbook. Every CSV the register writes goes through
:func:`write_csv`, which puts an apostrophe in front of such text, the mark spreadsheets
themselves use for "this is text".

Only text is touched: numbers stay numbers, so a negative number in a numeric column is
written as it is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_TRIGGERS", "neutralise_formula", "neutralise_frame", "write_csv"]

#: Characters that make a spreadsheet read a cell as a formula when they come first.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Return ``text`` made safe to open in a spreadsheet.

    Leading spaces are looked through, because some spreadsheets ignore them.

    Args:
        text: the text of one cell.

    Returns:
        ``text`` with an apostrophe in front when it would start a formula, otherwise
        ``text`` unchanged.

    >>> neutralise_formula("=1+1"), neutralise_formula("Lead")
    ("'=1+1", 'Lead')
    """
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every text cell passed through
    :func:`neutralise_formula`; column names too.

    Args:
        frame: any table.

    Returns:
        A new table; numbers, booleans and missing values are left as they are.
    """
    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_bool_dtype(
            safe[column]
        ):
            continue
        safe[column] = safe[column].map(
            lambda value: neutralise_formula(value) if isinstance(value, str) else value
        )
    safe.columns = [neutralise_formula(str(name)) for name in safe.columns]
    return safe


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV (with a byte-order mark, so that Excel reads Khmer
    text right), neutralising formulas first.

    Args:
        frame: the table to write.
        path: where to write it; missing folders are created.

    Returns:
        The path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(frame).to_csv(target, index=False, encoding="utf-8-sig")
    return target
