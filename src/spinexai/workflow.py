"""Plumbing shared by the thin scripts in ``workflow/scripts``: logging, inputs, clean errors.

Under Snakemake a script receives the ``snakemake`` object; run by hand it takes the same names on
the command line: ``python script.py --input manifest=a.parquet --output table=b.parquet
--params '{"seed": 1}' --log run.log``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from types import SimpleNamespace

from spinexai.errors import InputError


def _pairs(items: list[str] | None) -> SimpleNamespace:
    """``NAME=PATH`` items; a name given several times becomes a list (``--input indexes=a indexes=b``)."""
    out: dict = {}
    for item in items or []:
        key, _, value = item.partition("=")
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return SimpleNamespace(**out)


def as_list(value) -> list[str]:
    """A named input as a list, whether Snakemake gave a list or the command line one path."""
    return [value] if isinstance(value, str) else list(value)


def script_io(namespace: dict) -> SimpleNamespace:
    """Inputs, outputs, params, wildcards, threads and log from Snakemake or the command line."""
    smk = namespace.get("snakemake")
    if smk is not None:
        return SimpleNamespace(input=smk.input, output=smk.output, params=smk.params, wildcards=smk.wildcards,
                               threads=smk.threads, log=smk.log[0] if smk.log else None)
    parser = argparse.ArgumentParser(description="Run one spinexai pipeline step outside Snakemake.")
    parser.add_argument("--input", nargs="*", metavar="NAME=PATH")
    parser.add_argument("--output", nargs="*", metavar="NAME=PATH")
    parser.add_argument("--params", default="{}", help="JSON object of parameters")
    parser.add_argument("--wildcards", nargs="*", metavar="NAME=VALUE")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--log", default=None)
    args = parser.parse_args()
    return SimpleNamespace(input=_pairs(args.input), output=_pairs(args.output),
                           params=SimpleNamespace(**json.loads(args.params)), wildcards=_pairs(args.wildcards),
                           threads=args.threads, log=args.log)


def run(main: Callable[[SimpleNamespace], None], namespace: dict) -> None:
    """Set up logging to the rule's log file, run ``main``, and turn input errors into one clear line."""
    io = script_io(namespace)
    console = logging.StreamHandler(sys.stderr)
    handlers: list[logging.Handler] = [console]
    if io.log:
        console.setLevel(logging.WARNING)  # details go to the rule's log; the terminal shows problems
        handlers.append(logging.FileHandler(io.log, mode="w"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=handlers, force=True)
    try:
        main(io)
    except InputError as exc:
        logging.getLogger("spinexai").error("bad input: %s", exc)
        sys.exit(1)
    except Exception:
        logging.getLogger("spinexai").exception("unexpected failure")
        raise
