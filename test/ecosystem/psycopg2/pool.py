"""A multiprocessing pool (fork start method) over TLS, after the parent has
connected: the workers are forked from a process whose Go runtime runs, so
their connections go through libpq's helper process.

usage: pool.py CONNINFO
Prints "key: value" lines; exits non-zero if anything failed.
"""
import multiprocessing
import os
import sys

import psycopg2

QUERY = "SELECT ssl, version, %s * %s FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def task(args):
    conninfo, i = args
    conn = psycopg2.connect(conninfo)
    try:
        cur = conn.cursor()
        cur.execute(QUERY, (i, i))
        ssl, version, square = cur.fetchone()
        return i, os.getpid(), ssl, version, square, conn.info.ssl_attribute("library")
    finally:
        conn.close()


def main():
    conninfo = sys.argv[1]
    parent = psycopg2.connect(conninfo)
    cur = parent.cursor()
    cur.execute(QUERY, (0, 0))
    print("parent before: ssl %s %s, library %s" % (cur.fetchone()[:2] + (parent.info.ssl_attribute("library"),)))

    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(8) as pool:
        results = pool.map(task, [(conninfo, i) for i in range(32)])
    good = [r for r in results if r[2] is True and r[4] == r[0] * r[0] and r[5] == "Go crypto/tls"]
    print("tasks: %d good of %d, in %d processes" % (len(good), len(results), len({r[1] for r in results})))

    cur.execute(QUERY, (7, 7))
    ssl, version, square = cur.fetchone()
    print("parent after: ssl %s %s %s" % (ssl, version, square))
    parent.close()
    return 0 if len(good) == 32 and ssl and square == 49 else 1


if __name__ == "__main__":
    sys.exit(main())
