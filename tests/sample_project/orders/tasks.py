"""The shop's own tasks: confirm an order, charge it."""
from celery import shared_task
from django.utils import timezone

from orders.models import Order

INVOICE_BYTES = 256 * 1024


class PaymentDeclined(Exception):
    """The payment gateway said no."""


@shared_task
def confirm_order(reference):
    """Create the order if it is new and mark it confirmed."""
    order, _ = Order.objects.get_or_create(reference=reference)
    order.confirmed_at = timezone.now()
    order.save(update_fields=["confirmed_at"])
    return order.pk


def render_invoice(order, amount_cents):
    """The invoice as the gateway wants it attached (a quarter of a megabyte in memory)."""
    header = ("%s %d " % (order.reference, amount_cents)).encode()
    return header + b" " * (INVOICE_BYTES - len(header))


@shared_task
def charge_order(reference, amount_cents):
    """Render the invoice, then charge: the sandbox gateway declines every payment."""
    order, _ = Order.objects.get_or_create(reference=reference)
    invoice = render_invoice(order, amount_cents)
    raise PaymentDeclined("card declined for %s (%d cents, invoice of %d bytes)" % (reference, amount_cents,
                                                                                   len(invoice)))
