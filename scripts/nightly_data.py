"""An independent generator of realistic nightly CT/MR data for calibration (scripts/calibrate.py).

It writes `headers.parquet` and `inferences.parquet` with exactly the schema `postmarket scan`
and `postmarket logs` write (src/table/schema.rs), but every value is drawn here, in numpy,
from a population of its own — not `postmarket synth` — so that the decision rules are judged
on data the tool did not generate. One row per case (one instance per series, one series per
study); unit = series, as the default config.

The population (shares are of all cases unless said otherwise):

- 7 scanners: 5 CT (88%) and 2 MR (12%), shares 34/24/12/10/8 and 8/4%. Several scanners
  have two stations or two software versions, so model, software and station are not one to
  one (as at a real site). Kernels per vendor with skewed shares; MR has no kernel, kVp or
  mAs; CT has no field strength, TR or TE.
- CT slice thickness 0.625/1/1.25/2.5/3/5 mm with shares 24/28/16/15/12/5% of CT; MR
  3/4/5 mm (50/35/15%). Thick slices (>= 2.5 mm, the default subgroup) are ~40% of cases.
  Spacing between slices: GE CT writes it (= thickness, or half of it for overlapping
  reconstructions), other CT vendors leave it empty; MR always (thickness + 10 or 20% gap).
- kVp 80/100/120/140 (4/26/60/10%, head 120 kVp); mAs an integer from a lognormal whose
  median depends on the body part and falls with kVp; pixel spacing = field of view / matrix
  from a small set of FOVs (rounded to 6 decimals as DS); matrix 512 on CT, 256-512 on MR.
- Age in whole years: 3% children (uniform 1-17), adults normal(61, 16) clipped to 18-97,
  floored after any shift. Sex F/M 50/50 with 0.5% "O". Body part missing in 4% of CT.
  Transfer syntax depends on the scanner (explicit VR LE, JPEG 2000 lossless, implicit).
- Truth and model: latent severity z ~ N(0.018 (age - 61) + 0.15 [thick CT], 1), label =
  z > 0.85 (prevalence 21%, 23% on thick slices). The model's logit is
  0.6 + 3.0 (z - 0.85) + 0.15 [contrast] + e, e ~ N(0, 1.3 + 0.3 [CT with mAs < 80]);
  score = sigmoid(logit) rounded to 6 decimals, prediction = score >= 0.5. That gives
  sensitivity 0.91, specificity 0.87, AUROC 0.96, PPV 0.66 (the same on thick and thin
  slices). Baseline: every case labelled; serving: 90% labelled at random (labels arrive
  late). One model and version, the baseline's.
- Timestamps: the baseline spreads over 90 days of validation data; a serving window is one
  night (20:00-06:00 UTC), rows written in time order.

Scenario knobs (the `Shift` fields) change the population the serving window is drawn from:
`age_shift` (years added before flooring), `female_share` among F/M, `ct_5mm_share` (the
share of CT cases at 5 mm; other CT thicknesses are scaled down), `new_scanner_share` (a
CT scanner never seen in the baseline, with Siemens kernels) and `thick_miss` (the share of
positive cases on slices >= 2.5 mm whose lesion the model cannot see: scored as a negative
case would be; 0.67 takes the subgroup's sensitivity from 0.91 to 0.40 and leaves its
specificity alone).
"""

import dataclasses
import datetime
import os

import numpy as np
from scipy.stats import norm
import pyarrow as pa
import pyarrow.parquet as pq

# --------------------------------------------------------------------------- schema
# As src/table/schema.rs (headers_schema(&[]) and inferences_schema()).

