"""`restorer` command line: colorize | gui | train | eval | models | bench | report | reference.

Each subcommand's options are declared here; the work is done by library functions so that the GUI,
the trainer and the tests call the same code. Exit codes: 0 done, 1 some work failed, 2 usage error.
"""
from __future__ import annotations

import argparse
import sys

from restorer import __version__


def _add_colorize(sub) -> None:
    p = sub.add_parser("colorize", help="colourise photos or folders of photos")
    p.add_argument("inputs", nargs="+", metavar="IN", help="image files and/or folders (searched recursively)")
    p.add_argument("-o", "--out", required=True, metavar="OUTDIR", help="output folder (subfolders are mirrored)")
    p.add_argument("--model", default="default", help="model name (see `restorer models`)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--overwrite", action="store_true", help="replace outputs that already exist")
    p.add_argument("--format", dest="fmt", default=None, choices=["jpeg", "png", "tiff", "webp", "bmp"],
                   help="output format (default: same as the input)")
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality (default 95)")
    p.add_argument("--suffix", default="_colour", help="added to output file names (default _colour)")
    p.add_argument("--strength", type=float, default=100.0, metavar="PERCENT",
                   help="colour strength in percent of what the model predicts (0-200, default 100)")
    p.add_argument("--max-pixels", type=int, default=250_000_000,
                   help="refuse images larger than this many pixels (default 250 MP)")
    p.add_argument("--shard", default=None, metavar="I/N",
                   help="do only shard I of N (0 <= I < N) of the photos, for N independent processes on a "
                        "cluster; 'auto' reads a Slurm job array or Kubernetes indexed Job (docs/cluster.md)")
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="'ray': colourise on a Ray cluster (pip install 'restorer[cluster]'; docs/cluster.md)")
    p.add_argument("--address", default=None, metavar="ADDR",
                   help="with --engine ray: the cluster to join (default: start Ray on this machine)")
    p.add_argument("--variation", type=int, default=None, metavar="K",
                   help="start from alternative colouring K (1-4) of the variations network instead of the "
                        "model's own (0); hints still apply on top; given, it overrides a sidecar's choice "
                        "(docs/variations.md)")
    h = p.add_mutually_exclusive_group()
    h.add_argument("--hints", default=None, metavar="FILE",
                   help="apply this hints file (docs/hints-format.md) to the single input, instead of its sidecar")
    h.add_argument("--no-hints", action="store_true",
                   help="ignore <photo>.restorer.json sidecars (by default each photo's sidecar is applied)")


def _add_gui(sub) -> None:
    p = sub.add_parser("gui", help="open the desktop app")
    p.add_argument("files", nargs="*", help="photos or folders to open")


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train or fine-tune a colourisation model")
    p.add_argument("--data", required=True, help="folder of colour photos (recursive)")
    p.add_argument("--val", default=None, help="validation folder (default: 5%% of --data held out)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--arch", default=None, help="architecture to train from scratch/pretrained encoder")
    g.add_argument("--base", default=None, help="registered model to fine-tune")
    p.add_argument("--minutes", type=float, required=True, help="time budget")
    p.add_argument("--name", required=True, help="name of the exported model")
    p.add_argument("--size", type=int, default=None, help="training crop size (default: the arch's)")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--adv-weight", type=float, default=None)
    p.add_argument("--perc-weight", type=float, default=None)
    p.add_argument("--gan-fraction", type=float, default=None,
                   help="share of the time budget spent in the adversarial stage")
    p.add_argument("--rebalance", type=float, default=None,
                   help="colour rebalancing of the L1 loss: mix of the colour prior with uniform (0 = off)")
    p.add_argument("--min-colourfulness", type=float, default=None,
                   help="export the validated weights with the best PSNR among those at least this colourful "
                        "(ratio to the true photos on the validation crops; default: the last weights)")
    p.add_argument("--freeze-encoder", action="store_true",
                   help="keep the pretrained encoder fixed, train only the decoder (small collections)")
    p.add_argument("--val-every", type=float, default=None,
                   help="minutes between validations (grid image + metrics in the run folder; default 10)")
    p.add_argument("--run-dir", default=None, help="checkpoint folder (default runs/<name>)")
    p.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    p.add_argument("--workers", type=int, default=None, help="data-loader processes (default 0: in-process is faster)")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast (faster on CPUs with bf16 support)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, default=None, help="also stop after this many steps (speed tests)")
    p.add_argument("--out-dir", default=None, help="export folder (default: the user's model folder)")
    p.add_argument("--no-export", action="store_true")


def _add_eval(sub) -> None:
    p = sub.add_parser("eval", help="quality report of models on a folder of colour photos")
    p.add_argument("--data", required=True)
    p.add_argument("--models", default=None,
                   help="comma-separated model names or card paths (default: all); NAME@150 = at 150 %% colour "
                        "strength")
    p.add_argument("--hints", default="0", help="comma-separated hint counts, e.g. 0,1,10,50")
    p.add_argument("--size", type=int, default=None, help="resize the short side to N before evaluating")
    p.add_argument("--limit", type=int, default=None, help="use at most N images")
    p.add_argument("--out", required=True, metavar="REPORT_DIR")
    p.add_argument("--reuse", default=None, metavar="REPORT_JSON",
                   help="carry over the rows of models not evaluated now from an earlier report of the same photos "
                        "and settings")
    p.add_argument("--no-lpips", action="store_true",
                   help="leave LPIPS out (it takes most of the time on a CPU): for quick comparisons")
    p.add_argument("--part", action="append", metavar="NAME=FILE",
                   help="also summarise the photos listed in FILE (one file name a line) as part NAME; parts by "
                        "file-name prefix are always summarised (repeatable)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--seed", type=int, default=0)


