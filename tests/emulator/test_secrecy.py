"""The emulator's own logs and answers never show an application key it was sent."""

from __future__ import annotations

import base64

import pytest
import requests

from django_b2.emulator import EmulatorServer
from tests.secrets_check import assert_hidden

KEY_ID = "0012345678ab"
KEY = "K00emulator-secret-must-not-leak"
WRONG = "K00wrong-emulator-secret-must-not-leak"


def test_verbose_log_and_answers_hide_keys(capfd: pytest.CaptureFixture[str]) -> None:
    answers: list[str] = []
    with EmulatorServer(application_key_id=KEY_ID, application_key=KEY, verbose=True) as srv:
        url = f"{srv.url}/b2api/v3/b2_authorize_account"
        with requests.Session() as http:
            ok = http.get(url, auth=(KEY_ID, KEY), timeout=10)
            assert ok.status_code == 200
            token = ok.json()["authorizationToken"]
            for auth in [(KEY_ID, WRONG), ("nope", KEY)]:
                refused = http.get(url, auth=auth, timeout=10)
                assert refused.status_code == 401
                answers.append(refused.text)
            garbled = "Basic " + base64.b64encode(KEY.encode()).decode()  # no "id:" part
            answers.append(http.get(url, headers={"Authorization": garbled}, timeout=10).text)
            listed = http.post(
                f"{srv.url}/b2api/v3/b2_list_buckets",
                headers={"Authorization": token},
                json={"accountId": ok.json()["accountId"]},
                timeout=10,
            )
            assert listed.status_code == 200
            answers += [ok.text, listed.text, repr(srv), repr(srv.counters())]
    logged = capfd.readouterr().err
    assert "b2_authorize_account" in logged  # verbose logging was on
    assert_hidden(KEY, logged, *answers, key_id=KEY_ID)
    assert_hidden(WRONG, logged, *answers, key_id=KEY_ID)
