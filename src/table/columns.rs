//! The header column catalogue: every typed column of `headers.parquet` after the identity
//! columns, with its name, Arrow type, DICOM source, feature kind, role and unit — once.
//!
//! [`HeaderColumn`] is matched exhaustively wherever a column needs a rule (the DICOM
//! extraction in `ingest::dicom::fields`, the synthetic tables in `ingest::synth::tables`),
//! so a new column does not compile until every rule for it is written.

use arrow_schema::DataType;
use dicom_core::Tag;
use dicom_dictionary_std::tags;

/// How a feature is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    Numeric,
    Categorical,
}

/// The Arrow type family of a header column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderType {
    Text,
    Number,
    Integer,
    Flag,
    Date,
}

impl HeaderType {
    pub fn data_type(self) -> DataType {
        match self {
            HeaderType::Text => DataType::Utf8,
            HeaderType::Number => DataType::Float64,
            HeaderType::Integer => DataType::Int32,
            HeaderType::Flag => DataType::Boolean,
            HeaderType::Date => DataType::Date32,
        }
    }
}

/// What a change in a column means, for the suggested action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Scanner, protocol, reconstruction or encoding: a change is a protocol or scanner
    /// change.
    Acquisition,
    /// The patient mix.
    Demographic,
    /// When the study happened: context, not a feature.
    Context,
}

/// Where the value comes from in a DICOM file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DicomSource {
    /// The element's (first) value, read as the column's [`HeaderType`]: a flag is true
    /// when the element is present with a value, a date is a DA value.
    Element(Tag),
    /// Value `n` (from 0) of a multi-valued decimal element.
    Nth(Tag, usize),
    /// PatientAge, else whole years from PatientBirthDate to the study date.
    Age,
    /// The file's transfer syntax UID (from the file meta group).
    TransferSyntax,
}

macro_rules! header_columns {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// A typed header column of `headers.parquet`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum HeaderColumn {
            $($variant),+
        }

        impl HeaderColumn {
            /// Every column, in file order.
            pub const ALL: &'static [HeaderColumn] = &[$(HeaderColumn::$variant),+];

            /// The column name in `headers.parquet` and in reports.
            pub const fn name(self) -> &'static str {
                match self {
                    $(HeaderColumn::$variant => $name),+
                }
            }
        }
    };
}

header_columns! {
    Modality => "modality",
    Manufacturer => "manufacturer",
    ManufacturerModelName => "manufacturer_model_name",
    SoftwareVersions => "software_versions",
    StationName => "station_name",
    BodyPartExamined => "body_part_examined",
    ConvolutionKernel => "convolution_kernel",
    PatientSex => "patient_sex",
    PatientAgeYears => "patient_age_years",
    SliceThickness => "slice_thickness",
    SpacingBetweenSlices => "spacing_between_slices",
    PixelSpacingRow => "pixel_spacing_row",
    PixelSpacingCol => "pixel_spacing_col",
    Rows => "rows",
    Columns => "columns",
    Kvp => "kvp",
    ExposureMas => "exposure_mas",
    ContrastAgent => "contrast_agent",
    MagneticFieldStrength => "magnetic_field_strength",
    RepetitionTime => "repetition_time",
    EchoTime => "echo_time",
    StudyDate => "study_date",
    TransferSyntaxUid => "transfer_syntax_uid",
}

