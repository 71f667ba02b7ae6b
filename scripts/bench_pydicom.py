#!/usr/bin/env python3
"""The pydicom baseline for `scripts/bench_scan.sh`: read every DICOM header under DIR
with `dcmread(path, stop_before_pixels=True)` and pull out the same columns
`postmarket scan` writes, into a list of dicts.

Usage:

    python3 scripts/bench_pydicom.py DIR [--procs N]

Prints one line of JSON: files, rows, seconds (wall clock of walk + read + extract,
interpreter start-up excluded) and files_per_s. With --procs N > 1 the files are split
over a multiprocessing pool and the dicts are sent back to the parent, as postmarket's
rows are gathered for the Parquet writer.

Needs pydicom (pinned in scripts/requirements.txt).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from multiprocessing import Pool

import pydicom

TEXT = {
    "modality": "Modality",
    "manufacturer": "Manufacturer",
    "manufacturer_model_name": "ManufacturerModelName",
    "software_versions": "SoftwareVersions",
    "station_name": "StationName",
    "body_part_examined": "BodyPartExamined",
    "convolution_kernel": "ConvolutionKernel",
    "patient_sex": "PatientSex",
}
NUMBER = {
    "slice_thickness": "SliceThickness",
    "spacing_between_slices": "SpacingBetweenSlices",
    "kvp": "KVP",
    "exposure_mas": "Exposure",
    "magnetic_field_strength": "MagneticFieldStrength",
    "repetition_time": "RepetitionTime",
    "echo_time": "EchoTime",
}
INTEGER = {"rows": "Rows", "columns": "Columns"}
AGE_UNIT = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}


def walk(root: str) -> list[str]:
    """Files under root in sorted order, hidden entries and DICOMDIR skipped."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name != "DICOMDIR":
                out.append(os.path.join(dirpath, name))
    return out


def text(ds, keyword):
    value = ds.get(keyword)
    if value is None:
        return None
    s = "\\".join(map(str, value)) if isinstance(value, pydicom.multival.MultiValue) else str(value)
    s = s.strip(" \0")
    return s or None


def number(ds, keyword):
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    if isinstance(value, pydicom.multival.MultiValue):
        value = value[0]
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def age_years(ds):
    age = text(ds, "PatientAge")
    if age and len(age) == 4 and age[:3].isdigit() and age[3] in AGE_UNIT:
        return int(age[:3]) * AGE_UNIT[age[3]]
    return None


def study_days(ds):
    da = text(ds, "StudyDate")
    if not da or len(da) != 8 or not da.isdigit():
        return None
    try:
        day = datetime.date(int(da[:4]), int(da[4:6]), int(da[6:]))
    except ValueError:
        return None
    return (day - datetime.date(1970, 1, 1)).days


def read_one(path: str):
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:  # noqa: BLE001 - a reject, as in postmarket
        return None
    row = {
        "sop_instance_uid": text(ds, "SOPInstanceUID"),
        "series_instance_uid": text(ds, "SeriesInstanceUID"),
        "study_instance_uid": text(ds, "StudyInstanceUID"),
        "source_path": path,
    }
    if row["sop_instance_uid"] is None or row["series_instance_uid"] is None:
        return None
    for column, keyword in TEXT.items():
        row[column] = text(ds, keyword)
    for column, keyword in NUMBER.items():
        row[column] = number(ds, keyword)
    for column, keyword in INTEGER.items():
        value = ds.get(keyword)
        row[column] = int(value) if value is not None else None
    spacing = ds.get("PixelSpacing")
    row["pixel_spacing_row"] = float(spacing[0]) if spacing else None
    row["pixel_spacing_col"] = float(spacing[1]) if spacing and len(spacing) > 1 else None
    row["patient_age_years"] = age_years(ds)
    row["contrast_agent"] = text(ds, "ContrastBolusAgent") is not None
    row["study_date"] = study_days(ds)
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    row["transfer_syntax_uid"] = str(ts) if ts else "1.2.840.10008.1.2"
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--procs", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    paths = walk(args.dir)
    if args.procs > 1:
        with Pool(args.procs) as pool:
            rows = pool.map(read_one, paths, chunksize=256)
    else:
        rows = [read_one(p) for p in paths]
    rows = [r for r in rows if r is not None]
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "tool": "pydicom",
                "procs": args.procs,
                "files": len(paths),
                "rows": len(rows),
                "seconds": round(seconds, 3),
                "files_per_s": round(len(paths) / seconds, 1),
            }
        )
    )
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
