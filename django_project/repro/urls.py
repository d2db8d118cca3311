"""URL routes of the web side (served by gunicorn when a scenario cell drives web load)."""
from django.urls import path

from ledger import views

urlpatterns = [path("health/", views.health), path("db/", views.touch_db), path("work/<str:kind>/", views.work)]
