"""PySpark job: `postmarket scan` of a DICOM archive, split across Spark tasks.

    python3 examples/spark/scan_job.py ARCHIVE --parts PARTS [--partitions N]
        [--master URL] [--postmarket PATH] [--scan-jobs J]
        [--baseline SNAP --inferences INF --audit-out OUT]

1. The driver lists the files under ARCHIVE (os.walk, sorted; hidden entries skipped as
   `postmarket scan` skips them) and groups them by parent folder: one group per series
   folder, which is never split.
2. The folders go to N partitions (`sc.parallelize(folders, N)`). Each task feeds its
   files, one path a line, to `postmarket scan --files-from - -o PARTS/part-<index>.parquet`
   on stdin, so no list of thousands of paths goes through a command line. An empty
   partition writes no part.
3. The driver writes `PARTS/_SUCCESS`. PARTS is then one Parquet table in Spark's layout,
   which `postmarket baseline/audit --headers PARTS/` reads as a whole.
4. With --baseline, --inferences and --audit-out, the driver runs
   `postmarket audit --headers PARTS/ ... --fail-on never` and prints its status.

The binary is --postmarket PATH, else $POSTMARKET_BIN, else `postmarket` on PATH. A bare
name shipped with `spark-submit --files` is found in each task's SparkFiles folder.
The master is local[2] unless --master says otherwise; under spark-submit its --master
decides. PARTS must be on storage that every executor and the driver see (NFS, a shared
volume); postmarket writes the parts there itself, Spark moves no rows.
See examples/spark/README.md.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

from pyspark import SparkFiles
from pyspark.sql import SparkSession


def list_folders(root):
    """[(folder, [file, ...]), ...] under root, folders and files sorted, absolute paths.

    Hidden files and folders (a leading '.') are skipped, as `postmarket scan` skips them
    when it walks a folder itself; every other file is handed over, and postmarket decides
    what is DICOM (a non-DICOM file is a reject, as in a plain scan).
    """
    folders = []
    for folder, dirs, files in os.walk(os.path.abspath(root)):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        names = sorted(f for f in files if not f.startswith("."))
        if names:
            folders.append((folder, [os.path.join(folder, f) for f in names]))
    return folders


def resolve_binary(name):
    """The postmarket to run on this node: a path as given, or a bare name looked up in
    the SparkFiles folder (`spark-submit --files /opt/postmarket`), then on PATH."""
    if os.sep in name:
        return name
    try:
        shipped = SparkFiles.get(name)
        if os.access(shipped, os.X_OK):
            return shipped
    except Exception:  # noqa: BLE001 - no SparkContext here (the driver before start-up)
        pass
    return shutil.which(name) or name


def scan_partition(binary, parts, scan_jobs):
    """The task body: one `postmarket scan` per non-empty partition."""

    def run(index, folders):
        paths = [path for _, files in folders for path in files]
        if not paths:
            return  # an empty partition writes no part
        part = os.path.join(parts, f"part-{index:05d}.parquet")
        cmd = [resolve_binary(binary), "scan", "--files-from", "-", "-o", part, "-q"]
        cmd += ["--jobs", str(scan_jobs)]
        done = subprocess.run(
            cmd, input="\n".join(paths) + "\n", capture_output=True, text=True
        )
        if done.returncode != 0:
            # Fails the task (Spark retries it, then fails the job) with postmarket's words.
            raise RuntimeError(
                f"partition {index}: {' '.join(cmd)} exited {done.returncode}:\n"
                f"{done.stderr.strip()}"
            )
        yield index, len(paths), part

    return run


def audit(binary, parts, args):
    """`postmarket audit` of the parts on the driver; returns the report's status."""
    cmd = [resolve_binary(binary), "audit", "--baseline", args.baseline,
           "--headers", parts + os.sep, "--inferences", args.inferences,
           "-o", args.audit_out, "--fail-on", "never", "-q"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1 = findings; 2 usage, 3+ input errors
        sys.exit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr.strip()}")
    with open(os.path.join(args.audit_out, "report.json"), encoding="utf-8") as f:
        return json.load(f).get("status", "?")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("archive", help="folder of DICOM files (series folders inside)")
    p.add_argument("--parts", required=True, help="output folder of part-*.parquet")
    p.add_argument("--partitions", type=int, default=2, help="Spark partitions (tasks)")
    p.add_argument("--master", help="Spark master URL [default: local[2]]")
    p.add_argument("--postmarket", default=os.environ.get("POSTMARKET_BIN", "postmarket"),
                   help="postmarket binary [default: $POSTMARKET_BIN or postmarket]")
    p.add_argument("--scan-jobs", type=int, default=1,
                   help="reader threads per task (`scan --jobs`) [default: 1]")
    p.add_argument("--baseline", help="snapshot folder: also audit the parts against it")
    p.add_argument("--inferences", help="inferences Parquet (file or folder) for the audit")
    p.add_argument("--audit-out", help="report folder of the audit")
    args = p.parse_args()
    audit_args = [args.baseline, args.inferences, args.audit_out]
    if any(audit_args) and not all(audit_args):
        p.error("--baseline, --inferences and --audit-out go together")

    folders = list_folders(args.archive)
    if not folders:
        sys.exit(f"no files under {args.archive}")
    parts = os.path.abspath(args.parts)
    os.makedirs(parts, exist_ok=True)
    # Like Spark's overwrite mode: parts of an earlier run (perhaps with more partitions)
    # would otherwise be read with this run's.
    for name in os.listdir(parts):
        if name.startswith("part-") or name == "_SUCCESS":
            os.remove(os.path.join(parts, name))

    builder = SparkSession.builder.appName("postmarket-scan")
    if args.master or "PYSPARK_GATEWAY_PORT" not in os.environ:
        # Started as `python3 scan_job.py` (spark-submit sets PYSPARK_GATEWAY_PORT and its
        # own --master): local mode unless --master says otherwise.
        master = args.master or "local[2]"
        builder = builder.master(master)
        if master.startswith("local"):
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # same Python in tasks
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # one machine: loopback
            builder = (builder.config("spark.ui.enabled", "false")
                       .config("spark.ui.showConsoleProgress", "false")
                       .config("spark.driver.bindAddress", "127.0.0.1")
                       .config("spark.driver.host", "127.0.0.1"))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    try:
        # Contiguous runs of sorted folders per partition; with more partitions than
        # folders some are empty, and write nothing.
        written = (spark.sparkContext.parallelize(folders, max(1, args.partitions))
                   .mapPartitionsWithIndex(scan_partition(args.postmarket, parts,
                                                          args.scan_jobs))
                   .collect())
    finally:
        spark.stop()
    open(os.path.join(parts, "_SUCCESS"), "w").close()
    files = sum(count for _, count, _ in written)
    print(f"scanned {files} files in {len(folders)} folders into {len(written)} parts "
          f"under {parts}")

    if args.baseline:
        print(f"audit status: {audit(args.postmarket, parts, args)} "
              f"(report in {args.audit_out})")


if __name__ == "__main__":
    main()
