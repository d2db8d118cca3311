"""Print what a user's project is configured to do, as JSON, without connecting to anything: every host its
settings name, its databases, its Celery app's settings and signal receivers (run in the project's env with its
own DJANGO_SETTINGS_MODULE and REPRO_CELERY_APP)."""
import importlib
import json
import os
import re
import sys
import weakref
from urllib.parse import urlsplit

from celery_repro_app import project_app

# names of settings that hold where the project is reached or what it links to, not where it connects
INBOUND = {"ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "INTERNAL_IPS", "CORS_ALLOWED_ORIGINS", "CORS_ORIGIN_WHITELIST",
           "STATIC_URL", "MEDIA_URL", "LOGIN_URL", "LOGIN_REDIRECT_URL", "LOGOUT_REDIRECT_URL",
           "SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN", "SECURE_PROXY_SSL_HEADER"}
HOST_NAME = re.compile(r"(HOST|HOSTS|HOSTNAME|SERVER|SERVERS|ENDPOINT|LOCATION)$", re.IGNORECASE)
# caches the harness keeps as they are: their LOCATION is a name, a path or a table, not a host
LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache",
                "django.core.cache.backends.filebased.FileBasedCache", "django.core.cache.backends.db.DatabaseCache")
CELERY_KEYS = ("task_acks_late", "task_reject_on_worker_lost", "worker_prefetch_multiplier", "worker_pool",
               "worker_concurrency", "worker_max_tasks_per_child", "worker_max_memory_per_child",
               "task_soft_time_limit", "task_time_limit", "broker_transport_options", "task_ignore_result",
               "broker_connection_retry_on_startup", "task_default_queue")
SIGNALS = ("task_prerun", "task_postrun", "task_failure", "worker_process_init", "worker_init", "worker_ready")


def hosts_in(path, value, named_host=False):
    """(setting path, host) for every host a setting's value names: URLs anywhere, and 'host' or 'host:port'
    strings under a name ending in HOST(S), SERVER(S), ENDPOINT or LOCATION."""
    if isinstance(value, dict):
        for key, item in value.items():
            for found in hosts_in("%s[%r]" % (path, key), item, bool(HOST_NAME.search(str(key)))):
                yield found
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(sorted(value, key=str) if isinstance(value, (set, frozenset)) else value):
            for found in hosts_in("%s[%d]" % (path, index), item, named_host):
                yield found
    elif isinstance(value, str) and "://" in value:
        for part in value.split(";"):  # Celery takes several broker URLs separated by ';'
            try:
                host = urlsplit(part.strip()).hostname
            except ValueError:
                continue
            if host:
                yield path, host
    elif isinstance(value, str) and named_host and value:
        yield path, _host_of(value)


def settings_hosts(settings, names):
    """Every host the settings name, caches kept local by the harness left out."""
    for name in names:
        value = getattr(settings, name)
        if name == "CACHES" and isinstance(value, dict):
            value = {alias: cache for alias, cache in value.items() if cache.get("BACKEND") not in LOCAL_CACHES}
        for found in hosts_in(name, value, bool(HOST_NAME.search(name))):
            yield found


def is_local(host):
    """A host on this machine: loopback, or '' (a socket path)."""
    return host in ("", "localhost", "::1") or host.startswith("127.")


def _host_of(location):
    """'host', 'host:port', 'unix:/path' or a socket path: '' for a path."""
    if location.startswith(("/", "unix:")):
        return ""
    return location.rsplit(":", 1)[0] if location.count(":") == 1 else location


def receivers(signal):
    """The functions connected to a Celery signal, as module.name."""
    names = []
    for _key, receiver in signal.receivers:
        target = receiver() if isinstance(receiver, weakref.ref) else receiver  # WeakMethod is a ref too
        target = getattr(target, "__func__", target)
        names.append("%s.%s" % (getattr(target, "__module__", "?"), getattr(target, "__qualname__", repr(target))))
    return names


def main():
    settings_module = sys.argv[1]
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    settings = importlib.import_module(settings_module)
    names = [name for name in dir(settings) if name.isupper() and name not in INBOUND]
    hosts = [{"setting": path, "host": host, "local": is_local(host)} for path, host in settings_hosts(settings, names)]
    databases = {alias: {"engine": database.get("ENGINE", ""), "conn_max_age": database.get("CONN_MAX_AGE", 0),
                         "conn_health_checks": database.get("CONN_HEALTH_CHECKS", False),
                         "options": sorted(database.get("OPTIONS", {}))}
                 for alias, database in getattr(settings, "DATABASES", {}).items()}
    app = project_app()
    conf = {key: app.conf.get(key) for key in CELERY_KEYS}
    hosts += [{"setting": "Celery app " + path, "host": host, "local": is_local(host)}
              for key in ("broker_url", "result_backend") for path, host in hosts_in(key, app.conf.get(key) or "")]
    found = signal_receivers(app) if all(h["local"] for h in hosts) else None
    print(json.dumps({"hosts": hosts, "databases": databases, "celery": conf,
                      "broker_scheme": urlsplit(str(app.conf.get("broker_url") or "")).scheme,
                      "result_backend": str(app.conf.get("result_backend") or ""),
                      "installed_apps": list(getattr(settings, "INSTALLED_APPS", [])),
                      "settings_module_set_to": os.environ.get("DJANGO_SETTINGS_MODULE"), "receivers": found},
                     default=str))


def signal_receivers(app):
    """Set Django up and import the app's task modules (no further, where a host is not local), then list them."""
    import django
    from celery import signals

    django.setup()
    app.loader.import_default_modules()
    return {name: receivers(getattr(signals, name)) for name in SIGNALS}


if __name__ == "__main__":
    main()
