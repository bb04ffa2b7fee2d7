"""``cmu spec init DATA --label L [--task T]``: a spec inferred from a CSV or Parquet table.

Registered through the ``cmu.plugins`` entry point
``spec = "cmu_client.commands.spec_init:plugin"``.
The spec (comment-free JSON, accepted as it is by ``cmu model create --spec``) goes to
stdout or ``--out``; every choice is explained on stderr.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cmu_client.commands.common import read_file
from cmu_client.errors import UsageError
from cmu_client.plugin import CliPlugin, CommandContext, Commands
from cmu_client.spec import Task
from cmu_client.spec_infer import infer_spec
from cmu_client.tables import read_table


def register(commands: Commands) -> None:
    spec = commands.add_group("spec", help="model spec documents")
    init = spec.add_parser(
        "init",
        help="infer a spec from a CSV or Parquet table",
        description="Read a CSV or Parquet table and write a model spec to review: the task "
        "(from the label unless --task), each column's type, categories, missing values and "
        "bounds, LightGBM parameters, an acceptance metric and tolerance. Identifier-like "
        "columns are left out. The choices are explained on stderr.",
    )
    init.add_argument("data", help="a CSV or Parquet file")
    init.add_argument("--label", "-l", required=True, help="the column to predict")
    init.add_argument(
        "--task",
        choices=[t.value for t in Task],
        help="the task (default: inferred from the label)",
    )
    init.add_argument("--name", help="the model's name (default: the file's name)")
    init.add_argument("--out", "-o", help="write the spec here (default: stdout)")
    init.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    init.set_defaults(handler=cmd_spec_init)


def cmd_spec_init(args: argparse.Namespace, ctx: CommandContext) -> int:
    raw = read_file(args.data, "data", ctx.ipfs_settings().max_bytes)
    header, rows = read_table(raw, args.data)
    name = args.name or Path(args.data).stem
    inferred = infer_spec(
        header,
        rows,
        args.label,
        task=Task(args.task) if args.task else None,
        name=name,
        subject=args.data,
    )
    text = json.dumps(inferred.document, indent=2, ensure_ascii=False) + "\n"
    if not ctx.output.quiet:
        err = ctx.output.err
        err.print(
            f"[bold]spec for {args.data}[/bold] ({len(rows)} rows, {len(header)} "
            f"columns, {len(inferred.document['features'])} features)",
            highlight=False,
        )
        for note in inferred.notes:
            err.print(f"  {note}", highlight=False, markup=False, soft_wrap=True)
        if inferred.left_out:
            err.print(
                f"  left out: {', '.join(inferred.left_out)} (add them by hand if they "
                "are features)",
                highlight=False,
                markup=False,
            )
    if args.out:
        out = Path(args.out).expanduser()
        if out.exists() and not args.force:
            raise UsageError(f"{args.out} exists", "pass --force to overwrite it")
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror}") from None
        ctx.output.done(
            f"spec written to {args.out}; review it, then `cmu model create "
            f"--spec {args.out} --data ... --validation ...`"
        )
    else:
        ctx.output.out.file.write(text)
        ctx.output.out.file.flush()
    return 0


#: The ``cmu.plugins`` entry point.
plugin = CliPlugin(register=register)
