"""Signs requests with botocore's SigV4Auth, the reference the SigV4 unit test
compares ec2seed's signer with.

Run under Debian's interpreter in isolated mode: /usr/bin/python3 -I this.py.
Input (stdin), one JSON object a line: index, method, url, headers ([name, value]
pairs), body, access_key_id, secret_access_key, session_token (string or null),
region, service, epoch_seconds.
Output (stdout): "botocore <version> <module file>", then one JSON object a line
(index, authorization, x_amz_date, security_token_sent), then "count <n>".
Nothing secret is printed: a case that fails names only its index.
"""

import datetime
import json
import sys
import types

import botocore
import botocore.auth
import botocore.awsrequest
import botocore.credentials


class _FixedClock(datetime.datetime):
    """Stands in for datetime.datetime inside botocore.auth: add_auth reads the
    time with utcnow(), which here returns the case's time."""

    current = None

    @classmethod
    def utcnow(cls):
        return cls.current


def _sign(case):
    # The case's time, converted by Python itself (not taken from the C++ side).
    _FixedClock.current = datetime.datetime.fromtimestamp(
        case["epoch_seconds"], tz=datetime.timezone.utc
    ).replace(tzinfo=None)

    request = botocore.awsrequest.AWSRequest(
        method=case["method"],
        url=case["url"],
        data=case["body"].encode("utf-8"),
    )
    for name, value in case["headers"]:
        request.headers[name] = value

    credentials = botocore.credentials.Credentials(
        case["access_key_id"], case["secret_access_key"], case["session_token"]
    )
    signer = botocore.auth.SigV4Auth(credentials, case["service"], case["region"])
    signer.add_auth(request)

    return {
        "index": case["index"],
        "authorization": request.headers["Authorization"],
        "x_amz_date": request.headers["X-Amz-Date"],
        "security_token_sent": "X-Amz-Security-Token" in request.headers,
    }


def main():
    botocore.auth.datetime = types.SimpleNamespace(datetime=_FixedClock)
    print("botocore", botocore.__version__, botocore.__file__, flush=True)

    count = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            print(json.dumps(_sign(case)), flush=True)
        except Exception as error:  # report the index and the kind only
            print(f"case {case.get('index')} failed: {type(error).__name__}", file=sys.stderr)
            return 1
        count += 1

    print("count", count, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
