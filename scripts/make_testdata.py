#!/usr/bin/env python3
"""Generate the committed DICOM test corpus under testdata/dicom/.

Usage (from the repository root):

    pip install pydicom==3.0.2   # the pin in scripts/requirements.txt
    python3 scripts/make_testdata.py
    python3 scripts/make_testdata.py --check-dcmtk   # optional, needs dcmdump

Writes
  testdata/dicom/good/*.dcm          files the `scan` command must read
  testdata/dicom/bad/*               files it must reject
  testdata/dicom/expected.json       header values read BACK with pydicom
  testdata/dicom/phi_canaries.json   PHI strings that must never be output

Everything is deterministic: UIDs are derived from fixed names
(2.25.<hash>), random bytes come from a SHA-256 counter stream, nothing
reads the clock.  Re-running gives byte-identical files (given the same
pydicom pin and zlib for the deflated file).

Only pydicom is needed (numpy is not).  See testdata/dicom/README.md.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import struct
import sys
import uuid
import warnings
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence

PYDICOM_PIN = "3.0.2"

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "testdata" / "dicom"
GOOD = OUT / "good"
BAD = OUT / "bad"

TS_IMPLICIT_LE = "1.2.840.10008.1.2"
TS_EXPLICIT_LE = "1.2.840.10008.1.2.1"
TS_DEFLATED_LE = "1.2.840.10008.1.2.1.99"
TS_EXPLICIT_BE = "1.2.840.10008.1.2.2"
TS_JPEG_BASELINE = "1.2.840.10008.1.2.4.50"

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"

MAX_FILE_SIZE = 16 * 1024


UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "postmarket/testdata/dicom")


def uid(name: str) -> str:
    """Deterministic UID 2.25.<int> from a name-based (v5) UUID (PS3.5 B.2).

    (pydicom's generate_uid(prefix=None) ignores entropy_srcs and is random.)
    """
    return f"2.25.{uuid.uuid5(UID_NAMESPACE, name).int}"


IMPLEMENTATION_CLASS_UID = uid("implementation-class")
IMPLEMENTATION_VERSION = "PM_TESTDATA_1"


def seeded_bytes(seed: str, n: int) -> bytes:
    """Deterministic pseudo-random bytes (SHA-256 in counter mode)."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return out[:n]


# ---------------------------------------------------------------------------
# PHI canaries
# ---------------------------------------------------------------------------

CANARIES: list[str] = []


def canary(value: str) -> str:
    if value not in CANARIES:
        CANARIES.append(value)
    return value


def plant_phi(ds: Dataset, patient: dict) -> None:
    """PHI that must never reach any output of the scanner."""
    ds.PatientName = canary(patient["name"])
    ds.PatientID = canary(patient["pid"])
    if patient.get("birth_date"):
        ds.PatientBirthDate = canary(patient["birth_date"])
    ds.AccessionNumber = canary(patient["accession"])
    other = patient["other_ids"]
    for o in other:
        canary(o)
    ds.OtherPatientIDs = other if len(other) > 1 else other[0]
    ds.ReferringPhysicianName = canary(patient["referrer"])
    ds.InstitutionName = canary(patient["institution"])


def patient(n: int, first: str, birth_date: str | None, other_ids: int = 1) -> dict:
    return {
        "name": f"CANARY^{first}",
        "pid": f"CANARY-PID-{n:04d}",
        "birth_date": birth_date,
        "accession": f"CANARYACC{n:02d}",
        "other_ids": [f"CANARY-OPID-{n:04d}" + ("" if other_ids == 1 else chr(ord("A") + k))
                      for k in range(other_ids)],
        "referrer": f"CANARY^REFERRER^DR{n:02d}",
        "institution": f"CANARY MEMORIAL HOSPITAL {n:02d}",
    }


# ---------------------------------------------------------------------------
# Data set builders
# ---------------------------------------------------------------------------


def pixels(rows: int, cols: int, bits: int = 16, big_endian: bool = False) -> bytes:
    vals = [(r * cols + c) * 7 % 4096 for r in range(rows) for c in range(cols)]
    if bits == 8:
        return bytes(v % 256 for v in vals)
    fmt = (">" if big_endian else "<") + f"{len(vals)}H"
    return struct.pack(fmt, *vals)


def file_meta(sop_class: str, sop_instance: str, ts: str) -> FileMetaDataset:
    fm = FileMetaDataset()
    fm.FileMetaInformationVersion = b"\x00\x01"
    fm.MediaStorageSOPClassUID = sop_class
    fm.MediaStorageSOPInstanceUID = sop_instance
    fm.TransferSyntaxUID = ts
    fm.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    fm.ImplementationVersionName = IMPLEMENTATION_VERSION
    return fm


def image_dataset(spec: dict) -> Dataset:
    """A CT or MR image data set from a spec dict (keys are DICOM keywords
    plus a few helpers).  Values are given as strings where DICOM stores
    text (DS/IS) so that exactly that text is written."""
    ds = Dataset()
    modality = spec.get("Modality", "CT")
    sop_class = MR_IMAGE_STORAGE if modality == "MR" else CT_IMAGE_STORAGE
    name = spec["name"]
    if spec.get("SpecificCharacterSet"):
        ds.SpecificCharacterSet = spec["SpecificCharacterSet"]
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid(f"sop:{name}")
    ds.StudyDate = spec["StudyDate"]
    ds.SeriesDate = spec["StudyDate"]
    ds.StudyTime = "101500"
    ds.Modality = modality
    ds.Manufacturer = spec["Manufacturer"]
    ds.StationName = spec["StationName"]
    ds.StudyDescription = spec.get("StudyDescription", f"{modality} TEST STUDY")
    ds.SeriesDescription = spec.get("SeriesDescription", f"{modality} TEST SERIES")
    ds.ManufacturerModelName = spec["ManufacturerModelName"]
    plant_phi(ds, spec["patient"])
    if spec.get("PatientSex") is not None:
        ds.PatientSex = spec["PatientSex"]
    if spec.get("PatientAge") is not None:
        ds.PatientAge = spec["PatientAge"]
    if "ContrastBolusAgent" in spec:
        ds.ContrastBolusAgent = spec["ContrastBolusAgent"]
    ds.BodyPartExamined = spec["BodyPartExamined"]
    ds.SliceThickness = spec["SliceThickness"]
    for kw in ("KVP", "SpacingBetweenSlices", "RepetitionTime", "EchoTime",
               "MagneticFieldStrength", "ExposureTime", "Exposure",
               "ConvolutionKernel", "EchoNumbers"):
        if spec.get(kw) is not None:
            setattr(ds, kw, spec[kw])
    if modality == "MR":
        ds.ScanningSequence = "GR"
        ds.SequenceVariant = "SP"
        ds.MRAcquisitionType = "3D"
    ds.SoftwareVersions = spec["SoftwareVersions"]
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = uid(f"study:{spec.get('study', name)}")
    if not spec.get("omit_series_uid"):
        ds.SeriesInstanceUID = uid(f"series:{spec.get('series', name)}")
    ds.StudyID = "1"
    ds.SeriesNumber = str(spec.get("SeriesNumber", 2))
    ds.InstanceNumber = str(spec.get("InstanceNumber", 1))
    slice_loc = spec.get("SliceLocation", "-100.0")
    ds.ImagePositionPatient = ["-180.0", "-180.0", slice_loc]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = uid(f"for:{spec.get('study', name)}")
    ds.SliceLocation = slice_loc
    rows, cols = spec.get("Rows", 8), spec.get("Columns", 8)
    bits = spec.get("bits", 16)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.PixelSpacing = spec["PixelSpacing"]
    ds.BitsAllocated = bits
    ds.BitsStored = 12 if bits == 16 else 8
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    if modality == "CT":
        ds.WindowCenter = "40"
        ds.WindowWidth = "400"
        ds.RescaleIntercept = "-1024"
        ds.RescaleSlope = "1"
        ds.RescaleType = "HU"
    for (group, creator, elem_off, vr, value) in spec.get("private", []):
        block = ds.private_block(group, creator, create=True)
        block.add_new(elem_off, vr, value)
    for extra in spec.get("extra_elements", []):
        extra(ds)
    if not spec.get("no_pixels"):
        ds.PixelData = pixels(rows, cols, bits, big_endian=spec.get("big_endian", False))
        ds["PixelData"].VR = "OW" if bits == 16 else "OB"
    return ds


def to_bytes(ds: Dataset, ts: str, *, preamble: bool = True, meta: bool = True) -> bytes:
    """Encode a data set as a DICOM file with pydicom's writer."""
    buf = io.BytesIO()
    if meta:
        ds.file_meta = file_meta(ds.SOPClassUID, ds.SOPInstanceUID, ts)
        ds.preamble = b"\x00" * 128
        pydicom.dcmwrite(buf, ds, enforce_file_format=True)
        data = buf.getvalue()
        assert data[128:132] == b"DICM"
        return data if preamble else data[128:]
    # Bare data set: no preamble, no DICM, no group 0002.
    assert ts == TS_IMPLICIT_LE
    if hasattr(ds, "file_meta"):
        del ds.file_meta
    pydicom.dcmwrite(buf, ds, implicit_vr=True, little_endian=True)
    data = buf.getvalue()
    assert data[:2] == b"\x08\x00", data[:8]
    return data


# --- hand-encoded explicit VR little endian pieces -------------------------

def ex_le_elem(group: int, elem: int, vr: str, value: bytes) -> bytes:
    if len(value) % 2:
        value += b"\x00" if vr in ("UI", "OB") else b" "
    if vr in ("OB", "OW", "OF", "SQ", "UN", "UT", "UC", "UR", "OD", "OL", "OV"):
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr.encode(), len(value)) + value


