"""Spark SQL: add sites' count profiles into one, as `postmarket merge` does.

    python3 examples/spark/merge_profiles.py PROFILE... --out MERGED_DIR [--master URL]

A profile (`postmarket profile`) is a long table of counts; adding sites is one GROUP BY.
Counts suppressed at a site are null and SUM skips them, so a cell stays null only where
every site suppressed it; `suppressed` adds up to the number of sites that did. Profiles of
different baselines must not be added: the query refuses them, as `postmarket merge` does.

The result is a folder of Parquet parts that `postmarket drift --profile MERGED_DIR` reads.
Spark does not carry postmarket's footer manifest over; postmarket rebuilds it from the
`baseline` and `site` columns and checks every cell against the baseline's binning.
The same query runs in DuckDB:

    COPY (SELECT baseline, 'merged' AS site, kind, feature, subgroup, value,
                 SUM(count) AS count, SUM(suppressed) AS suppressed
          FROM read_parquet(['a.parquet', 'b.parquet'])
          GROUP BY baseline, kind, feature, subgroup, value)
    TO 'merged.parquet' (FORMAT parquet);
"""

import argparse
import os
import sys

from pyspark.sql import SparkSession

QUERY = """
SELECT baseline, 'merged' AS site, kind, feature, subgroup, value,
       SUM(count) AS count, SUM(suppressed) AS suppressed
FROM profiles
GROUP BY baseline, kind, feature, subgroup, value
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("profiles", nargs="+", help="profile Parquet files")
    p.add_argument("--out", required=True, help="output folder (overwritten)")
    p.add_argument("--master", default="local[2]", help="Spark master [default: local[2]]")
    args = p.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (SparkSession.builder.appName("postmarket-merge").master(args.master)
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.driver.host", "127.0.0.1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    try:
        spark.read.parquet(*[os.path.abspath(x) for x in args.profiles]) \
            .createOrReplaceTempView("profiles")
        baselines = [r[0] for r in spark.sql("SELECT DISTINCT baseline FROM profiles").collect()]
        if len(baselines) != 1:
            sys.exit(f"profiles of different baselines do not add: {sorted(baselines)}")
        merged = spark.sql(QUERY)
        merged.coalesce(1).write.mode("overwrite").parquet(args.out)
        print(f"merged {len(args.profiles)} profiles: {merged.count()} cells -> {args.out}")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
