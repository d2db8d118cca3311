"""Settings every environment shares; hosts come from the environment, local ones by default."""
import os

SECRET_KEY = "sample-shop-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["shop.example.com"]
INSTALLED_APPS = ["django.contrib.contenttypes", "orders"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shop's data lives on the "shop" alias; "default" is left empty and routers send everything to "shop".
DATABASES = {
    "default": {},
    "shop": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("SHOP_DB_NAME", "shop"),
        "USER": os.environ.get("SHOP_DB_USER", "shop"),
        "PASSWORD": os.environ.get("SHOP_DB_PASSWORD", ""),
        "HOST": os.environ.get("SHOP_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("SHOP_DB_PORT", "5432"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"application_name": "shop"},
    },
}
if os.environ.get("SHOP_DEFAULT_DB") == "1":  # a second database, as sites with sessions or auth elsewhere have
    DATABASES["default"] = {**DATABASES["shop"], "NAME": "shop_default", "CONN_MAX_AGE": 0}
DATABASE_ROUTERS = ["shopsite.routers.ShopRouter"]

# orders.signals closes every connection after each task unless this is off
SHOP_CLOSE_DB_AFTER_TASK = os.environ.get("SHOP_CLOSE_DB_AFTER_TASK", "1") == "1"

SHOP_CELERY_BROKER_URL = os.environ.get("SHOP_BROKER_URL", "redis://127.0.0.1:6379/3")
SHOP_CELERY_TASK_ACKS_LATE = True
SHOP_CELERY_WORKER_PREFETCH_MULTIPLIER = 1
SHOP_CELERY_TASK_IGNORE_RESULT = True
