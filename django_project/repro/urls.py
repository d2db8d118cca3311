"""URL routes of the web side (served by a WSGI server when a scenario wants web load)."""
from django.urls import path

from ledger import views

urlpatterns = [path("db/", views.touch_db)]