HEADERS_SCHEMA = pa.schema([
    pa.field("sop_instance_uid", pa.string(), nullable=False),
    pa.field("series_instance_uid", pa.string(), nullable=False),
    pa.field("study_instance_uid", pa.string()),
    pa.field("source_path", pa.string(), nullable=False),
    pa.field("modality", pa.string()),
    pa.field("manufacturer", pa.string()),
    pa.field("manufacturer_model_name", pa.string()),
    pa.field("software_versions", pa.string()),
    pa.field("station_name", pa.string()),
    pa.field("body_part_examined", pa.string()),
    pa.field("convolution_kernel", pa.string()),
    pa.field("patient_sex", pa.string()),
    pa.field("patient_age_years", pa.float64()),
    pa.field("slice_thickness", pa.float64()),
    pa.field("spacing_between_slices", pa.float64()),
    pa.field("pixel_spacing_row", pa.float64()),
    pa.field("pixel_spacing_col", pa.float64()),
    pa.field("rows", pa.int32()),
    pa.field("columns", pa.int32()),
    pa.field("kvp", pa.float64()),
    pa.field("exposure_mas", pa.float64()),
    pa.field("contrast_agent", pa.bool_()),
    pa.field("magnetic_field_strength", pa.float64()),
    pa.field("repetition_time", pa.float64()),
    pa.field("echo_time", pa.float64()),
    pa.field("study_date", pa.date32()),
    pa.field("transfer_syntax_uid", pa.string()),
])

INFERENCES_SCHEMA = pa.schema([
    pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("key", pa.string(), nullable=False),
    pa.field("model", pa.string(), nullable=False),
    pa.field("model_version", pa.string(), nullable=False),
    pa.field("score", pa.float64(), nullable=False),
    pa.field("prediction", pa.int8(), nullable=False),
    pa.field("label", pa.int8()),
    pa.field("label_version", pa.string()),
    pa.field("latency_ms", pa.float64()),
])

# --------------------------------------------------------------------------- population

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"


@dataclasses.dataclass(frozen=True)
class Scanner:
    modality: str
    manufacturer: str
    model: str
    software: tuple          # ((version, share), ...)
    stations: tuple          # ((station, share), ...)
    kernels: tuple           # ((kernel, share), ...); () on MR
    share: float
    field_strength: float = None
    writes_spacing: bool = False
    transfer_syntax: tuple = ((EXPLICIT_LE, 1.0),)


SCANNERS = (
    Scanner("CT", "GE MEDICAL SYSTEMS", "Revolution CT",
            (("revo_ct_22.00", 0.7), ("revo_ct_23.10", 0.3)),
            (("CTREV1", 0.55), ("CTREV2", 0.45)),
            (("STANDARD", 0.55), ("LUNG", 0.25), ("BONE", 0.12), ("SOFT", 0.08)),
            0.34, writes_spacing=True,
            transfer_syntax=((EXPLICIT_LE, 0.8), (J2K_LOSSLESS, 0.2))),
    Scanner("CT", "SIEMENS", "SOMATOM Definition Edge", (("syngo CT VA48A", 1.0),),
            (("CTEDGE1", 1.0),),
            (("Br40d", 0.50), ("Br59d", 0.20), ("Bl57d", 0.15), ("Hr38h", 0.15)), 0.24,
            transfer_syntax=((EXPLICIT_LE, 0.6), (J2K_LOSSLESS, 0.4))),
    Scanner("CT", "SIEMENS", "SOMATOM Force", (("syngo CT VB20A", 1.0),), (("CTFORCE", 1.0),),
            (("Br40d", 0.40), ("Bv40d", 0.30), ("Br64d", 0.30)), 0.12,
            transfer_syntax=((J2K_LOSSLESS, 1.0),)),
    Scanner("CT", "CANON_MEC", "Aquilion ONE", (("V10.8", 0.85), ("V10.10", 0.15)),
            (("AQONE1", 1.0),), (("FC08", 0.40), ("FC13", 0.30), ("FC52", 0.30)), 0.10,
            transfer_syntax=((IMPLICIT_LE, 0.7), (EXPLICIT_LE, 0.3))),
    Scanner("CT", "Philips", "Ingenuity CT", (("4.1.5", 1.0),), (("INGEN-1", 1.0),),
            (("B", 0.50), ("C", 0.30), ("YB", 0.20)), 0.08),
    Scanner("MR", "SIEMENS", "MAGNETOM Aera", (("syngo MR E11", 1.0),),
            (("MRAERA", 1.0),), (), 0.08, field_strength=1.5),
    Scanner("MR", "GE MEDICAL SYSTEMS", "SIGNA Premier", (("29.1", 1.0),), (("MRPREM", 1.0),),
            (), 0.04, field_strength=3.0, transfer_syntax=((EXPLICIT_LE, 0.5), (J2K_LOSSLESS, 0.5))),
)

