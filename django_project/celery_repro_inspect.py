"""Print what a user's project is configured to do, as JSON, without connecting to anything: every host its
settings name, its databases, its Celery app's settings and signal receivers (run in the project's env with its
own DJANGO_SETTINGS_MODULE)."""
import importlib
import json
import os
import sys
import weakref
from urllib.parse import urlsplit

# names of settings that hold where the project is reached or what it links to, not where it connects
INBOUND = {"ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "INTERNAL_IPS", "CORS_ALLOWED_ORIGINS", "CORS_ORIGIN_WHITELIST",
           "STATIC_URL", "MEDIA_URL", "LOGIN_URL", "LOGIN_REDIRECT_URL", "LOGOUT_REDIRECT_URL",
           "SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN", "SECURE_PROXY_SSL_HEADER"}
HOST_KEYS = {"HOST", "host", "hostname", "LOCATION"}
CELERY_KEYS = ("task_acks_late", "task_reject_on_worker_lost", "worker_prefetch_multiplier", "worker_pool",
               "worker_concurrency", "worker_max_tasks_per_child", "worker_max_memory_per_child",
               "task_soft_time_limit", "task_time_limit", "broker_transport_options", "task_ignore_result",
               "broker_connection_retry_on_startup", "task_default_queue")
SIGNALS = ("task_prerun", "task_postrun", "task_failure", "worker_process_init", "worker_init", "worker_ready")


def hosts_in(path, value):
    """(setting path, host) for every host a setting's value names: URLs, HOST/LOCATION keys."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = "%s[%r]" % (path, key)
            if key in HOST_KEYS and isinstance(item, str) and item and "://" not in item:
                yield child, _host_of(item)
            else:
                for found in hosts_in(child, item):
                    yield found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            for found in hosts_in("%s[%d]" % (path, index), item):
                yield found
    elif isinstance(value, str) and "://" in value:
        for part in value.split(";"):  # Celery takes several broker URLs separated by ';'
            try:
                host = urlsplit(part.strip()).hostname
            except ValueError:
                continue
            if host:
                yield path, host


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
    settings_module, app_spec = sys.argv[1], sys.argv[2]
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    settings = importlib.import_module(settings_module)
    names = [name for name in dir(settings) if name.isupper()]
    hosts = [{"setting": path, "host": host} for name in names if name not in INBOUND
             for path, host in hosts_in(name, getattr(settings, name))]
    databases = {alias: {"engine": database.get("ENGINE", ""), "conn_max_age": database.get("CONN_MAX_AGE", 0),
                         "conn_health_checks": database.get("CONN_HEALTH_CHECKS", False),
                         "options": sorted(database.get("OPTIONS", {}))}
                 for alias, database in getattr(settings, "DATABASES", {}).items()}
    module, _, attr = app_spec.partition(":")
    app = getattr(importlib.import_module(module), attr or "app")
    conf = {key: app.conf.get(key) for key in CELERY_KEYS}
    app_hosts = [{"setting": "Celery app " + key, "host": host} for key in ("broker_url", "result_backend")
                 for _path, host in hosts_in(key, str(app.conf.get(key) or ""))]
    hosts += app_hosts
    print(json.dumps({"hosts": hosts, "databases": databases, "celery": conf,
                      "broker_scheme": urlsplit(str(app.conf.get("broker_url") or "")).scheme,
                      "result_backend": str(app.conf.get("result_backend") or ""),
                      "installed_apps": list(getattr(settings, "INSTALLED_APPS", [])),
                      "receivers": signal_receivers(app) if all(is_local(h["host"]) for h in hosts) else None},
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