# ---------------------------------------------------------------------------
# Good files
# ---------------------------------------------------------------------------

GOOD_FILES: dict[str, bytes] = {}
BAD_FILES: dict[str, bytes] = {}
SKIPPED_FILES: dict[str, bytes] = {}
DESCRIPTIONS: dict[str, str] = {}


def add_good(name: str, data: bytes, desc: str) -> None:
    GOOD_FILES[f"good/{name}"] = data
    DESCRIPTIONS[f"good/{name}"] = desc


def add_bad(name: str, data: bytes, desc: str) -> None:
    BAD_FILES[f"bad/{name}"] = data
    DESCRIPTIONS[f"bad/{name}"] = desc


def ge_series() -> None:
    pat = patient(1, "ALICE", "19310517")
    for i, loc in enumerate(["-100.0", "-98.75", "-97.5"], start=1):
        spec = dict(
            name=f"ct_explicit_le_{i}", series="ge-series", study="ge-study",
            patient=pat, StudyDate="20230314",
            Manufacturer="GE MEDICAL SYSTEMS", ManufacturerModelName="LightSpeed VCT",
            SoftwareVersions="LightSpeedverrel", StationName="CTAWP00001",
            BodyPartExamined="CHEST", ConvolutionKernel="STANDARD",
            PatientSex="M", PatientAge="045Y",
            SliceThickness="1.25", SpacingBetweenSlices="1.25",
            PixelSpacing=["0.78125", "0.78125"], KVP="120", Exposure="250",
            ExposureTime="598", ContrastBolusAgent="OMNIPAQUE 350",
            InstanceNumber=i, SliceLocation=loc, SeriesNumber=3,
            private=[(0x0009, "GEMS_IDEN_01", 0x01, "LO", "CT_LIGHTSPEED")],
        )
        add_good(f"ct_explicit_le_{i}.dcm",
                 to_bytes(image_dataset(spec), TS_EXPLICIT_LE),
                 f"CT explicit VR LE, preamble+meta; slice {i} of a 3-slice series "
                 f"(same SeriesInstanceUID); GE; PatientAge 045Y; sex M; contrast "
                 f"OMNIPAQUE 350; private (0009,1001) under creator GEMS_IDEN_01")


