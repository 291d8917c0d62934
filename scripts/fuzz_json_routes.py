"""Send hostile JSON to every JSON route of a live `core serve` and count the answers.

    .venv/bin/python scripts/fuzz_json_routes.py --url http://127.0.0.1:8069 \
        --token "$(core token 1)" --dbname demo --examples 300

Prints the count of each status class (and each 5xx route), the answers that were not JSON or
not `{"error": {"code", "message"}}` on a 4xx, and exits 1 when any 5xx or non-JSON answer came.
The cases are those of tests/hostile_json.py: fixed ones (NaN, 10^400, 1,000-deep nesting, lone
surrogates, NUL bytes...) then hypothesis-generated bodies with one bad value somewhere.
"""
import argparse
import collections
import sys
from pathlib import Path

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import hostile_json as hj  # noqa: E402


class Tally:
    def __init__(self, base_url, headers):
        self.base_url, self.headers = base_url, headers
        self.classes = collections.Counter()
        self.server_errors = collections.Counter()
        self.bad_answers = []
        self.http = requests.Session()

    def send(self, method, path, body=None):
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = body.encode("utf-8", "surrogatepass")
        try:
            response = self.http.request(method, self.base_url + path, data=body,
                                         headers=headers, timeout=15)
        except requests.RequestException as exc:
            self.classes["no answer"] += 1
            self.bad_answers.append((method, path, repr(exc)[:200]))
            return
        self.classes[f"{response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            self.server_errors[f"{response.status_code} {method} {path}"] += 1
        try:
            answer = response.json()
        except ValueError:
            self.bad_answers.append((method, path, f"{response.status_code} not JSON: "
                                                   f"{response.text[:120]!r}"))
            return
        if response.status_code >= 400 and not (
                isinstance(answer, dict) and isinstance(answer.get("error"), dict)
                and {"code", "message"} <= set(answer["error"])):
            self.bad_answers.append((method, path, f"{response.status_code} {answer!r:.120}"))

    def report(self):
        total = sum(self.classes.values())
        print(f"{total} requests: " + ", ".join(f"{k} {v}" for k, v in sorted(self.classes.items())))
        for route, count in self.server_errors.most_common():
            print(f"  {count:5d} x {route}")
        for method, path, what in self.bad_answers[:20]:
            print(f"  bad answer {method} {path}: {what}")
        return 1 if self.server_errors or self.bad_answers else 0


def fixed_cases(tally, dbname):
    for method, path, body in hj.json_routes(dbname):
        for raw in [hj.deep_array(), hj.deep_object(), *hj.NON_FINITE_TOKENS,
                    *map(str, hj.HUGE_INTEGERS), *map(hj.text_of, hj.STRANGE_STRINGS)]:
            for place in list(hj.paths(body))[:40]:
                tally.send(method, path, hj.json_text(hj.with_text_at(body, place, raw)))
    for method, template in hj.PATH_ID_ROUTES:
        for number in hj.HUGE_INTEGERS:
            tally.send(method, template.format(number), "{}" if method == "POST" else None)


def generated_cases(tally, dbname, examples):
    routes = hj.json_routes(dbname)

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def send_one(data):
        method, path, body = data.draw(st.sampled_from(routes))
        tally.send(method, path, data.draw(hj.hostile_bodies(body)))

    send_one()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--token", help="a POS token (core token CONFIG_ID)")
    parser.add_argument("--dbname", required=True, help="the instance's db_name (core info)")
    parser.add_argument("--examples", type=int, default=300)
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    tally = Tally(args.url.rstrip("/"), headers)
    fixed_cases(tally, args.dbname)
    generated_cases(tally, args.dbname, args.examples)
    sys.exit(tally.report())


if __name__ == "__main__":
    main()
