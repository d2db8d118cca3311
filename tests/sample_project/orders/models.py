"""An order and its confirmation."""
from django.db import models


class Order(models.Model):
    reference = models.CharField(max_length=32, unique=True)
    confirmed_at = models.DateTimeField(null=True)
