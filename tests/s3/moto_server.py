#!/usr/bin/env python3
"""A real S3 API server (moto) on loopback for the S3 tests.

Prints `PORT <n>` on stdout once it listens on 127.0.0.1:<n> (an ephemeral port),
logs one line per HTTP request to stderr (werkzeug's access log: the tests count LIST
requests from it), and exits when its stdin closes, so it never outlives the test
process that started it. Extra environment (e.g. INITIAL_NO_AUTH_ACTION_COUNT=0 to
make it check credentials) is passed by the caller.
"""
import sys

from moto.server import ThreadedMotoServer


def main() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()  # until the parent closes the pipe (or dies)
    server.stop()


if __name__ == "__main__":
    main()