def siemens_implicit() -> None:
    spec = dict(
        name="ct_implicit_le", patient=patient(2, "BOB", "19271123", other_ids=2),
        StudyDate="20210802", SpecificCharacterSet="ISO_IR 100",
        Manufacturer="SIEMENS", ManufacturerModelName="SOMATOM Definition AS+",
        SoftwareVersions=["syngo CT VA40A", "ImageProc 2"], StationName="CTAWP91234",
        BodyPartExamined="ABDOMEN", ConvolutionKernel=["Br40f", "3"],
        PatientSex="F", PatientAge="006M",
        SliceThickness="3", SpacingBetweenSlices="3.0",
        PixelSpacing=["0.703125", "0.712"], Rows=6, Columns=10,
        KVP="100", Exposure="180", ExposureTime="500",
        private=[(0x0019, "SIEMENS CT VA0  COAD", 0xB0, "DS", "34.5")],
    )
    add_good("ct_implicit_le.dcm", to_bytes(image_dataset(spec), TS_IMPLICIT_LE),
             "CT implicit VR LE with meta; SIEMENS; multi-valued SoftwareVersions "
             "and ConvolutionKernel (Br40f\\3); PixelSpacing 0.703125\\0.712; "
             "Rows 6 x Columns 10; PatientAge 006M; sex F; no ContrastBolusAgent; "
             "two OtherPatientIDs; SpecificCharacterSet ISO_IR 100; private "
             "(0019,10B0) DS FeedPerRotation 34.5 (no VR on disk: implicit VR)")


def philips_mr_big_endian() -> None:
    spec = dict(
        name="mr_explicit_be", Modality="MR", patient=patient(3, "CAROL", "19480229"),
        StudyDate="20220107",
        Manufacturer="Philips", ManufacturerModelName="Ingenia",
        SoftwareVersions="5.7.1", StationName="PHILIPS-MR3T",
        BodyPartExamined="BRAIN", PatientSex="O", PatientAge="010W",
        SliceThickness="5", SpacingBetweenSlices="6",
        PixelSpacing=["0.9375", "0.9375"], MagneticFieldStrength="3",
        RepetitionTime="4.2", EchoTime="2.1", EchoNumbers="1",
        ContrastBolusAgent="GADOVIST", big_endian=True,
        private=[(0x2001, "Philips Imaging DD 001", 0x06, "CS", "N")],
    )
    add_good("mr_explicit_be.dcm", to_bytes(image_dataset(spec), TS_EXPLICIT_BE),
             "MR explicit VR BIG endian (written by pydicom's dcmwrite); Philips "
             "Ingenia; MagneticFieldStrength 3, RepetitionTime 4.2, EchoTime 2.1; "
             "PatientAge 010W; sex O; OW pixel data byte-swapped to big endian")


def canon_deflated() -> None:
    spec = dict(
        name="ct_deflated", patient=patient(4, "DAVE", "19350704"),
        StudyDate="20240110",
        Manufacturer="CANON_MEC", ManufacturerModelName="Aquilion ONE",
        SoftwareVersions="V10.6SP0001E", StationName="ID_STATION",
        BodyPartExamined="HEAD", ConvolutionKernel="FC26",
        PatientSex=None, PatientAge="003D",
        SliceThickness="0.5", SpacingBetweenSlices="0.5",
        PixelSpacing=["0.468", "0.468"], KVP="120", Exposure="300",
        ExposureTime="750", ContrastBolusAgent="",
        private=[(0x7005, "TOSHIBA_MEC_CT3", 0x08, "LO", "PM_CANON_PRIVATE")],
    )
    add_good("ct_deflated.dcm", to_bytes(image_dataset(spec), TS_DEFLATED_LE),
             "CT deflated explicit VR LE (data set after the meta is raw-deflated, "
             "written by pydicom); CANON_MEC; PatientAge 003D; PatientSex absent; "
             "ContrastBolusAgent present but EMPTY")


def philips_jpeg() -> None:
    spec = dict(
        name="ct_jpeg_baseline", patient=patient(5, "ERIN", "19320601"),
        StudyDate="20230531",
        Manufacturer="Philips", ManufacturerModelName="Brilliance 64",
        SoftwareVersions="3.2.1", StationName="PHILIPS-CT01",
        BodyPartExamined="CHEST", ConvolutionKernel="B",
        PatientSex="F", PatientAge=None,
        SliceThickness="2", SpacingBetweenSlices="1",
        PixelSpacing=["0.6", "0.6"], KVP="140", Exposure="220", ExposureTime="420",
        bits=8, no_pixels=True,
    )
    ds = image_dataset(spec)
    # Arbitrary "JPEG" fragment: SOI ... EOI framing, payload is not decodable.
    frame = b"\xff\xd8" + seeded_bytes("jpeg-fragment", 60) + b"\xff\xd9"
    ds.PixelData = encapsulate([frame], has_bot=True)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    add_good("ct_jpeg_baseline.dcm", to_bytes(ds, TS_JPEG_BASELINE),
             "CT, TS JPEG Baseline 1.2.840.10008.1.2.4.50; encapsulated PixelData "
             "(basic offset table + one 64-byte fragment of arbitrary bytes, NOT "
             "decodable); no PatientAge: birth 19320601, study 20230531 -> 90 "
             "(day before the 91st birthday)")


def ge_no_preamble() -> None:
    spec = dict(
        name="ct_no_preamble", patient=patient(6, "FRANK", None),
        StudyDate="20200229",
        Manufacturer="GE MEDICAL SYSTEMS", ManufacturerModelName="Revolution CT",
        SoftwareVersions="revo_ct_22bc.50", StationName="GECT-REVO",
        BodyPartExamined="PELVIS", ConvolutionKernel="SOFT",
        PatientSex="M", PatientAge=None,
        SliceThickness="0.625", SpacingBetweenSlices="0.625",
        PixelSpacing=["0.9765625", "0.9765625"], KVP="80", Exposure="95",
        ExposureTime="280", ContrastBolusAgent="IOPAMIDOL",
    )
    add_good("ct_no_preamble.dcm",
             to_bytes(image_dataset(spec), TS_EXPLICIT_LE, preamble=False),
             "CT explicit VR LE; NO 128-byte preamble: file starts with 'DICM' + "
             "file meta; neither PatientAge nor PatientBirthDate -> age null")


