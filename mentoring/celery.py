"""The Celery app. Tasks are autodiscovered from each app's ``tasks.py``; the
beat schedule is assembled from each app's ``BEAT_SCHEDULE`` in ``beat.py``."""

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")

app = Celery("tandem")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

BEAT_MODULES = ("accounts.beat", "trust.beat", "mentoring.beat", "messaging.beat")


def _beat_schedule() -> dict:
    schedule: dict = {}
    for module_name in BEAT_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    return schedule


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **kwargs):
    sender.conf.beat_schedule = {**_beat_schedule(), **(sender.conf.beat_schedule or {})}


@app.on_after_configure.connect
def _ensure_filesystem_queue(sender, **kwargs):
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
