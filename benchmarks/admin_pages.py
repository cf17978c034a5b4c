"""(d) The admin's patient list: one page at 100 and at 100,000 subscribers, as a ratio.

Keyset pagination (`id < cursor ORDER BY id DESC LIMIT 51`) reads one page of rows
wherever the page is, so the first page, a page deep in the list and a status filter cost
the same at both sizes. A name search (`LIKE '%text%'`) reads every row and is shown for
comparison. Requests go through the real app (login, view, template) via the test client.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from flask import Flask
from flask.testing import FlaskClient

from benchmarks.common import add_course, databases, fresh_app, table
from benchmarks.idle import grow
from service.extensions import db
from service.staff import accounts

STEPS = (100, 100_000)
PASSWORD = "benchmark passphrase"


def logged_in(app: Flask) -> FlaskClient:
    """A client logged in as a new editor, through the login form."""
    with app.app_context():
        accounts.create(db.session(), None, "bench@clinic.example", PASSWORD, "editor")
        db.session.commit()
    client = app.test_client()
    page = client.get("/admin/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post("/admin/login", data={
        "csrf_token": token.group(1), "email": "bench@clinic.example", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def page_ms(client: FlaskClient, path: str, repeats: int) -> float:
    """The median wall time of GET `path`, which must list a full page."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200 and "@example.com" in response.text, path
    return statistics.median(times)


def paths(count: int) -> dict[str, str]:
    return {
        "first page": "/admin/subscribers",
        "middle page": f"/admin/subscribers?before={count // 2}",
        "status filter": "/admin/subscribers?status=active",
        "name search (scans)": "/admin/subscribers?q=p7",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    rows = []
    for name, url in databases():
        with fresh_app(url) as app:
            add_course(app)
            client = logged_in(app)
            done, baseline = 0, dict[str, float]()
            for step in STEPS:
                grow(app, done + 1, step + 1)
                done = step
                for label, path in paths(step).items():
                    page_ms(client, path, 3)  # warm the caches first
                    ms = page_ms(client, path, args.repeats)
                    baseline.setdefault(label, ms)
                    rows.append([name, f"{step:,}", label, f"{ms:.1f}",
                                 f"{ms / baseline[label]:.2f}"])
    print("(d) admin patient list: median ms per page; ratio to 100 subscribers, same run")
    print(table(["database", "subscribers", "page", "ms", "ratio"], rows))


if __name__ == "__main__":
    main()
