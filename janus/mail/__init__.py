"""Mail: the outbox table a change writes in its own transaction (outbox.py),
the sender that delivers after commit (sender.py), the SMTP or log transport
(transport.py); JANUS_SMTP_URL is parsed in janus.smtp_url."""