def siemens_no_meta() -> None:
    spec = dict(
        name="ct_no_meta_implicit", patient=patient(7, "GRACE", "19291231"),
        StudyDate="19990615",
        Manufacturer="SIEMENS", ManufacturerModelName="Emotion 6",
        SoftwareVersions="VA70C", StationName="EMOTION6",
        BodyPartExamined="CHEST", ConvolutionKernel="B30s",
        PatientSex="F", PatientAge="067Y",
        SliceThickness="5", SpacingBetweenSlices="5",
        PixelSpacing=["0.65", "0.65"], KVP="130", Exposure="100", ExposureTime="800",
    )
    add_good("ct_no_meta_implicit.dcm",
             to_bytes(image_dataset(spec), TS_IMPLICIT_LE, preamble=False, meta=False),
             "bare implicit VR LE data set: no preamble, no DICM, no file meta "
             "(old archive style); first bytes are tag (0008,0008); PatientAge 067Y")


def code_item(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def sequences(ds: Dataset, n: int, undefined: bool) -> None:
    """ProcedureCodeSequence with 2 items, the first holding a nested
    EquivalentCodeSequence; plus OtherPatientIDsSequence carrying PHI."""
    item = code_item("CTCAPW", "99PMTEST", "CT CHEST ABDOMEN PELVIS WITH CONTRAST")
    item.EquivalentCodeSequence = Sequence(
        [code_item("ZZ1234", "99PMLOCAL", "CT CAP WITH CONTRAST (LOCAL)")])
    ds.ProcedureCodeSequence = Sequence(
        [item, code_item("CTHEAD", "99PMTEST", "CT HEAD")])
    op = Dataset()
    op.PatientID = canary(f"CANARY-SEQPID-{n:04d}")
    op.IssuerOfPatientID = canary(f"CANARY ISSUER {n:02d}")
    op.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = Sequence([op])
    # pydicom 3 writes defined lengths by default; flag everything undefined
    # (0xFFFFFFFF + item/sequence delimiters) when asked.
    seqs = [ds["ProcedureCodeSequence"], item["EquivalentCodeSequence"],
            ds["OtherPatientIDsSequence"]]
    for elem in seqs:
        elem.is_undefined_length = undefined
        for it in elem.value:
            it.is_undefined_length_sequence_item = undefined


def check_seq_lengths(data: bytes, undefined: bool) -> None:
    """Assert the on-disk encoding of every SQ/item in an explicit LE file."""
    for tag in [(0x0008, 0x1032), (0x0008, 0x0121), (0x0010, 0x1002)]:
        hdr = struct.pack("<HH2sH", *tag, b"SQ", 0)
        i = data.index(hdr)
        (length,) = struct.unpack("<I", data[i + 8:i + 12])
        (item_len,) = struct.unpack("<I", data[i + 16:i + 20])
        assert data[i + 12:i + 16] == b"\xfe\xff\x00\xe0"
        assert (length == 0xFFFFFFFF) == undefined, (tag, hex(length))
        assert (item_len == 0xFFFFFFFF) == undefined, (tag, hex(item_len))


def seq_undefined() -> None:
    spec = dict(
        name="ct_seq_undefined", patient=patient(8, "HEIDI", "19590312"),
        StudyDate="20240312",
        Manufacturer="CANON_MEC", ManufacturerModelName="Aquilion Prime SP",
        SoftwareVersions="V8.9SP0004E", StationName="CANON-PRIME",
        BodyPartExamined="ABDOMEN", ConvolutionKernel="FC08",
        PatientSex="M", PatientAge=None,
        SliceThickness="1", SpacingBetweenSlices="0.8",
        PixelSpacing=["0.742", "0.742"], KVP="120", Exposure="150", ExposureTime="500",
        ContrastBolusAgent="OMNIPAQUE 300",
        extra_elements=[lambda ds: sequences(ds, 8, undefined=True)],
    )
    data = to_bytes(image_dataset(spec), TS_EXPLICIT_LE)
    check_seq_lengths(data, undefined=True)
    add_good("ct_seq_undefined.dcm", data,
             "CT explicit VR LE; ProcedureCodeSequence (2 items) whose first item "
             "holds a nested EquivalentCodeSequence, plus OtherPatientIDsSequence "
             "with canary PHI; ALL sequences and items have UNDEFINED length "
             "(item/sequence delimiters); no PatientAge: birth 19590312, study "
             "20240312 -> 65 (study on the birthday)")


def seq_defined() -> None:
    spec = dict(
        name="ct_seq_defined", patient=patient(9, "IVAN", "19400101"),
        StudyDate="20190920",
        Manufacturer="SIEMENS", ManufacturerModelName="SOMATOM Force",
        SoftwareVersions="syngo CT VB20A", StationName="CTFORCE01",
        BodyPartExamined="CHEST", ConvolutionKernel="Bv40d",
        PatientSex="M", PatientAge="070Y",
        SliceThickness="1.5", SpacingBetweenSlices="1.2",
        PixelSpacing=["0.55", "0.55"], KVP="90", Exposure="120", ExposureTime="285",
        ContrastBolusAgent="ISOVUE 370",
        extra_elements=[lambda ds: sequences(ds, 9, undefined=False)],
    )
    data = to_bytes(image_dataset(spec), TS_EXPLICIT_LE)
    check_seq_lengths(data, undefined=False)
    add_good("ct_seq_defined.dcm", data,
             "CT explicit VR LE; same sequence structure as ct_seq_undefined.dcm "
             "but every sequence and item has a DEFINED length; PatientAge 070Y")


# --- UN-encoded standard elements and character sets (issue 11) -------------

def implicit_elements(data: bytes):
    """Top-level (tag, value bytes, defined length?) of an implicit VR LE data set."""
    pos = 0
    while pos < len(data):
        group, elem, length = struct.unpack("<HHI", data[pos:pos + 8])
        assert length != 0xFFFFFFFF, "write sequences with defined lengths first"
        yield (group, elem), data[pos + 8:pos + 8 + length]
        pos += 8 + length


def to_explicit_un(ds: Dataset, undefined_sq: tuple[int, int]) -> bytes:
    """An explicit VR LE file whose data set elements all say UN, as an anonymiser that
    turns implicit VR into explicit without a dictionary writes them (pydicom's
    explicit_VR-UN.dcm). Values keep their implicit little endian bytes; a sequence
    becomes UN holding implicit items, one of them (`undefined_sq`) with undefined
    length and a sequence delimiter (pydicom's UN_sequence.dcm)."""
    pixel = ds.PixelData
    del ds.PixelData
    body = io.BytesIO()
    pydicom.dcmwrite(body, ds, implicit_vr=True, little_endian=True)
    out = b""
    for tag, value in implicit_elements(body.getvalue()):
        if tag == undefined_sq:
            out += struct.pack("<HH2sHI", *tag, b"UN", 0, 0xFFFFFFFF) + value \
                + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
        else:
            out += struct.pack("<HH2sHI", *tag, b"UN", 0, len(value)) + value
    out += struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, len(pixel)) + pixel
    meta = io.BytesIO()
    shell = Dataset()
    shell.file_meta = file_meta(ds.SOPClassUID, ds.SOPInstanceUID, TS_EXPLICIT_LE)
    shell.preamble = b"\x00" * 128
    pydicom.dcmwrite(meta, shell, enforce_file_format=True)
    return meta.getvalue() + out


