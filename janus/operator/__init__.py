"""``python -m janus.operator`` (also ``janus-admin``): the operator's commands.

They act as a system actor (janus.operator.session): the same domain services
the routes call, the same audit and security rows, with no user behind them.
"""
