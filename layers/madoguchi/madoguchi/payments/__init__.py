"""Fee payment through Stripe Checkout: checkout sessions, webhooks, refunds, receipts.

Modules: ``models`` (payment record and states), ``repository`` (DynamoDB),
``gateway`` (the Stripe SDK, or the local simulator), ``balance`` (the fee against
what the payments keep), ``checkout`` (workflow tasks), ``settlement`` (state
changes shared by webhooks and reconciliation), ``webhooks``, ``refunds``,
``reconcile`` and ``views`` (status, receipt).
"""