def un_vr() -> None:
    spec = dict(
        name="ct_un_vr", patient=patient(10, "JUDY", "19520704"),
        StudyDate="20220915", SpecificCharacterSet="ISO_IR 100",
        Manufacturer="TOSHIBA", ManufacturerModelName="Aquilion",
        SoftwareVersions=["V4.51ER010", "AIDR 3D"], StationName="RÖNTGEN 2",
        BodyPartExamined="ABDOMEN", ConvolutionKernel="FC18",
        PatientSex="F", PatientAge="071Y",
        SliceThickness="2.0", SpacingBetweenSlices="2.0",
        PixelSpacing=["0.625", "0.65"], Rows=8, Columns=6,
        KVP="120", Exposure="210", ExposureTime="500",
        ContrastBolusAgent="IOMERON 400",
        extra_elements=[lambda ds: sequences(ds, 10, undefined=False)],
    )
    data = to_explicit_un(image_dataset(spec), undefined_sq=(0x0008, 0x1032))
    assert data.count(b"UN") > 40
    assert struct.pack("<HH2sHI", 0x0008, 0x0060, b"UN", 0, 2) + b"CT" in data
    add_good("ct_un_vr.dcm", data,
             "explicit VR LE CT whose every data set element says UN (implicit values "
             "under an explicit header, as anonymisers write them): Modality, UIDs, "
             "PixelSpacing, Rows (US) all UN; ProcedureCodeSequence as UN of undefined "
             "length holding implicit items; StationName 'RÖNTGEN 2' in ISO_IR 100")


def charsets() -> None:
    common = dict(
        SliceThickness="1", SpacingBetweenSlices="1", PixelSpacing=["0.5", "0.5"],
        KVP="120", Exposure="100", ExposureTime="400", PatientSex="M",
        BodyPartExamined="HEAD", ConvolutionKernel="FC21",
    )
    # Japanese: JIS X 0208 behind ESC $ B (issue 11's manufacturer).
    spec = dict(common, name="ct_charset_jis", patient=patient(11, "KENJI", "19610203"),
                StudyDate="20230704", SpecificCharacterSet=["", "ISO 2022 IR 87"],
                Manufacturer="キヤノン", ManufacturerModelName="Aquilion ONE",
                SoftwareVersions="V10.2", StationName="東京CT1", PatientAge="062Y")
    data = to_bytes(image_dataset(spec), TS_EXPLICIT_LE)
    assert b"\x1b$B%-%d%N%s\x1b(B" in data
    add_good("ct_charset_jis.dcm", data,
             "SpecificCharacterSet \\ISO 2022 IR 87: Manufacturer キヤノン and "
             "StationName 東京CT1 in JIS X 0208 behind escape sequences")
    # Korean: KS X 1001 in G1.
    spec = dict(common, name="ct_charset_korean", patient=patient(12, "MINJUN", "19700809"),
                StudyDate="20230705", SpecificCharacterSet=["", "ISO 2022 IR 149"],
                Manufacturer="삼성메디슨", ManufacturerModelName="CT 한국",
                SoftwareVersions="1.0", StationName="서울1", PatientAge="053Y")
    data = to_bytes(image_dataset(spec), TS_EXPLICIT_LE)
    assert b"\x1b$)C" in data
    add_good("ct_charset_korean.dcm", data,
             "SpecificCharacterSet \\ISO 2022 IR 149: Hangul Manufacturer, model and "
             "station in KS X 1001 (G1)")
    # Chinese: GB18030, a stand-alone multi-byte set.
    spec = dict(common, name="mr_charset_gb18030", Modality="MR",
                patient=patient(13, "WEI", "19800101"), StudyDate="20230706",
                SpecificCharacterSet="GB18030", Manufacturer="联影医疗",
                ManufacturerModelName="uMR 780", SoftwareVersions="R003",
                StationName="磁共振一号", PatientAge="043Y", MagneticFieldStrength="3",
                RepetitionTime="2000", EchoTime="90", KVP=None, Exposure=None,
                ExposureTime=None, ConvolutionKernel=None)
    data = to_bytes(image_dataset(spec), TS_EXPLICIT_LE)
    assert "联影医疗".encode("gb18030") in data
    add_good("mr_charset_gb18030.dcm", data,
             "SpecificCharacterSet GB18030: Manufacturer 联影医疗, StationName 磁共振一号")
    # Undecodable: invalid UTF-8 under ISO_IR 192, raw escapes under ISO_IR 100.
    spec = dict(common, name="ct_charset_undecodable",
                patient=patient(14, "UNDINE", "19660606"), StudyDate="20230707",
                SpecificCharacterSet="ISO_IR 192", Manufacturer="PLACEHOLDER1",
                ManufacturerModelName="Model X", SoftwareVersions="2.0",
                StationName="PLACEHOLDER2", PatientAge="057Y")
    data = to_bytes(image_dataset(spec), TS_EXPLICIT_LE)
    for placeholder, raw in [(b"PLACEHOLDER1", b"GE \xff\xfe HEALTH"),
                             (b"PLACEHOLDER2", b"\x1b$B%-%d\x1b(B  ")]:
        assert len(raw) == len(placeholder) and data.count(placeholder) == 1
        data = data.replace(placeholder, raw)
    add_good("ct_charset_undecodable.dcm", data,
             "SpecificCharacterSet ISO_IR 192, but Manufacturer is not UTF-8 (0xFF 0xFE) "
             "and StationName holds raw ISO 2022 escape sequences: both must be null, "
             "each with a note, and the row kept")


