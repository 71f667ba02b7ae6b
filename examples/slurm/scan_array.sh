#!/usr/bin/env bash
# Slurm job array: `postmarket scan` of one DICOM archive split into 16 shards, one array
# task each, writing one Parquet part per shard into a shared folder.
#
#     ARCHIVE=/archive/2026-11-30 PARTS=/lake/headers/date=2026-11-30 \
#         sbatch --export=ALL examples/slurm/scan_array.sh
#
# Task I (1..16) runs `postmarket scan "$ARCHIVE" --shard I/16`: it walks the whole
# archive but reads only the files whose parent folder (relative to $ARCHIVE) hashes to
# shard I, so a series folder is never split, and the 16 parts together hold every row of
# one plain scan, none twice. Every task must be given the same $ARCHIVE (the hash is of
# the path relative to it, so nodes may mount the archive elsewhere, as long as the
# folder given is the same folder). A shard with no folder writes an empty part and
# exits 0. `--array` and the shard count must agree: change both, or let
# SLURM_ARRAY_TASK_COUNT (set by Slurm for `--array=1-N`) carry N.
#
# The binary is $POSTMARKET_BIN, else `postmarket` on PATH, on every node. $PARTS must be
# on storage that the compute nodes share (the audit reads it as one table). Each task
# reads postmarket.yaml from its working directory: run them all from the same folder
# (or pass --config) so the parts agree, pseudonymisation key included.
#
# Then, once every task has succeeded, audit the parts as one table (`--headers` takes the
# folder: part-*.parquet, with _SUCCESS and .crc files ignored):
#
#     JOBID=$(sbatch --parsable --export=ALL examples/slurm/scan_array.sh)
#     sbatch --dependency=afterok:$JOBID --job-name=postmarket-audit --export=ALL \
#         --wrap "postmarket audit --baseline /srv/postmarket/baselines/edema-net-2.1.0 \
#                   --headers $PARTS/ --inferences /lake/inferences/date=2026-11-30 \
#                   -o /srv/postmarket/reports/2026-11-30 -q"
#
# `afterok` on an array job waits for every task to exit 0; one failed shard leaves the
# audit pending (DependencyNeverSatisfied) instead of auditing a partial night. The audit
# exits 1 when it has findings (Slurm then marks it FAILED, which is the alert).
#
#SBATCH --job-name=postmarket-scan
#SBATCH --array=1-16
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=postmarket-scan-%A_%a.log
set -euo pipefail

: "${ARCHIVE:?set ARCHIVE to the DICOM archive folder}"
: "${PARTS:?set PARTS to the shared output folder of part-*.parquet}"
: "${SLURM_ARRAY_TASK_ID:?run with sbatch (a job array task)}"
POSTMARKET=${POSTMARKET_BIN:-postmarket}
SHARDS=${SLURM_ARRAY_TASK_COUNT:-16}

mkdir -p "$PARTS"
"$POSTMARKET" scan "$ARCHIVE" \
  --shard "${SLURM_ARRAY_TASK_ID}/${SHARDS}" \
  --jobs "${SLURM_CPUS_PER_TASK:-2}" \
  -o "$PARTS/part-$(printf %05d "$SLURM_ARRAY_TASK_ID").parquet" -q
