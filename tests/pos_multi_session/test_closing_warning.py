"""Closing one session of a multi-session warns about the other configs' open sessions (the
point_of_sale hook pos_session_open_tills), on the till's report and the admin's session page."""


def test_hook_pos_session_open_tills_warns_that_the_other_member_is_still_open(admin_client):
    report = admin_client.get("/pos/session/1/report").get_json()
    assert report["open_tills"] == [
        "Bar/00001 (Bar) is still open in multi-session Shop floor: its tills share orders "
        "with this one."]
    assert "Bar/00001 (Bar) is still open" in admin_client.get("/web/pos/sessions/1").get_data(
        as_text=True)
    closed = admin_client.post("/pos/session/2/close", json={"counted_cash": "0"})
    assert closed.status_code == 200, closed.get_data(as_text=True)
    assert admin_client.get("/pos/session/1/report").get_json()["open_tills"] == []