def skipped_files() -> None:
    """Inputs the scan skips by rule, each counted in its summary."""
    ds = Dataset()
    ds.FileSetID = "PM_TEST"
    ds.DirectoryRecordSequence = Sequence([])
    ds.file_meta = file_meta("1.2.840.10008.1.3.10", uid("dicomdir"), TS_EXPLICIT_LE)
    ds.preamble = b"\x00" * 128
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds, enforce_file_format=True)
    SKIPPED_FILES["skipped/DICOMDIR"] = buf.getvalue()
    # The same index under another name: skipped by its Media Storage SOP Class.
    SKIPPED_FILES["skipped/index.dcm"] = buf.getvalue()
    SKIPPED_FILES["skipped/.hidden.dcm"] = to_bytes(
        plain_ct("skipped_hidden", 25, "HIDDEN"), TS_EXPLICIT_LE)


# ---------------------------------------------------------------------------
# Bad files
# ---------------------------------------------------------------------------

def plain_ct(name: str, n: int, first: str, **over) -> Dataset:
    spec = dict(
        name=name, patient=patient(n, first, "19330808"), StudyDate="20230101",
        Manufacturer="SIEMENS", ManufacturerModelName="SOMATOM go.Top",
        SoftwareVersions="syngo CT VA30A", StationName="CTGOTOP",
        BodyPartExamined="CHEST", ConvolutionKernel="Br40",
        PatientSex="F", PatientAge="050Y",
        SliceThickness="1", SpacingBetweenSlices="1",
        PixelSpacing=["0.7", "0.7"], KVP="110", Exposure="100", ExposureTime="300",
    )
    spec.update(over)
    return image_dataset(spec)


def bad_files() -> None:
    add_bad("empty.dcm", b"", "zero-length file")

    data = to_bytes(plain_ct("bad_truncated", 20, "TRUDY"), TS_EXPLICIT_LE)
    marker = b"syngo CT VA30A"
    pos = data.index(marker)
    assert pos > 300  # well inside the data set, before Pixel Data
    cut = pos + len(marker) // 2
    add_bad("truncated.dcm", data[:cut],
            f"valid CT file cut after {cut} bytes, in the middle of the "
            f"SoftwareVersions (0018,1020) value (after the PHI, long before Pixel Data)")

    add_bad("random_after_preamble.dcm",
            b"\x00" * 128 + b"DICM" + seeded_bytes("random-after-preamble", 400),
            "128 zero bytes + 'DICM' + 400 seeded pseudo-random bytes (SHA-256 "
            "stream, seed 'random-after-preamble')")

    add_bad("notes.txt", (
        "Scanner export notes\n"
        "====================\n"
        "This is a plain text file that happens to sit in an export folder.\n"
        "It is not DICOM: there is no preamble, no DICM prefix and no data set.\n"
        "The scanner must reject it without crashing.\n"
        "Line 6: more filler so the file is longer than 132 bytes.\n").encode(),
        "plain text, not DICOM")

    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = uid("sop:bad_huge_length")
    ds.StudyDate = "20230101"
    ds.Modality = "CT"
    ds.Manufacturer = "SIEMENS"
    ds.PatientName = canary("CANARY^HUGO")
    ds.PatientID = canary("CANARY-PID-0021")
    block = ds.private_block(0x0009, "PM_TEST_HUGE", create=True)
    block.add_new(0x01, "OB", b"\x00" * 8)
    ds.StudyInstanceUID = uid("study:bad_huge_length")
    ds.SeriesInstanceUID = uid("series:bad_huge_length")
    ds.Rows = 8
    ds.Columns = 8
    data = to_bytes(ds, TS_EXPLICIT_LE)
    needle = struct.pack("<HH2sHI", 0x0009, 0x1001, b"OB", 0, 8)
    assert data.count(needle) == 1
    i = data.index(needle)
    data = data[:i] + struct.pack("<HH2sHI", 0x0009, 0x1001, b"OB", 0, 0xFFFFFFF0) \
        + data[i + len(needle):]
    add_bad("huge_length.dcm", data,
            f"explicit VR LE CT header ({len(data)} bytes) whose private OB element "
            f"(0009,1001) at offset {i} has 4-byte length 0xFFFFFFF0")

    add_bad("missing_series_uid.dcm",
            to_bytes(plain_ct("bad_missing_series", 22, "MALLORY",
                              omit_series_uid=True), TS_EXPLICIT_LE),
            "well-formed CT explicit VR LE file without SeriesInstanceUID (0020,000E)")

    # Deep nesting: a valid CT header, then (0040,A730) ContentSequence nested
    # DEPTH levels deep, every sequence and item of undefined length, then Pixel Data.
    depth = 200
    ds = plain_ct("bad_deep_nesting", 23, "NESTOR", no_pixels=True)
    head = to_bytes(ds, TS_EXPLICIT_LE)
    open_ = struct.pack("<HH2sHI", 0x0040, 0xA730, b"SQ", 0, 0xFFFFFFFF) \
        + struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    close = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    inner = ex_le_elem(0x0040, 0xA040, "CS", b"TEXT") \
        + ex_le_elem(0x0040, 0xA160, "UT", b"deepest item")
    px = pixels(8, 8)
    tail = struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, len(px)) + px
    add_bad("deep_nesting.dcm", head + open_ * depth + inner + close * depth + tail,
            f"otherwise valid CT explicit VR LE file (all UIDs present) with "
            f"ContentSequence (0040,A730) nested {depth} levels deep, undefined "
            f"lengths throughout, followed by Pixel Data")

    data = bytearray(to_bytes(plain_ct("bad_meta_length", 24, "OSCAR"), TS_EXPLICIT_LE))
    gl = struct.pack("<HH2sH", 0x0002, 0x0000, b"UL", 4)
    assert data[132:140] == gl
    data[140:144] = struct.pack("<I", 0xFFFFFFF0)
    v = struct.pack("<HH2sHI", 0x0002, 0x0001, b"OB", 0, 2)
    assert data[144:156] == v
    data[152:156] = struct.pack("<I", 0xFFFFFFF0)
    add_bad("bad_meta_length.dcm", bytes(data),
            "preamble + DICM, then FileMetaInformationGroupLength (0002,0000) "
            "value 0xFFFFFFF0 AND the first meta element (0002,0001) OB with "
            "4-byte length 0xFFFFFFF0; both far beyond the file size")


