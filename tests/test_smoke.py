from janus.models import User, utcnow
def test_user_roundtrip(db, backend):
    u = User.create(email="a@x.io", username="a", password_hash="h")
    assert User.get_by_id(u.id).email == "a@x.io"
