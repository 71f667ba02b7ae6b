#!/usr/bin/env python3
"""Benchmark of `postmarket scan --dicomweb` against Python's dicomweb-client and the
server's own floor, side by side in one run, on one throw-away local Orthanc.

Usage (from the repository root):

    cargo build --release
    python3 scripts/bench_dicomweb.py [--series 40] [--slices 50] [--runs 5]

Needs Debian's orthanc + orthanc-dicomweb (as .ci/run installs) and
`pip install dicomweb-client` (scripts/requirements.txt). POSTMARKET_BIN overrides the
binary (default target/release/postmarket).

It makes SERIES x SLICES CT instances with `postmarket synth` (serving side: one series
per study), starts Orthanc on loopback on a free port (basic auth, DicomWeb
StudiesMetadata/SeriesMetadata "Full", storage in a temp folder), uploads them with
POST /instances, warms the server with one full pass, then times, RUNS times each,
interleaved, median reported:
  - postmarket scan --dicomweb --jobs 4 -q (the whole process: start-up, QIDO, metadata,
    conversion, Parquet write);
  - dicomweb-client walking studies -> series -> series metadata, one at a time (in-process,
    interpreter start-up excluded);
  - the server floor: the SERIES metadata requests alone (UIDs known beforehand), with
    persistent connections, one at a time and 4 at a time.
"""

import argparse
import base64
import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ORTHANC = "/usr/sbin/Orthanc"
PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
USER, PASSWORD = "bench", "bench-password-not-secret"
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Connection:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path, accept="application/dicom+json"):
        self.conn.request("GET", path, headers={"Authorization": AUTH, "Accept": accept})
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}")
        return body

    def post(self, path, body):
        headers = {"Authorization": AUTH, "Content-Type": "application/dicom"}
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        return response.status


def start_orthanc(workdir):
    port = free_port()
    config = {
        "Name": "postmarket-bench",
        "HttpPort": port,
        "DicomServerEnabled": False,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "StorageDirectory": str(workdir / "db"),
        "IndexDirectory": str(workdir / "db"),
        "Plugins": [PLUGIN],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/",
                     "StudiesMetadata": "Full", "SeriesMetadata": "Full"},
    }
    (workdir / "orthanc.json").write_text(json.dumps(config))
    log = open(workdir / "orthanc.log", "w")
    proc = subprocess.Popen([ORTHANC, str(workdir / "orthanc.json")], stdout=log,
                            stderr=log, stdin=subprocess.DEVNULL)
    deadline = time.time() + 30
    while True:
        try:
            Connection(port).get("/system", accept="application/json")
            return proc, port
        except (OSError, RuntimeError):
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                sys.exit(f"Orthanc did not start; see {workdir / 'orthanc.log'}")
            time.sleep(0.05)


def upload(port, files):
    def send(chunk):
        conn = Connection(port)
        return [conn.post("/instances", Path(f).read_bytes()) for f in chunk]

    chunks = [files[i::4] for i in range(4)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = [s for part in pool.map(send, chunks) for s in part]
    bad = [s for s in statuses if s != 200]
    if bad:
        sys.exit(f"{len(bad)} uploads failed: {sorted(set(bad))}")


def series_paths(port):
    conn = Connection(port)
    studies = json.loads(conn.get("/dicom-web/studies?limit=1000"))
    paths = []
    for study in studies:
        s = study["0020000D"]["Value"][0]
        for series in json.loads(conn.get(f"/dicom-web/studies/{s}/series")):
            se = series["0020000E"]["Value"][0]
            paths.append(f"/dicom-web/studies/{s}/series/{se}/metadata")
    return sorted(paths)


def floor(port, paths, workers):
    def fetch(chunk):
        conn = Connection(port)
        return sum(len(json.loads(conn.get(p))) for p in chunk)

    chunks = [paths[i::workers] for i in range(workers)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        instances = sum(pool.map(fetch, chunks))
    return time.perf_counter() - started, instances


def dicomweb_client_walk(port):
    from dicomweb_client.api import DICOMwebClient
    from requests import Session

    session = Session()
    session.auth = (USER, PASSWORD)
    client = DICOMwebClient(url=f"http://127.0.0.1:{port}/dicom-web", session=session)
    started = time.perf_counter()
    instances = 0
    for study in client.search_for_studies(limit=1000):
        s = study["0020000D"]["Value"][0]
        for series in client.search_for_series(study_instance_uid=s):
            se = series["0020000E"]["Value"][0]
            instances += len(client.retrieve_series_metadata(s, se))
    return time.perf_counter() - started, instances


def postmarket_scan(binary, port, out):
    env = dict(os.environ, POSTMARKET_DICOMWEB_PASSWORD=PASSWORD)
    cmd = [binary, "scan", "-q", "--dicomweb", f"http://127.0.0.1:{port}/dicom-web",
           "--dicomweb-user", USER, "--jobs", "4", "-o", str(out)]
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--slices", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    binary = os.environ.get("POSTMARKET_BIN", str(root / "target/release/postmarket"))
    for needed in (ORTHANC, PLUGIN, binary):
        if not Path(needed).exists():
            sys.exit(f"missing {needed}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-dicomweb-"))
    proc = None
    try:
        subprocess.run([binary, "synth", "-q", "--cases", str(args.series), "--slices",
                        str(args.slices), "-o", str(workdir / "synth")], check=True)
        files = sorted(str(p) for p in (workdir / "synth/serving").rglob("*.dcm"))
        proc, port = start_orthanc(workdir)
        upload(port, files)
        paths = series_paths(port)
        n = len(files)
        print(f"{n} instances in {len(paths)} series; Orthanc "
              f"{subprocess.run([ORTHANC, '--version'], capture_output=True, text=True).stdout.split()[1]}, "
              f"{os.cpu_count()} CPUs; median of {args.runs} runs, interleaved")
        floor(port, paths, 4)  # warm-up: every file read once into the page cache
        times = {k: [] for k in ("postmarket", "dicomweb-client", "floor-1", "floor-4")}
        out = workdir / "h.parquet"
        for _ in range(args.runs):
            times["postmarket"].append(postmarket_scan(binary, port, out))
            t, got = dicomweb_client_walk(port)
            assert got == n, (got, n)
            times["dicomweb-client"].append(t)
            for workers in (1, 4):
                t, got = floor(port, paths, workers)
                assert got == n, (got, n)
                times[f"floor-{workers}"].append(t)
        med = {k: statistics.median(v) for k, v in times.items()}
        labels = {
            "postmarket": "postmarket scan --dicomweb --jobs 4 (whole process)",
            "dicomweb-client": "dicomweb-client 0.61 studies -> series -> metadata",
            "floor-1": f"server floor: {len(paths)} metadata GETs, 1 at a time",
            "floor-4": f"server floor: {len(paths)} metadata GETs, 4 at a time",
        }
        print("| what | median s | min s | max s |\n|---|---|---|---|")
        for key, label in labels.items():
            v = times[key]
            print(f"| {label} | {med[key]:.3f} | {min(v):.3f} | {max(v):.3f} |")
        print(f"postmarket / parallel floor = {med['postmarket'] / med['floor-4']:.2f} "
              f"(target <= 1.25); dicomweb-client / postmarket = "
              f"{med['dicomweb-client'] / med['postmarket']:.2f} (target >= 2)")
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