# Values that are present but cannot be decoded: null in expected.json, and one note each.
NOTES = {
    "good/ct_charset_undecodable.dcm": {
        "manufacturer": "undecodable-text",
        "station_name": "undecodable-text",
    },
}

SKIPPED = {"DICOMDIR": 2, "hidden": 1}

REJECTS = {
    "bad/empty.dcm": "empty",
    "bad/truncated.dcm": "truncated",
    "bad/notes.txt": "not-dicom",
    "bad/huge_length.dcm": "bad-length",
    "bad/missing_series_uid.dcm": "missing-uid",
    "bad/random_after_preamble.dcm": "any",
    "bad/deep_nesting.dcm": "any",
    "bad/bad_meta_length.dcm": "any",
}


# ---------------------------------------------------------------------------
# Expected values, read BACK with pydicom
# ---------------------------------------------------------------------------

def s(ds: Dataset, kw: str):
    """String value: padding stripped, multi-values joined with '\\'; None when empty
    or when it does not decode (pydicom then falls back to replacement characters or
    keeps the escape bytes: the scanner stores null and a note instead)."""
    if kw not in ds:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            v = ds[kw].value
        except (UserWarning, UnicodeError, LookupError):
            return None
    if v is None:
        return None
    if isinstance(v, (list, pydicom.multival.MultiValue)):
        out = "\\".join(str(x).strip(" \x00") for x in v)
    else:
        out = str(v).strip(" \x00")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c == "\ufffd" for c in out):
        return None
    return out or None


def f(ds: Dataset, kw: str, index: int | None = None):
    if kw not in ds or ds[kw].value in (None, ""):
        return None
    v = ds[kw].value
    if index is not None:
        v = v[index]
    return float(v)


def i(ds: Dataset, kw: str):
    if kw not in ds or ds[kw].value in (None, ""):
        return None
    return int(ds[kw].value)


def age_years(ds: Dataset):
    age = s(ds, "PatientAge")
    if age:
        n, unit = int(age[:3]), age[3]
        return {"Y": float(n), "M": n / 12, "W": n * 7 / 365.25, "D": n / 365.25}[unit]
    bd, sd = s(ds, "PatientBirthDate"), s(ds, "StudyDate")
    if bd and sd:
        b = datetime.date(int(bd[:4]), int(bd[4:6]), int(bd[6:8]))
        t = datetime.date(int(sd[:4]), int(sd[4:6]), int(sd[6:8]))
        return float(t.year - b.year - (1 if (t.month, t.day) < (b.month, b.day) else 0))
    return None


def read_back(rel: str, data: bytes) -> dict:
    buf = io.BytesIO(data)
    if data[:4] == b"DICM":
        # pydicom only looks for DICM at offset 128; with force=True it would
        # parse 'DICM' as a tag.  Give it the preamble it expects.
        buf = io.BytesIO(b"\x00" * 128 + data)
    ds = pydicom.dcmread(buf, stop_before_pixels=True, force=True)
    meta = getattr(ds, "file_meta", None)
    ts = str(meta.TransferSyntaxUID) if meta is not None and "TransferSyntaxUID" in meta \
        else TS_IMPLICIT_LE
    sd = s(ds, "StudyDate")
    agent = s(ds, "ContrastBolusAgent")
    return {
        "sop_instance_uid": s(ds, "SOPInstanceUID"),
        "series_instance_uid": s(ds, "SeriesInstanceUID"),
        "study_instance_uid": s(ds, "StudyInstanceUID"),
        "modality": s(ds, "Modality"),
        "manufacturer": s(ds, "Manufacturer"),
        "manufacturer_model_name": s(ds, "ManufacturerModelName"),
        "software_versions": s(ds, "SoftwareVersions"),
        "station_name": s(ds, "StationName"),
        "body_part_examined": s(ds, "BodyPartExamined"),
        "convolution_kernel": s(ds, "ConvolutionKernel"),
        "patient_sex": s(ds, "PatientSex"),
        "patient_age_years": age_years(ds),
        "slice_thickness": f(ds, "SliceThickness"),
        "spacing_between_slices": f(ds, "SpacingBetweenSlices"),
        "pixel_spacing_row": f(ds, "PixelSpacing", 0),
        "pixel_spacing_col": f(ds, "PixelSpacing", 1),
        "rows": i(ds, "Rows"),
        "columns": i(ds, "Columns"),
        "kvp": f(ds, "KVP"),
        "exposure_mas": i(ds, "Exposure"),
        "contrast_agent": bool(agent),
        "magnetic_field_strength": f(ds, "MagneticFieldStrength"),
        "repetition_time": f(ds, "RepetitionTime"),
        "echo_time": f(ds, "EchoTime"),
        "study_date": f"{sd[:4]}-{sd[4:6]}-{sd[6:8]}" if sd else None,
        "transfer_syntax_uid": ts,
        "extra": {"exposure_time": f(ds, "ExposureTime")},
    }



# ---------------------------------------------------------------------------
# Optional cross-check with dcmtk's dcmdump (a third, independent reader)
# ---------------------------------------------------------------------------

DCMDUMP_TAGS = {
    "(0008,0018)": "sop_instance_uid", "(0020,000e)": "series_instance_uid",
    "(0020,000d)": "study_instance_uid", "(0008,0060)": "modality",
    "(0008,0070)": "manufacturer", "(0008,1090)": "manufacturer_model_name",
    "(0018,1020)": "software_versions", "(0008,1010)": "station_name",
    "(0018,0015)": "body_part_examined", "(0018,1210)": "convolution_kernel",
    "(0010,0040)": "patient_sex", "(0018,0050)": "slice_thickness",
    "(0018,0088)": "spacing_between_slices", "(0028,0030)": "pixel_spacing",
    "(0028,0010)": "rows", "(0028,0011)": "columns", "(0018,0060)": "kvp",
    "(0018,1152)": "exposure_mas", "(0018,0087)": "magnetic_field_strength",
    "(0018,0080)": "repetition_time", "(0018,0081)": "echo_time",
    "(0008,0020)": "study_date", "(0002,0010)": "transfer_syntax_uid",
    "(0018,1150)": "exposure_time",
}


