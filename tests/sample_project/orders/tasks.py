"""Confirm an order: the shop's own task."""
from celery import shared_task
from django.utils import timezone

from orders.models import Order


@shared_task
def confirm_order(reference):
    """Create the order if it is new and mark it confirmed."""
    order, _ = Order.objects.get_or_create(reference=reference)
    order.confirmed_at = timezone.now()
    order.save(update_fields=["confirmed_at"])
    return order.pk