impl HeaderColumn {
    /// The column of this name, if it is a typed header column.
    pub fn from_name(name: &str) -> Option<HeaderColumn> {
        HeaderColumn::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// Its position among the typed columns (and in `HeaderRecord::fields`).
    pub fn index(self) -> usize {
        HeaderColumn::ALL
            .iter()
            .position(|c| *c == self)
            .expect("every column is in ALL")
    }

    pub fn value_type(self) -> HeaderType {
        use HeaderColumn::*;
        match self {
            Modality
            | Manufacturer
            | ManufacturerModelName
            | SoftwareVersions
            | StationName
            | BodyPartExamined
            | ConvolutionKernel
            | PatientSex
            | TransferSyntaxUid => HeaderType::Text,
            PatientAgeYears
            | SliceThickness
            | SpacingBetweenSlices
            | PixelSpacingRow
            | PixelSpacingCol
            | Kvp
            | ExposureMas
            | MagneticFieldStrength
            | RepetitionTime
            | EchoTime => HeaderType::Number,
            Rows | Columns => HeaderType::Integer,
            ContrastAgent => HeaderType::Flag,
            StudyDate => HeaderType::Date,
        }
    }

    pub fn data_type(self) -> DataType {
        self.value_type().data_type()
    }

    pub fn dicom(self) -> DicomSource {
        use DicomSource::*;
        match self {
            HeaderColumn::Modality => Element(tags::MODALITY),
            HeaderColumn::Manufacturer => Element(tags::MANUFACTURER),
            HeaderColumn::ManufacturerModelName => Element(tags::MANUFACTURER_MODEL_NAME),
            HeaderColumn::SoftwareVersions => Element(tags::SOFTWARE_VERSIONS),
            HeaderColumn::StationName => Element(tags::STATION_NAME),
            HeaderColumn::BodyPartExamined => Element(tags::BODY_PART_EXAMINED),
            HeaderColumn::ConvolutionKernel => Element(tags::CONVOLUTION_KERNEL),
            HeaderColumn::PatientSex => Element(tags::PATIENT_SEX),
            HeaderColumn::PatientAgeYears => Age,
            HeaderColumn::SliceThickness => Element(tags::SLICE_THICKNESS),
            HeaderColumn::SpacingBetweenSlices => Element(tags::SPACING_BETWEEN_SLICES),
            HeaderColumn::PixelSpacingRow => Nth(tags::PIXEL_SPACING, 0),
            HeaderColumn::PixelSpacingCol => Nth(tags::PIXEL_SPACING, 1),
            HeaderColumn::Rows => Element(tags::ROWS),
            HeaderColumn::Columns => Element(tags::COLUMNS),
            HeaderColumn::Kvp => Element(tags::KVP),
            HeaderColumn::ExposureMas => Element(tags::EXPOSURE),
            HeaderColumn::ContrastAgent => Element(tags::CONTRAST_BOLUS_AGENT),
            HeaderColumn::MagneticFieldStrength => Element(tags::MAGNETIC_FIELD_STRENGTH),
            HeaderColumn::RepetitionTime => Element(tags::REPETITION_TIME),
            HeaderColumn::EchoTime => Element(tags::ECHO_TIME),
            HeaderColumn::StudyDate => Element(tags::STUDY_DATE),
            HeaderColumn::TransferSyntaxUid => TransferSyntax,
        }
    }

    pub fn role(self) -> Role {
        match self {
            HeaderColumn::PatientSex | HeaderColumn::PatientAgeYears => Role::Demographic,
            HeaderColumn::StudyDate => Role::Context,
            _ => Role::Acquisition,
        }
    }

    /// How the case table compares it; `None` for context columns, which are no feature.
    /// Flags become the categories `yes`/`no`.
    pub fn feature_kind(self) -> Option<FeatureKind> {
        if self.role() == Role::Context {
            return None;
        }
        Some(match self.value_type() {
            HeaderType::Number | HeaderType::Integer => FeatureKind::Numeric,
            HeaderType::Text | HeaderType::Flag | HeaderType::Date => FeatureKind::Categorical,
        })
    }

    /// The unit shown after a value in reports (with its leading space), or "".
    pub fn unit(self) -> &'static str {
        use HeaderColumn::*;
        match self {
            SliceThickness | SpacingBetweenSlices | PixelSpacingRow | PixelSpacingCol => " mm",
            Kvp => " kVp",
            ExposureMas => " mAs",
            PatientAgeYears => " y",
            MagneticFieldStrength => " T",
            RepetitionTime | EchoTime => " ms",
            Rows | Columns => " px",
            Modality
            | Manufacturer
            | ManufacturerModelName
            | SoftwareVersions
            | StationName
            | BodyPartExamined
            | ConvolutionKernel
            | PatientSex
            | ContrastAgent
            | StudyDate
            | TransferSyntaxUid => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lower_snake_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in HeaderColumn::ALL.iter().enumerate() {
            assert!(seen.insert(c.name()), "{} twice", c.name());
            assert!(c
                .name()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_'));
            assert_eq!(HeaderColumn::from_name(c.name()), Some(*c));
            assert_eq!(c.index(), i);
        }
        assert_eq!(HeaderColumn::from_name("patient_name"), None);
    }

    #[test]
    fn only_context_columns_are_not_features() {
        let not: Vec<_> = HeaderColumn::ALL
            .iter()
            .filter(|c| c.feature_kind().is_none())
            .map(|c| c.name())
            .collect();
        assert_eq!(not, ["study_date"]);
        assert_eq!(
            HeaderColumn::ContrastAgent.feature_kind(),
            Some(FeatureKind::Categorical)
        );
        assert_eq!(HeaderColumn::Rows.data_type(), DataType::Int32);
    }

    #[test]
    fn no_phi_element_is_a_source() {
        for c in HeaderColumn::ALL {
            if let DicomSource::Element(tag) | DicomSource::Nth(tag, _) = c.dicom() {
                for phi in [
                    tags::PATIENT_NAME,
                    tags::PATIENT_ID,
                    tags::PATIENT_BIRTH_DATE,
                    tags::ACCESSION_NUMBER,
                ] {
                    assert_ne!(tag, phi, "{}", c.name());
                }
            }
        }
    }
}
