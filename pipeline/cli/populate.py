"""``genzi populate PLAN.json --scene S --out DIR``: many people in one job, here or on Ray."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", nargs="?", help="plan file (JSON; see --example), also one saved from the desktop")
    parser.add_argument("--example", action="store_true", help="print an example plan that uses every field and exit")
    parser.add_argument("--resume", metavar="DIR", default=None,
                        help="go on with the job in DIR (its plan and scene; e.g. after a lost cluster): finished "
                             "people are kept, the others run")
    parser.add_argument("--only", default=None, metavar="N[,N...]",
                        help="run just these people (numbers as printed, from 1), e.g. to retry a failed one")
    parser.add_argument("--scene", help="scene file (GLB/glTF, OBJ, PLY, STL, FBX)")
    parser.add_argument("--out", help="job folder: one run folder per person plus populated.glb (run again to resume)")
    parser.add_argument("--preset", choices=["fast", "paper"], default=None, help="override the plan's preset")
    parser.add_argument("--cluster", default=None, metavar="ADDRESS",
                        help="run on a Ray cluster: ray://HEAD:10001, HEAD:6379 or auto (default: this machine)")
    parser.add_argument("--workers", type=int, default=None,
                        help="with --cluster: worker count (default: one per GPU, or per CPU without GPUs)")
    parser.add_argument("--device", default="auto", help="auto, cuda, cpu or mps")
    parser.add_argument("--together", default="auto", metavar="N",
                        help="on this machine: people run at once, their painting shared on the GPU "
                             "(default auto: 4 on a GPU, 1 on a CPU)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="override one setting for every person, as in `genzi generate --set`")
    parser.add_argument("--stop-if-cluster-lost", action="store_true",
                        help="if the cluster goes away, stop (finished people are kept) instead of finishing here")
    parser.add_argument("--quiet", action="store_true", help="print only each finished person")


class PopulatePrinter:
    """One line per person stage and per finished person."""

    def __init__(self, quiet: bool = False, stream=None) -> None:
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr

    def __call__(self, event) -> None:
        from pipeline.core.events import StageStarted, Warning
        from pipeline.populate.events import PersonEvent, PersonFinished, PopulateNotice

        if isinstance(event, PersonEvent) and not self.quiet:
            inner = event.event
            if isinstance(inner, StageStarted):
                self.stream.write(f"person {event.person}: {inner.stage} ...\n")
            elif isinstance(inner, Warning):
                self.stream.write(f"person {event.person}: warning: {inner.message}\n")
        elif isinstance(event, PersonFinished):
            o = event.outcome
            self.stream.write(f"person {event.person}: {o.get('status')} ({o.get('seconds', 0):.1f} s) {o.get('message', '')}\n")
        elif isinstance(event, PopulateNotice):
            self.stream.write(f"note: {event.message}\n")
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from pipeline.populate.plan import PlanError, PopulatePlan, example_plan

    if args.example:
        print(example_plan().to_json())
        return 0
    from pipeline.cli.generate import parse_overrides
    from pipeline.core.events import Cancelled, CancelToken
    from pipeline.generation import GenerationError
    from pipeline.populate.runner import ClusterLost, populate, saved_job

    if args.resume and (args.plan or args.out):
        print("genzi populate: --resume DIR takes the plan and the folder from DIR; leave out PLAN and --out",
              file=sys.stderr)
        return 2
    missing = [flag for flag, value in (("PLAN", args.plan), ("--scene", args.scene), ("--out", args.out)) if not value]
    if missing and not args.resume:
        print(f"genzi populate: give {', '.join(missing)} (or --example to print a plan, or --resume DIR)",
              file=sys.stderr)
        return 2
    try:
        if args.together != "auto" and not (args.together.isdigit() and int(args.together) >= 1):
            raise ValueError(f"--together {args.together}: give a number of people (1 or more) or auto")
        only = None if args.only is None else [int(n) - 1 for n in args.only.replace(" ", "").split(",") if n]
        if args.resume:
            plan, scene = saved_job(args.resume)
            args.out, args.scene = args.resume, args.scene or scene
        else:
            plan = PopulatePlan.load(args.plan)
        if args.preset:
            plan.preset = args.preset
        plan.overrides.update(parse_overrides(args.overrides))
        plan.check()
    except (PlanError, ValueError) as exc:
        print(f"genzi populate: {exc}", file=sys.stderr)
        return 2
    if args.resume and not Path(args.scene).is_file():
        print(f"genzi populate: the job's scene {args.scene} is gone; give it with --scene", file=sys.stderr)
        return 2
    try:
        if args.cluster:
            result = _populate_on_cluster(args, plan, only)
        else:
            result = populate(plan, args.scene, args.out, emit=PopulatePrinter(args.quiet), cancel=CancelToken(),
                              device=args.device, only=only, together=args.together)
    except KeyboardInterrupt:
        print(f"\nstopped; finished people are kept; run the same command again to resume ({args.out})", file=sys.stderr)
        return 130
    except Cancelled:
        print(f"\nstopped; run the same command again to resume ({args.out})", file=sys.stderr)
        return 130
    except ClusterLost as exc:
        print(f"genzi populate: {exc} Finished people are kept in {args.out}; finish them here with "
              f"`genzi populate --resume {args.out}`.", file=sys.stderr)
        return 4
    except (PlanError, GenerationError, ValueError) as exc:  # ClusterError (no cluster at the address) too
        print(f"genzi populate: {exc}", file=sys.stderr)
        return 2
    done = len(result.finished)
    print(f"{done} of {len(result.people)} people have a body; job folder {result.out_dir}")
    if result.export_path:
        print(f"scene with everyone: {result.export_path}")
    return 0 if done == len(result.people) else 3


def _populate_on_cluster(args: argparse.Namespace, plan, only):
    """Drive the cluster from a child process: when the cluster dies, Ray ends its driver's process.

    A lost cluster then raises ``ClusterLost`` here (``--stop-if-cluster-lost``) or the people
    not finished yet run on this machine, in the same job folder, which keeps the finished ones.
    """
    from pipeline.populate.child import populate_on_cluster
    from pipeline.populate.events import PopulateNotice
    from pipeline.populate.ray_backend import check_reachable
    from pipeline.populate.runner import ClusterLost, populate

    printer = PopulatePrinter(args.quiet)
    check_reachable(args.cluster)
    try:
        return populate_on_cluster(plan, args.scene, args.out, address=args.cluster, workers=args.workers,
                                   device=args.device, emit=printer, only=only)
    except ClusterLost as exc:
        if args.stop_if_cluster_lost:
            raise
        printer(PopulateNotice(f"{exc} Finished people are kept; the others run on this machine."))
    return populate(plan, args.scene, args.out, emit=printer, device=args.device, only=only, together=args.together)
