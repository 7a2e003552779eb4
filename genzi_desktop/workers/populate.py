"""A populate job in a worker thread; its events reach the GUI thread as Qt signals."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from pipeline.core.events import CancelToken
from genzi_desktop.workers.tasks import TaskHandle, start_task


class PopulateFeed(QtCore.QObject):
    """Emitted from the worker thread; slots of GUI-thread objects receive them queued."""

    placed = QtCore.Signal(object)  # list of PersonSpec
    event = QtCore.Signal(object)  # PersonEvent / PersonFinished / PopulateNotice


def start_populate(parent: QtCore.QObject, plan, scene: str | Path, out_dir: Path, cluster, feed: PopulateFeed, *,
                   device: str, on_finished, on_failed, on_cancelled, cancels=None, only=None) -> TaskHandle:
    """Place everyone and run the job: here, or with ``cluster`` = (address, workers) on Ray.

    A cluster job runs in a child process (a dying cluster ends its Ray driver's process, which
    must not be the app's); a wrong address fails here within seconds. A lost cluster stops the
    job (``ClusterLost``) so the user chooses whether to go on here.
    """

    def job(_report, cancel: CancelToken):
        from pipeline.populate.runner import plan_people, populate

        if cluster is not None:
            from pipeline.populate.child import populate_on_cluster
            from pipeline.populate.ray_backend import check_reachable

            address, workers = cluster
            check_reachable(address)
            return populate_on_cluster(plan, scene, out_dir, address=address, workers=workers, device=device,
                                       emit=feed.event.emit, placed=feed.placed.emit, cancel=cancel, cancels=cancels,
                                       only=only)
        feed.placed.emit(plan_people(plan, scene, out_dir))
        return populate(plan, scene, out_dir, emit=feed.event.emit, cancel=cancel, device=device,
                        cancels=cancels, only=only, on_cluster_lost="stop")

    return start_task(parent, job, name="populate", on_finished=on_finished, on_failed=on_failed,
                      on_cancelled=on_cancelled)


def start_reexport(parent: QtCore.QObject, out_dir: Path, on_finished, on_failed) -> TaskHandle:
    """Rewrite the job's ``populated.glb`` after the user rejected or accepted someone."""

    def job(_report, _cancel):
        from pipeline.populate.runner import reexport

        return reexport(out_dir)

    return start_task(parent, job, name="populate export", on_finished=on_finished, on_failed=on_failed)


