"""The Celery app.

Tasks are autodiscovered from each installed app's ``tasks.py``. The beat
schedule is assembled from the ``BEAT_SCHEDULE`` dict of each installed app's
``beat.py`` (an app without one contributes nothing), merged over
``settings.CELERY_BEAT_SCHEDULE``; two apps naming the same entry is an error,
not a silent overwrite.

Embedded default: kombu's ``filesystem://`` transport in ``CELERY_DATA_DIR``
(folders created here, before anything publishes or consumes). With
``REDIS_URL`` the broker is Redis.
"""

import importlib
import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.config.settings")

app = Celery("tandem")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def beat_schedule(app_labels=None) -> dict:
    """The merged BEAT_SCHEDULE of every installed app's ``beat`` module."""
    if app_labels is None:
        from django.apps import apps as django_apps
        from django.conf import settings

        # only our own apps: third-party packages have no say in our schedule
        app_labels = [
            config.name
            for config in django_apps.get_app_configs()
            if Path(config.path).is_relative_to(settings.BASE_DIR)
        ]
    schedule: dict = {}
    for app_name in app_labels:
        module_name = f"{app_name}.beat"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # a broken import inside beat.py must not hide
                raise
            continue
        entries = getattr(module, "BEAT_SCHEDULE", {})
        clashes = schedule.keys() & entries.keys()
        if clashes:
            raise ValueError(f"{module_name} redefines beat entries {sorted(clashes)}")
        schedule.update(entries)
    return schedule


def ensure_filesystem_broker_folders(celery_app=app) -> list[str]:
    """Create the filesystem transport's folders (no-op for other brokers)."""
    options = celery_app.conf.broker_transport_options or {}
    folders = [
        options[key]
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
        if options.get(key)
    ]
    for folder in folders:
        os.makedirs(folder, exist_ok=True)
    return folders


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **kwargs):
    sender.conf.beat_schedule = {**beat_schedule(), **(sender.conf.beat_schedule or {})}


@worker_process_init.connect
def _settle_worker_process(**kwargs):
    # the tasks are loaded: what is alive now lives as long as the process (core.process)
    from core import process

    process.settle()


@app.on_after_configure.connect
def _ensure_filesystem_queue(sender, **kwargs):
    ensure_filesystem_broker_folders(sender)