# A CT scanner the baseline never saw (same vendor kernels as the other Siemens CTs).
NEW_SCANNER = Scanner("CT", "SIEMENS", "SOMATOM X.cite", (("syngo CT VA62A", 1.0),),
                      (("CTXCITE", 1.0),), (("Br40d", 0.6), ("Br59d", 0.4)), 0.0,
                      transfer_syntax=((J2K_LOSSLESS, 1.0),))

CT_THICKNESS = (0.625, 1.0, 1.25, 2.5, 3.0, 5.0)
CT_THICKNESS_SHARE = (0.24, 0.28, 0.16, 0.15, 0.12, 0.05)
MR_THICKNESS = (3.0, 4.0, 5.0)
MR_THICKNESS_SHARE = (0.50, 0.35, 0.15)
CT_BODY = (("CHEST", 0.45), ("ABDOMEN", 0.30), ("HEAD", 0.17), (None, 0.04), ("PELVIS", 0.04))
MR_BODY = (("HEAD", 0.55), ("LSPINE", 0.25), ("KNEE", 0.20))
KVP = ((80.0, 0.04), (100.0, 0.26), (120.0, 0.60), (140.0, 0.10))
MAS_MEDIAN = {"HEAD": 300.0, "CHEST": 110.0, "ABDOMEN": 190.0, "PELVIS": 200.0, None: 170.0}
CT_FOV_BODY = ((320.0, 0.15), (350.0, 0.25), (380.0, 0.25), (400.0, 0.15), (450.0, 0.12),
               (500.0, 0.08))
CT_FOV_HEAD = ((220.0, 0.5), (250.0, 0.5))
MR_MATRIX = ((256, 0.30), (320, 0.35), (384, 0.20), (512, 0.15))
MR_FOV = ((220.0, 0.4), (240.0, 0.4), (260.0, 0.2))
MR_SEQUENCES = ((550.0, 12.0, 0.35), (4000.0, 95.0, 0.40), (9000.0, 120.0, 0.25))

MODEL = "pe-detect"
MODEL_VERSION = "3.2.0"
LABEL_VERSION = "pe-v1"
LABEL_CUT = 0.85
SERVING_LABELLED = 0.90
BASELINE_START = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
BASELINE_DAYS = 90
NIGHT_START = datetime.datetime(2026, 11, 30, 20, 0, tzinfo=datetime.timezone.utc)
NIGHT_HOURS = 10


@dataclasses.dataclass(frozen=True)
class Shift:
    """How a serving population differs from the baseline's (defaults: not at all)."""
    age_shift: float = 0.0
    female_share: float = 0.5
    ct_5mm_share: float = CT_THICKNESS_SHARE[-1]
    new_scanner_share: float = 0.0
    thick_miss: float = 0.0


NO_SHIFT = Shift()


def pick(rng, options, n):
    """n draws from ((value, share), ...) as an object array of values."""
    values = np.empty(len(options), dtype=object)
    values[:] = [v for v, _ in options]
    p = np.array([s for _, s in options], dtype=float)
    return values[rng.choice(len(options), size=n, p=p / p.sum())]


def uids(prefix, n):
    return [f"{prefix}.{i + 1}" for i in range(n)]