def dcmtk_check(files: dict) -> int:
    """Compare expected.json with what dcmdump prints (top-level elements)."""
    import re
    import shutil
    import subprocess
    import tempfile

    if not shutil.which("dcmdump"):
        print("dcmdump not found (apt-get install dcmtk)", file=sys.stderr)
        return 2
    line_re = re.compile(r"^(\([0-9a-f]{4},[0-9a-f]{4}\)) (\w\w) (?:\[(.*?)\]|(-?[0-9.]+) )")
    failures = 0
    compared = 0
    for rel, exp in files.items():
        data = (OUT / rel).read_bytes()
        with tempfile.NamedTemporaryFile(suffix=".dcm") as tmp:
            # dcmtk, like pydicom, wants the preamble before 'DICM'
            tmp.write(b"\x00" * 128 + data if data[:4] == b"DICM" else data)
            tmp.flush()
            # +U8: convert text by the Specific Character Set to UTF-8, as we do; dcmdump
            # refuses to convert a file with undecodable text, which is then dumped raw.
            args = ["dcmdump", "-q", "-Un", "+L", "+uc", tmp.name]
            run = subprocess.run(args[:-1] + ["+U8", tmp.name], capture_output=True)
            raw = run.returncode != 0 or b"Cannot open character encoding" in run.stderr
            if raw:
                run = subprocess.run(args, capture_output=True, check=True)
            out = run.stdout.decode("utf-8", errors="replace")
        got = {}
        for line in out.splitlines():
            m = line_re.match(line)
            if m and m.group(1) in DCMDUMP_TAGS:
                got[DCMDUMP_TAGS[m.group(1)]] = m.group(3) if m.group(3) is not None else m.group(4)
        flat = dict(exp, exposure_time=exp["extra"]["exposure_time"],
                    pixel_spacing=[exp["pixel_spacing_row"], exp["pixel_spacing_col"]])
        for col, val in got.items():
            if col in NOTES.get(rel, {}):
                continue  # expected null by our rule; dcmdump shows what it could
            if raw and isinstance(flat[col], str) and not flat[col].isascii():
                # dcmtk 3.6.7 with glibc iconv cannot convert ISO 2022 IR 87 at all.
                print(f"skipped {rel} {col}: dcmdump could not convert this character set")
                continue
            if col == "pixel_spacing":
                ok = [float(x) for x in val.split("\\")] == flat[col]
            elif col == "study_date":
                ok = f"{val[:4]}-{val[4:6]}-{val[6:8]}" == flat[col]
            elif isinstance(flat[col], (int, float)) and not isinstance(flat[col], bool):
                ok = float(val) == float(flat[col])
            else:
                ok = val.strip() == flat[col]
            compared += 1
            if not ok:
                failures += 1
                print(f"MISMATCH {rel} {col}: dcmdump={val!r} expected={flat[col]!r}")
        for col in ("sop_instance_uid", "series_instance_uid", "modality", "rows"):
            if col not in got:
                failures += 1
                print(f"MISSING {rel} {col} in dcmdump output")
    print(f"dcmdump cross-check: {compared} values compared, {failures} problems")
    return 1 if failures else 0

# ---------------------------------------------------------------------------

def main() -> int:
    if "--check-dcmtk" in sys.argv[1:]:
        expected = json.loads((OUT / "expected.json").read_text())
        return dcmtk_check(expected["files"])

    if pydicom.__version__ != PYDICOM_PIN:
        print(f"warning: pydicom {pydicom.__version__} != pinned {PYDICOM_PIN}; "
              f"output may differ byte-wise", file=sys.stderr)

    ge_series()
    siemens_implicit()
    philips_mr_big_endian()
    canon_deflated()
    philips_jpeg()
    ge_no_preamble()
    siemens_no_meta()
    seq_undefined()
    seq_defined()
    un_vr()
    charsets()
    bad_files()
    skipped_files()

    # Clean our output dirs (only files we generate live there).
    for d in (GOOD, BAD, OUT / "skipped"):
        d.mkdir(parents=True, exist_ok=True)
        for p in d.iterdir():
            if p.is_file():
                p.unlink()

    for rel, data in {**GOOD_FILES, **BAD_FILES, **SKIPPED_FILES}.items():
        assert len(data) < MAX_FILE_SIZE, (rel, len(data))
        (OUT / rel).write_bytes(data)

    files = {rel: read_back(rel, data) for rel, data in sorted(GOOD_FILES.items())}

    # Sanity: no canary may leak into any expected output value.
    dumped = json.dumps(files)
    for c in CANARIES:
        assert c not in dumped, c
    # ...and every canary must really be in the corpus (as text) somewhere,
    # except inside the deflated file where it is compressed.
    corpus = b"".join(GOOD_FILES.values()) + b"".join(BAD_FILES.values()) \
        + b"".join(SKIPPED_FILES.values())
    import zlib
    deflated = GOOD_FILES["good/ct_deflated.dcm"]
    meta_end = 132 + 12 + struct.unpack("<I", deflated[140:144])[0]
    corpus += zlib.decompress(deflated[meta_end:], -15)
    for c in CANARIES:
        assert c.encode() in corpus, c
    assert set(REJECTS) == set(BAD_FILES)

    expected = {
        "generated_by": "scripts/make_testdata.py",
        "read_back_with": f"pydicom {pydicom.__version__} dcmread(stop_before_pixels=True, force=True)",
        "files": files,
        "rejects": REJECTS,
        "notes": NOTES,
        "skipped": SKIPPED,
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=False) + "\n")
    (OUT / "phi_canaries.json").write_text(json.dumps(CANARIES, indent=2) + "\n")

    for rel in sorted({**GOOD_FILES, **BAD_FILES}):
        print(f"{len((OUT / rel).read_bytes()):6d}  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
