#!/usr/bin/env bash
# Installs what the Spark example check (examples/spark/check.sh, tests/it/spark.rs) needs,
# only where it is missing, so a second run does nothing:
#   - a Java 17+ runtime (PySpark 4 needs it), from Debian's openjdk-17-jre-headless;
#   - PySpark 4.x and pyarrow (the check reads the Parquet parts with pyarrow), from PyPI.
# Prints one line per thing installed. Runs as root (no sudo), as CI does.
set -euo pipefail

# The major version of `java -version` ("17.0.15" -> 17, the old "1.8.0_x" -> 8), or 0.
java_major() {
  local line v
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  line=$(java -version 2>&1 | grep -m1 -E 'version "' || true)
  v=$(sed -E 's/.*version "([^"]*)".*/\1/' <<<"$line")
  case "$v" in
    1.*) v=${v#1.} ;;
  esac
  v=${v%%[!0-9]*}
  echo "${v:-0}"
}

if (( $(java_major) < 17 )); then
  echo "install_spark: apt-get install openjdk-17-jre-headless (java 17+ missing)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  # A Java older than 17 earlier on PATH would still win; point at Debian's 17.
  if (( $(java_major) < 17 )) && [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]; then
    echo "install_spark: note: an older java is first on PATH; set JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64" >&2
  fi
fi

if ! python3 -c 'import pyspark' >/dev/null 2>&1 || ! python3 -c 'import pyarrow' >/dev/null 2>&1; then
  echo "install_spark: pip install 'pyspark>=4,<5' pyarrow"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'pyspark>=4,<5' pyarrow
fi