def _add_models(sub) -> None:
    p = sub.add_parser("models", help="list the installed models and their cards; export, import, rename, delete")
    p.add_argument("--json", action="store_true", help="print the cards as JSON")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    e = msub.add_parser("export", help="write a model as one FILE.restorer-model (weights + card, nothing executable)")
    e.add_argument("name")
    e.add_argument("file", metavar="FILE.restorer-model")
    e.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    i = msub.add_parser("import", help="install a .restorer-model into your models folder (checked first)")
    i.add_argument("file", metavar="FILE")
    i.add_argument("--name", default=None, help="install under this name (default: the name in its card)")
    i.add_argument("--replace", action="store_true", help="replace your model of the same name")
    r = msub.add_parser("rename", help="rename one of your models (shipped ones are read-only)")
    r.add_argument("old")
    r.add_argument("new")
    d = msub.add_parser("delete", help="delete one of your models (shipped ones are read-only)")
    d.add_argument("name")


def _add_reference(sub) -> None:
    p = sub.add_parser("reference", help="colour photos like one colour reference photo (learns it in minutes)")
    p.add_argument("--ref", required=True, metavar="COLOUR", help="the colour photo to learn the colours from")
    p.add_argument("targets", nargs="+", metavar="TARGET", help="black-and-white photos and/or folders")
    p.add_argument("-o", "--out", required=True, metavar="OUTDIR", help="output folder")
    p.add_argument("--minutes", type=float, default=2.0, help="training time on the reference (default 2)")
    p.add_argument("--base", default="default", help="model the reference's palette is learned on top of")
    p.add_argument("--keep", default=None, metavar="NAME", help="also keep the result as a model called NAME")
    p.add_argument("--replace", action="store_true", help="with --keep: replace your model of that name")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that already exist")
    p.add_argument("--format", dest="fmt", default=None, choices=["jpeg", "png", "tiff", "webp", "bmp"])
    p.add_argument("--quality", type=int, default=95)
    p.add_argument("--suffix", default="_colour")
    p.add_argument("--strength", type=float, default=100.0, metavar="PERCENT")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--status-dir", default=None, help=argparse.SUPPRESS)  # the app's progress/preview/stop folder


def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="measure speed and memory of models")
    p.add_argument("--models", default=None, help="comma-separated model names (default: all)")
    p.add_argument("--folder", default=None, help="folder for the batch-throughput measurement")
    p.add_argument("--sizes", default="1,12,24", help="export sizes in megapixels")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--json", dest="json_out", default=None, help="write the results to this JSON file")


def _add_report(sub) -> None:
    p = sub.add_parser("report", help="batch reports: merge the shards' reports of a cluster run")
    rsub = p.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    m = rsub.add_parser("merge", help="join report-I-of-N.json of OUTDIR into report.json/.csv, list what is "
                                      "missing or failed")
    m.add_argument("out", metavar="OUTDIR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="restorer", description="Bring colour back to old photographs.")
    parser.add_argument("--version", action="version", version=f"restorer {__version__}")
    parser.add_argument("--selftest", action="store_true", help="check this installation (models, sample, window, "
                        "trainer), one line per check, and exit 0 if all pass")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_colorize, _add_gui, _add_train, _add_eval, _add_models, _add_bench, _add_report, _add_reference):
        add(sub)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    # Imported per command so `restorer models` does not pay for Qt and `restorer gui` not for the trainer.
    if args.command == "colorize":
        from restorer.core.batch_cli import run_cli
    elif args.command == "gui":
        from restorer.gui.app import run_cli
    elif args.command == "train":
        from training.cli import run_cli
    elif args.command == "eval":
        from restorer.core.evaluate import run_cli
    elif args.command == "models" and getattr(args, "models_command", None):
        from restorer.core.model_store import run_cli
    elif args.command == "models":
        from restorer.core.models import run_cli
    elif args.command == "reference":
        from training.reference import run_cli
    elif args.command == "bench":
        from restorer.core.bench import run_cli
    elif args.command == "report":
        from restorer.core.batch_cli import run_report_cli as run_cli
    else:  # pragma: no cover - argparse guarantees a known command
        raise AssertionError(args.command)
    return run_cli(args)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.selftest:
        from restorer.selftest import run

        return run()
    if args.command is None:
        parser.print_help()
        return 2
    try:
        code = int(_dispatch(args) or 0)
        sys.stdout.flush()  # here, so a closed pipe is caught below rather than at exit
        return code
    except KeyboardInterrupt:
        print("restorer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `restorer models | head`: the reader left, nothing is wrong
        import os

        # Python would report the pipe again while flushing stdout at exit (see the signal module docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
