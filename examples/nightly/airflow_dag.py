"""Airflow DAG: the nightly postmarket audit of one model, one task per night.

The window is Airflow's data interval (half-open, RFC 3339), so a backfill or a rerun of a
night audits exactly that night and supersedes the earlier run in the history — nothing is
deleted, and the report says which run it replaced. `postmarket audit` exits 0 (no alert),
1 (an alert: the task fails, so Airflow's alerting and retries policy applies), 2 (usage or
config) or 3 (input error, e.g. an altered history file).

Secrets stay out of the command line: /srv/postmarket/postmarket.yaml (read from the working
directory) names the pseudonymisation key's file (`pseudonymize.key_file`), not the key.
"""

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator

AUDIT = (
    "postmarket audit"
    " --baseline /srv/postmarket/baselines/edema-net-2.1.0"
    " --headers /lake/headers/date={{ ds }}"          # Parquet parts written by Spark
    " --inferences /lake/inferences/date={{ ds }}"
    " --window {{ data_interval_start.isoformat() }}..{{ data_interval_end.isoformat() }}"
    " --history /srv/postmarket/history/edema-net"
    " -o /srv/postmarket/reports/{{ ds }}"
    " --junit /srv/postmarket/reports/{{ ds }}/junit.xml"
    " --quiet"
)

with DAG(
    dag_id="postmarket_nightly_audit",
    schedule="30 6 * * *",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one audit at a time writes the history (it is locked anyway)
    default_args={"retries": 0},  # an alert is an answer, not a transient failure
    tags=["ml-surveillance"],
) as dag:
    BashOperator(task_id="audit", bash_command=AUDIT, cwd="/srv/postmarket")
