"""``python -m janus.admin`` (also ``janus-admin``): the operator's commands.

They act as a system actor (janus.admin.session): the same domain services
the routes call, the same audit and security rows, with no user behind them.
"""
