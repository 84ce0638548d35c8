"""The login's brute-force guard (issue 16): the wait that grows per client, on its own with an
injected clock, then through the HTTP routes (POST /login, Bearer keys) with the same clock."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from rag_council_app import build_server
from rag_council_app.auth import LoginGuard

from rag_council import HashEmbedder, Settings, build_index, open_index


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_free_attempts_then_a_wait_that_doubles_up_to_the_cap():
    clock = Clock()
    guard = LoginGuard(free=3, delay_s=1.0, max_delay_s=5.0, clock=clock)
    assert [guard.failed("a") for _ in range(2)] == [0.0, 0.0]
    assert guard.wait("a") == 0.0
    waits = []
    for _ in range(5):
        waits.append(guard.failed("a"))
        assert guard.wait("a") == waits[-1]
        clock.now += 0.25
        assert guard.wait("a") == waits[-1] - 0.25  # it runs down with the clock
        clock.now += waits[-1]
        assert guard.wait("a") == 0.0
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_success_resets_and_other_clients_are_unaffected():
    clock = Clock()
    guard = LoginGuard(free=2, delay_s=10.0, clock=clock)
    guard.failed("a"), guard.failed("a")
    assert guard.wait("a") == 10.0 and guard.wait("b") == 0.0
    assert guard.failed("b") == 0.0  # b's first failure costs b nothing
    clock.now += 10
    guard.succeeded("a")
    assert guard.wait("a") == 0.0 and guard.failed("a") == 0.0  # counting starts again


def test_memory_is_bounded_and_old_entries_expire():
    clock = Clock()
    guard = LoginGuard(free=1, delay_s=1.0, max_delay_s=60.0, forget_s=600.0, max_clients=100, clock=clock)
    for i in range(1000):
        guard.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(guard) == 100  # the longest idle went first
    assert guard.wait("10.0.3.231") > 0 and guard.wait("10.0.0.0") == 0.0
    clock.now += 601
    guard.failed("192.0.2.1")  # any failure sweeps what is older than forget_s
    assert len(guard) == 1


def test_the_default_forgets_no_sooner_than_an_hour():
    assert LoginGuard(max_delay_s=300).forget_s == 3600
    assert LoginGuard(max_delay_s=7200).forget_s == 14400


@pytest.fixture
def engine(settings: Settings, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "minutes.txt").write_text("Minutes.\n\nThe committee approved the budget of £4.2 million.")
    build_index([folder], settings, embedder=HashEmbedder())
    return open_index(None, settings, embedder=HashEmbedder())


def test_the_issues_100_wrong_passwords_then_the_right_one(engine):
    clock = Clock()
    guard = LoginGuard.from_settings(engine.settings.app, clock=clock)  # the defaults: 5, 1 s, 300 s
    server = build_server(engine, auth=("officer", "s3cret"), guard=guard)
    client = TestClient(server, client=("203.0.113.7", 50000))
    statuses = []
    for i in range(100):
        r = client.post("/login", data={"username": "officer", "password": f"guess-{i}"})
        statuses.append(r.status_code)
    assert statuses == [401] * 4 + [429] * 96  # the fifth failure starts the wait
    right = client.post("/login", data={"username": "officer", "password": "s3cret"}, follow_redirects=False)
    assert right.status_code == 429 and right.headers["retry-after"] == "1"
    assert "Too many failed logins from your address: try again in 1 second" in right.text
    assert "rag_council_session" not in right.cookies
    clock.now += 1
    right = client.post("/login", data={"username": "officer", "password": "s3cret"}, follow_redirects=False)
    assert right.status_code == 303 and "rag_council_session" in right.cookies
    doc_id = engine.index.records()[0].doc_id
    assert client.get(f"/source/{doc_id}").status_code == 200
    assert len(guard) == 0  # the success forgot the failures


def test_wrong_bearer_keys_are_slowed_too_and_a_session_still_works(engine):
    clock = Clock()
    guard = LoginGuard(free=2, delay_s=4.0, clock=clock)
    server = build_server(engine, auth=_creds(), guard=guard)
    office = TestClient(server, client=("198.51.100.1", 1))
    assert office.post("/login", data={"username": "officer", "password": "s3cret"}).status_code == 200
    attacker = TestClient(server, client=("198.51.100.1", 2))  # the same address, no session
    bad = {"Authorization": "Bearer nope"}
    assert attacker.get("/v1/documents", headers=bad).status_code == 401
    r = attacker.get("/v1/documents", headers=bad)
    assert r.status_code == 429 and r.headers["retry-after"] == "4"
    assert r.json()["error"]["type"] == "rate_limited" and "4 seconds" in r.json()["error"]["message"]
    good = {"Authorization": "Bearer k3y"}
    assert attacker.get("/v1/documents", headers=good).status_code == 429  # not even checked
    assert office.get("/v1/documents").status_code == 200  # a signed session is not a guess
    other = TestClient(server, client=("192.0.2.9", 3))
    assert other.get("/v1/documents", headers=good).status_code == 200
    clock.now += 4
    assert attacker.get("/v1/documents", headers=good).status_code == 200
    assert attacker.get("/v1/documents", headers=bad).status_code == 401  # the count was reset


def _creds():
    from rag_council_app.auth import Credentials

    return Credentials("officer", "s3cret", api_key="k3y")


def test_the_settings_shape_the_guard():
    s = Settings(app={"login_free_attempts": 2, "login_delay_s": 0.5, "login_max_delay_s": 8})
    guard = LoginGuard.from_settings(s.app)
    assert (guard.free, guard.delay_s, guard.max_delay_s) == (2, 0.5, 8)
    with pytest.raises(ValueError):
        Settings(app={"login_free_attempts": 0})
