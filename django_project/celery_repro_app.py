"""The Celery app of the project under test, named by REPRO_CELERY_APP ('module:attr' or a module with `app` or
`celery_app`), for the harness's scripts."""
import importlib
import os


def project_app():
    spec = os.environ.get("REPRO_CELERY_APP", "repro")
    module, _, attr = spec.partition(":")
    loaded = importlib.import_module(module)
    if attr:
        return getattr(loaded, attr)
    for name in ("app", "celery_app", "celery"):
        if hasattr(loaded, name) and hasattr(getattr(loaded, name), "send_task"):
            return getattr(loaded, name)
    raise SystemExit("no Celery app in module %s: name it as %s:ATTR" % (module, module))