def generate(n, seed, shift=NO_SHIFT, serving=True, night=0):
    """(headers, inferences) as pyarrow tables for n cases; `seed` is an int or a tuple of
    ints (e.g. (part, n, index)), which also makes the UIDs unique across windows. A serving
    window is the night `night` days after NIGHT_START."""
    seed = tuple(seed) if isinstance(seed, (tuple, list)) else (seed,)
    rng = np.random.default_rng([int(x) for x in seed])
    scanners = list(SCANNERS)
    shares = np.array([s.share for s in scanners])
    if shift.new_scanner_share > 0:
        shares = np.append(shares * (1 - shift.new_scanner_share), shift.new_scanner_share)
        scanners.append(NEW_SCANNER)
    which = rng.choice(len(scanners), size=n, p=shares / shares.sum())

    obj = lambda: np.full(n, None, dtype=object)
    nan = lambda: np.full(n, np.nan)
    modality, manufacturer, model_name, software, station, kernel, tsyntax = (obj() for _ in range(7))
    field = nan()
    writes_spacing = np.zeros(n, dtype=bool)
    for k, sc in enumerate(scanners):
        m = which == k
        c = int(m.sum())
        if c == 0:
            continue
        modality[m], manufacturer[m], model_name[m] = sc.modality, sc.manufacturer, sc.model
        software[m] = pick(rng, sc.software, c)
        station[m] = pick(rng, sc.stations, c)
        if sc.kernels:
            kernel[m] = pick(rng, sc.kernels, c)
        tsyntax[m] = pick(rng, sc.transfer_syntax, c)
        if sc.field_strength is not None:
            field[m] = sc.field_strength
        writes_spacing[m] = sc.writes_spacing
    ct = modality == "CT"
    mr = ~ct
    n_ct, n_mr = int(ct.sum()), int(mr.sum())

    # Patients.
    child = rng.random(n) < 0.03
    age = np.where(child, rng.uniform(1, 18, n), np.clip(rng.normal(61, 16, n), 18, 97.99))
    age = np.clip(np.floor(age + shift.age_shift), 0, 100)
    u = rng.random(n)
    sex = np.where(u < 0.005, "O", np.where(u < 0.005 + 0.995 * shift.female_share, "F", "M"))
    sex = sex.astype(object)

    # Acquisition.
    body = obj()
    body[ct] = pick(rng, CT_BODY, n_ct)
    body[mr] = pick(rng, MR_BODY, n_mr)
    ct_share = np.array(CT_THICKNESS_SHARE)
    ct_share = np.append(ct_share[:-1] * (1 - shift.ct_5mm_share) / ct_share[:-1].sum(),
                         shift.ct_5mm_share)
    thickness = nan()
    thickness[ct] = np.array(CT_THICKNESS)[rng.choice(6, size=n_ct, p=ct_share)]
    thickness[mr] = np.array(MR_THICKNESS)[rng.choice(3, size=n_mr, p=MR_THICKNESS_SHARE)]
    spacing = nan()
    overlap = rng.random(n) < 0.25
    ge_ct = ct & writes_spacing
    spacing[ge_ct] = np.where(overlap[ge_ct], thickness[ge_ct] / 2, thickness[ge_ct])
    gap = np.where(rng.random(n) < 0.5, 1.1, 1.2)
    spacing[mr] = np.round(thickness[mr] * gap[mr], 1)

    kvp = nan()
    kvp[ct] = pick(rng, KVP, n_ct).astype(float)
    head_ct = ct & (body == "HEAD")
    kvp[head_ct] = 120.0
    mas = nan()
    median = np.array([MAS_MEDIAN[b] if b in MAS_MEDIAN else 170.0 for b in body[ct]])
    mas[ct] = np.maximum(10, np.round(median * (120.0 / kvp[ct]) ** 2.5 *
                                      np.exp(rng.normal(0, 0.3, n_ct))))

    rows = np.full(n, 512, dtype=np.int32)
    cols = np.full(n, 512, dtype=np.int32)
    matrix = pick(rng, MR_MATRIX, n_mr).astype(np.int32)
    rows[mr] = matrix
    cols[mr] = matrix
    nonsquare = mr & (rng.random(n) < 0.2)
    rows[nonsquare] = (np.round(cols[nonsquare] * 0.8 / 2) * 2).astype(np.int32)
    fov = nan()
    fov[ct] = pick(rng, CT_FOV_BODY, n_ct).astype(float)
    fov[head_ct] = pick(rng, CT_FOV_HEAD, int(head_ct.sum())).astype(float)
    fov[mr] = pick(rng, MR_FOV, n_mr).astype(float)
    pixel = np.round(fov / cols, 6)

    tr, te = nan(), nan()
    seq = rng.choice(3, size=n_mr, p=[s[2] for s in MR_SEQUENCES])
    tr[mr] = np.array([s[0] for s in MR_SEQUENCES])[seq]
    te[mr] = np.array([s[1] for s in MR_SEQUENCES])[seq]
    contrast = rng.random(n) < np.where(ct, 0.45, 0.25)

    # Truth and model.
    thick = thickness >= 2.5
    mu = 0.018 * (age - 61) + 0.15 * (thick & ct)
    z = rng.normal(mu, 1.0)
    label = z > LABEL_CUT
    # A lesion the model cannot see on thick slices is scored as a negative case would be:
    # its latent value is redrawn from the negatives' distribution (z below the cut).
    hidden = label & thick & (rng.random(n) < shift.thick_miss)
    below = norm.cdf(LABEL_CUT - mu[hidden])
    seen = z.copy()
    seen[hidden] = mu[hidden] + norm.ppf(rng.random(int(hidden.sum())) * below)
    noise = 1.3 + 0.3 * (ct & (mas < 80))
    logit = 0.6 + 3.0 * (seen - LABEL_CUT) + 0.15 * contrast + rng.normal(0, 1, n) * noise
    score = np.round(1 / (1 + np.exp(-logit)), 6)
    prediction = (score >= 0.5).astype(np.int8)
    labelled = np.ones(n, dtype=bool) if not serving else rng.random(n) < SERVING_LABELLED
    latency = np.round(np.exp(rng.normal(np.log(180), 0.2, n)), 1)

    # Time: a 90-day validation period for the baseline, one night for a serving window.
    if serving:
        offsets = np.sort(rng.uniform(0, NIGHT_HOURS * 3600e6, n)).astype(np.int64)
        start = NIGHT_START + datetime.timedelta(days=night)
    else:
        offsets = np.sort(rng.uniform(0, BASELINE_DAYS * 86400e6, n)).astype(np.int64)
        start = BASELINE_START
    start_us = int(start.timestamp() * 1e6)
    ts = start_us + offsets
    # The study was acquired up to an hour before its inference.
    acquired = ts - rng.uniform(60e6, 3600e6, n).astype(np.int64)
    study_date = (acquired // 86_400_000_000).astype(np.int32)

    root = "1.2.826.0.1.3680043.10.543." + ".".join(str(int(x)) for x in seed)
    series = uids(root + ".2", n)
    headers = pa.table([
        pa.array(uids(root + ".3", n), pa.string()),
        pa.array(series, pa.string()),
        pa.array(uids(root + ".1", n), pa.string()),
        pa.array([f"night/{s[-12:]}/IM0001.dcm" for s in series], pa.string()),
        pa.array(modality, pa.string()),
        pa.array(manufacturer, pa.string()),
        pa.array(model_name, pa.string()),
        pa.array(software, pa.string()),
        pa.array(station, pa.string()),
        pa.array(body, pa.string()),
        pa.array(kernel, pa.string()),
        pa.array(sex, pa.string()),
        pa.array(age, pa.float64()),
        pa.array(thickness, pa.float64()),
        pa.array(spacing, pa.float64(), from_pandas=True),
        pa.array(pixel, pa.float64()),
        pa.array(pixel, pa.float64()),
        pa.array(rows, pa.int32()),
        pa.array(cols, pa.int32()),
        pa.array(kvp, pa.float64(), from_pandas=True),
        pa.array(mas, pa.float64(), from_pandas=True),
        pa.array(contrast, pa.bool_()),
        pa.array(field, pa.float64(), from_pandas=True),
        pa.array(tr, pa.float64(), from_pandas=True),
        pa.array(te, pa.float64(), from_pandas=True),
        pa.array(study_date, pa.date32()),
        pa.array(tsyntax, pa.string()),
    ], schema=HEADERS_SCHEMA)
    inferences = pa.table([
        pa.array(ts, pa.timestamp("us", tz="UTC")),
        pa.array(series, pa.string()),
        pa.array(np.full(n, MODEL, dtype=object), pa.string()),
        pa.array(np.full(n, MODEL_VERSION, dtype=object), pa.string()),
        pa.array(score, pa.float64()),
        pa.array(prediction, pa.int8()),
        pa.array(label.astype(np.int8), pa.int8(), mask=~labelled),
        pa.array(np.full(n, LABEL_VERSION, dtype=object), pa.string(), mask=~labelled),
        pa.array(latency, pa.float64()),
    ], schema=INFERENCES_SCHEMA)
    return headers, inferences


def write(directory, n, seed, shift=NO_SHIFT, serving=True, night=0):
    """Writes headers.parquet and inferences.parquet into directory; returns their paths."""
    os.makedirs(directory, exist_ok=True)
    headers, inferences = generate(n, seed, shift, serving, night)
    h = os.path.join(directory, "headers.parquet")
    i = os.path.join(directory, "inferences.parquet")
    pq.write_table(headers, h)
    pq.write_table(inferences, i)
    return h, i
