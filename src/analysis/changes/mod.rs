//! Changes: the findings of a run grouped by the event that explains them, so that a
//! protocol change reads as one change and not as thirty alerts. The checks and findings
//! stay as they are; a change only names which of them one event explains, its headline,
//! its worst severity and one action. The rule, in order (docs/statistics.md, "Changes"):
//!
//! 1. **One feature, one change.** Findings on the same feature or output — over all
//!    cases and in any subgroup, its drift, new values and missing rate, the mix of a split
//!    by it — are one change: a subgroup finding echoes the overall one.
//! 2. **Complementary shares.** The acquisition clusters' occupancy and each cluster's
//!    share are one change: the shares of one partition add up to 1 (with k = 2 the two
//!    shares are complements).
//! 3. **A subgroup whose members moved.** A finding found only inside a subgroup (its
//!    feature has no finding over all cases), and the mix of a subgroup, join the change of
//!    the feature that defines the subgroup, when that feature moved over all cases: when
//!    `thick-slices` gains CT cases, every feature inside it shifts with them. One event per
//!    feature, one of its own category first; a label finding joins a patient-mix feature
//!    only; what rule 4 claims is left out.
//! 4. **A model that changed.** An unapproved model version explains the model's output,
//!    its realized and estimated performance, its error stream and its calibration;
//!    calibration drift, label shift and concept drift are one change of what the labels
//!    mean (the model's, under an unapproved model); without one, the realized metrics that fell (with a change point in the error
//!    stream) are one fall of the model's performance — the labels' change when there is
//!    one (a fall measured against labels that now mean something else).
//! 5. **The same cases.** Two findings over all cases whose shifts are carried by the same
//!    serving cases (the cases in the bins, categories or clusters that grew;
//!    [`carriers`]) are one change, when the overlap is at least 3 standard errors above
//!    chance and at least half-way from independence to containment; under an unapproved
//!    model, what follows the model is compared only with itself.
//! 6. **Inputs that moved the same night.** Over all cases, acquisition findings (not a
//!    mix of several features) that began the same night (their first-seen date from the
//!    history; tonight without one) are one change, and so are patient-mix findings: a
//!    protocol or scanner change moves several acquisition parameters at once even when
//!    each case gets only some of them, and a change in who is scanned moves age and sex
//!    together. An input finding seen only inside subgroups that no rule joined to an event
//!    over all cases joins its category's change of that night.
//!
//! Each join is recorded in the change's `grouped` list in words.

pub mod carriers;

use std::collections::BTreeMap;

use serde::Serialize;

pub use carriers::{Carriers, Serving, NO_CODE};

use crate::analysis::findings::{Check, Kind, Severity};
use crate::config::Config;
use crate::table::columns::{HeaderColumn, Role};

/// One event's findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// `C1`, `C2`, … in the report's order (most severe first).
    pub id: String,
    /// What happened, in one line.
    pub headline: String,
    /// acquisition, patient mix, model, labels, performance, input, release gate.
    pub category: &'static str,
    /// The worst severity of its findings.
    pub severity: Severity,
    /// Features, outputs and metrics it touches, in the order its findings rank.
    pub features: Vec<String>,
    /// Subgroups it was found in ("all cases" not listed), sorted.
    pub subgroups: Vec<String>,
    /// Acquisition clusters it touches.
    pub clusters: Vec<String>,
    /// The earliest first-seen date of its findings (from the audit history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// One action.
    pub action: String,
    /// Its findings, as [`finding_id`]s.
    pub findings: Vec<String>,
    /// Why its findings are one change, one line per join.
    pub grouped: Vec<String>,
}

/// A finding's id: `kind/subject`, with `@subgroup` inside a subgroup.
pub fn finding_id(c: &Check) -> String {
    let kind = c.kind.as_str().replace(' ', "-");
    match &c.subgroup {
        Some(g) => format!("{kind}/{}@{g}", c.subject),
        None => format!("{kind}/{}", c.subject),
    }
}

/// What the grouping knows beyond the findings: which features define each subgroup and
/// each case's carriers of each shift.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub carriers: Carriers,
    /// Subgroup or split name → the features that define it.
    defining: BTreeMap<String, Vec<String>>,
    /// A `by` split's name → its feature.
    by_splits: BTreeMap<String, String>,
}

impl Context {
    pub fn new(config: &Config, carriers: Carriers) -> Context {
        use crate::analysis::subgroups::ALIASES;
        let real = |c: &str| {
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == c)
                .map_or(c, |(_, r)| r)
                .to_string()
        };
        let mut defining = BTreeMap::new();
        let mut by_splits = BTreeMap::new();
        for def in config.subgroups() {
            if let Some(condition) = &def.condition {
                let columns = crate::analysis::expr::Expr::parse(condition)
                    .map(|e| e.columns().iter().map(|c| real(c)).collect())
                    .unwrap_or_default();
                defining.insert(def.name.clone().unwrap_or(condition.clone()), columns);
            } else if let Some(by) = &def.by {
                let name = def.name.clone().unwrap_or(by.clone());
                defining.insert(name.clone(), vec![real(by)]);
                by_splits.insert(name, real(by));
            }
        }
        Context {
            carriers,
            defining,
            by_splits,
        }
    }

    /// The features that define a subgroup label ("patient_sex = F", "thick-slices") or a
    /// split's name.
    fn defining(&self, label: &str) -> &[String] {
        if let Some(f) = self.defining.get(label) {
            return f;
        }
        self.defining
            .iter()
            .filter(|(name, _)| {
                label.len() > name.len()
                    && label.starts_with(name.as_str())
                    && label[name.len()..].starts_with(' ')
            })
            .max_by_key(|(name, _)| name.len())
            .map_or(&[], |(_, f)| f.as_slice())
    }
}

/// The feature a finding is about, for rule 1: a composition of a split by one feature is
/// that feature's; everything else is its own subject within its kind's family.
fn feature_key(c: &Check, ctx: &Context) -> String {
    match c.kind {
        Kind::FeatureDrift | Kind::NewCategory | Kind::Missingness => c.subject.clone(),
        Kind::Composition => {
            let split = c.subject.strip_prefix("mix: ").unwrap_or(&c.subject);
            ctx.by_splits
                .get(split)
                .cloned()
                .unwrap_or_else(|| c.subject.clone())
        }
        Kind::ClusterOccupancy => "acquisition clusters".into(),
        other => format!("{}: {}", other.as_str(), c.subject),
    }
}

fn category(c: &Check, ctx: &Context) -> &'static str {
    let role_of = |feature: &str| HeaderColumn::from_name(feature).map(HeaderColumn::role);
    let by_role = |features: &[String]| {
        if features
            .iter()
            .any(|f| role_of(f) == Some(Role::Acquisition))
        {
            "acquisition"
        } else if features
            .iter()
            .any(|f| role_of(f) == Some(Role::Demographic))
        {
            "patient mix"
        } else {
            "input"
        }
    };
    match c.kind {
        Kind::FeatureDrift | Kind::NewCategory | Kind::Missingness => {
            by_role(std::slice::from_ref(&c.subject))
        }
        Kind::Composition => {
            let split = c.subject.strip_prefix("mix: ").unwrap_or(&c.subject);
            let features: Vec<String> = split
                .split(" × ")
                .flat_map(|part| ctx.defining(part).to_vec())
                .collect();
            by_role(&features)
        }
        Kind::ClusterOccupancy | Kind::NovelCases => "acquisition",
        Kind::ModelOutput | Kind::ModelVersion => "model",
        Kind::CalibrationDrift | Kind::LabelShift | Kind::ConceptDrift => "labels",
        Kind::Performance | Kind::EstimatedPerformance | Kind::ChangePoint => "performance",
        Kind::Gate => "release gate",
        Kind::MissingInput => "input",
    }
}

/// What an unapproved model version explains (rule 4): its output, realized and estimated
/// performance, error stream and calibration.
fn follows_the_model(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::ModelOutput
            | Kind::EstimatedPerformance
            | Kind::CalibrationDrift
            | Kind::Performance
            | Kind::ChangePoint
    )
}

struct Union {
    parent: Vec<usize>,
    why: Vec<(usize, String)>,
}

impl Union {
    fn find(&mut self, i: usize) -> usize {
        let mut r = i;
        while self.parent[r] != r {
            r = self.parent[r];
        }
        self.parent[i] = r;
        r
    }

    /// Joins the groups of `a` and `b` (the lower index becomes the root, so a group is
    /// led by its highest-ranked finding); records `why` when they were apart.
    fn join(&mut self, a: usize, b: usize, why: impl FnOnce() -> String) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (root, child) = (ra.min(rb), ra.max(rb));
        self.parent[child] = root;
        self.why.push((root, why()));
    }
}

/// Groups `findings` (in the report's order, most severe first) into changes.
pub fn group(findings: &[Check], ctx: &Context) -> Vec<Change> {
    let n = findings.len();
    let mut u = Union {
        parent: (0..n).collect(),
        why: Vec::new(),
    };
    let keys: Vec<String> = findings.iter().map(|c| feature_key(c, ctx)).collect();

    // 1. One feature, one change; 2. the clusters' shares (one key for all of them).
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        match first.get(key.as_str()) {
            Some(&j) => u.join(j, i, String::new),
            None => {
                first.insert(key, i);
            }
        }
    }
    let overall: Vec<&str> = keys
        .iter()
        .zip(findings)
        .filter(|(_, c)| c.subgroup.is_none())
        .map(|(k, _)| k.as_str())
        .collect();

    // 3. A subgroup whose members moved — except for what rule 4 explains: a fall inside a
    // subgroup under a new model version is the model's, a label share that moved inside a
    // subgroup is the labels', and joining it to the subgroup's feature as well would make
    // two events one change.
    let swap = findings.iter().position(|c| c.kind == Kind::ModelVersion);
    let mut moved_overall: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, c) in findings.iter().enumerate() {
        if c.subgroup.is_none() {
            moved_overall.entry(keys[i].as_str()).or_insert(i);
        }
    }
    type Target<'a> = (usize, &'a String, &'a str);
    let mut inside: BTreeMap<&str, (usize, Target, bool)> = BTreeMap::new();
    let labels_kind = |k: Kind| {
        matches!(
            k,
            Kind::CalibrationDrift | Kind::LabelShift | Kind::ConceptDrift
        )
    };
    let labels_moved = findings.iter().any(|c| labels_kind(c.kind));
    for (i, c) in findings.iter().enumerate() {
        // Rule 4 claims these: the model's, or the labels' (and the falls measured
        // against them).
        if (swap.is_some() && follows_the_model(c.kind))
            || (labels_moved && matches!(c.kind, Kind::Performance | Kind::ChangePoint))
        {
            continue;
        }
        let parts: Vec<&str> = match (c.kind, &c.subgroup) {
            (Kind::Composition, _) => c
                .subject
                .strip_prefix("mix: ")
                .unwrap_or(&c.subject)
                .split(" × ")
                .collect(),
            (_, Some(g)) if !overall.contains(&keys[i].as_str()) => {
                g.split(" × ").map(str::trim).collect()
            }
            _ => continue,
        };
        // The features that define the subgroup and moved over all cases; one of the
        // finding's own category (a sex shift inside "age ≥65" is the patient mix's, not the
        // scanner's when it also shows inside "manufacturer = GE") before any other.
        let own = category(c, ctx);
        let mut targets: Vec<(usize, &String, &str)> = parts
            .iter()
            .flat_map(|part| {
                ctx.defining(part)
                    .iter()
                    .filter(|f| **f != keys[i])
                    .filter_map(|f| moved_overall.get(f.as_str()).map(|&j| (j, f, *part)))
            })
            .collect();
        // What the labels mean moves with who is scanned (prevalence follows age), never
        // with how: a label finding joins a patient-mix feature only.
        if labels_kind(c.kind) {
            targets.retain(|t| category(&findings[t.0], ctx) == "patient mix");
        }
        let best = targets
            .iter()
            .find(|t| category(&findings[t.0], ctx) == own)
            .map(|t| (*t, true))
            .or_else(|| targets.first().map(|t| (*t, false)));
        let Some((target, same)) = best else {
            continue;
        };
        if c.kind == Kind::Composition {
            let (j, feature, part) = target;
            u.join(j, i, || {
                format!(
                    "{} is a mix of {part}, which {feature} defines, and {feature} moved",
                    c.subject
                )
            });
            continue;
        }
        // A feature found only inside subgroups is one change already (rule 1): it joins
        // one event, the best target over all its findings (rank order breaks ties).
        match inside.get(keys[i].as_str()) {
            Some(&(_, _, true)) => {}
            Some(&(_, _, false)) if !same => {}
            _ => {
                inside.insert(&keys[i], (i, target, same));
            }
        }
    }
    for (i, (j, feature, part), _) in inside.into_values() {
        let c = &findings[i];
        u.join(j, i, || {
            format!(
                "{} moved only inside {part}, whose members {feature} defines, and {feature} moved",
                c.subject
            )
        });
    }

    // 4. A model that changed; labels that changed.
    let label_kinds = |k: Kind| {
        matches!(
            k,
            Kind::CalibrationDrift | Kind::LabelShift | Kind::ConceptDrift
        )
    };
    let labels = findings.iter().position(|c| label_kinds(c.kind));
    // The model's realized performance: every metric that fell and a change point in its
    // error stream are one fall, not one change per metric.
    let fell = |k: Kind| matches!(k, Kind::Performance | Kind::ChangePoint);
    let first_fall = findings.iter().position(|c| fell(c.kind));
    for (i, c) in findings.iter().enumerate() {
        match (swap, labels) {
            (Some(s), _) if follows_the_model(c.kind) => {
                u.join(s, i, || {
                    format!(
                        "{} follows the unapproved model ({})",
                        c.subject, findings[s].subject
                    )
                });
            }
            (_, Some(l)) if label_kinds(c.kind) => u.join(l, i, || {
                "calibration, label share and concept drift all speak of what the labels mean"
                    .into()
            }),
            (None, Some(l)) if fell(c.kind) => u.join(l, i, || {
                format!(
                    "{} fell as the labels changed ({}): measured against labels that mean something else",
                    c.subject, findings[l].subject
                )
            }),
            (None, _) if fell(c.kind) => {
                if let Some(f) = first_fall.filter(|&f| f != i) {
                    u.join(f, i, || {
                        format!(
                            "{} fell with {}: one fall of the model's performance",
                            c.subject, findings[f].subject
                        )
                    });
                }
            }
            _ => {}
        }
    }

    // 5. The same cases.
    let carried: Vec<(usize, &carriers::Bits)> = findings
        .iter()
        .enumerate()
        .filter(|(_, c)| c.subgroup.is_none())
        .filter_map(|(i, c)| ctx.carriers.get(&finding_id(c)).map(|b| (i, b)))
        .collect();
    // What follows an unapproved model (rule 4) is the model's: its shift may be carried
    // by another event's cases too (a new scanner's scores differ), but that does not make
    // the two events one.
    let model_side = |i: usize| swap.is_some() && follows_the_model(findings[i].kind);
    for (x, &(i, a)) in carried.iter().enumerate() {
        for &(j, b) in &carried[x + 1..] {
            if model_side(i) != model_side(j) {
                continue;
            }
            if let Some(co) = carriers::coincidence(a, b, ctx.carriers.n) {
                if co.joins() {
                    u.join(i, j, || {
                        format!(
                            "{} and {} moved in the same cases: {} of the smaller set of {} are in the other (z = {:.1})",
                            findings[i].subject,
                            findings[j].subject,
                            co.overlap,
                            a.len().min(b.len()),
                            co.z
                        )
                    });
                }
            }
        }
    }

    // 6. The same night's inputs. A mix is left out: it is a mix of several features
    // (age × sex × manufacturer), so it would join a patient-mix and an acquisition event
    // that merely began the same night; rule 3 has already joined it to what moved.
    let mut onset: BTreeMap<(&str, Option<&str>), usize> = BTreeMap::new();
    for (i, c) in findings.iter().enumerate() {
        let cat = category(c, ctx);
        if c.subgroup.is_some()
            || c.kind == Kind::Composition
            || !matches!(cat, "acquisition" | "patient mix")
        {
            continue;
        }
        match onset.get(&(cat, c.first_seen.as_deref())) {
            Some(&j) => u.join(j, i, || {
                let since = c.first_seen.as_deref().map_or("tonight".to_string(), |d| {
                    format!("since {}", &d[..10.min(d.len())])
                });
                format!(
                    "{} and {} are both {cat} findings that began together ({since})",
                    findings[j].subject, c.subject
                )
            }),
            None => {
                onset.insert((cat, c.first_seen.as_deref()), i);
            }
        }
    }

    // 6b. An input finding seen only inside subgroups, with no event of its own over all
    // cases to join (rules 1, 3), belongs to its category's change of the same night.
    let mut has_overall = vec![false; n];
    for (i, c) in findings.iter().enumerate() {
        if c.subgroup.is_none() {
            let r = u.find(i);
            has_overall[r] = true;
        }
    }
    for i in 0..n {
        if u.find(i) != i || has_overall[i] {
            continue;
        }
        let c = &findings[i];
        let cat = category(c, ctx);
        if let Some(&j) = onset.get(&(cat, c.first_seen.as_deref())) {
            u.join(j, i, || {
                format!(
                    "{} moved only inside subgroups ({}), with no {cat} event of its own, and {} began the same night",
                    c.subject,
                    c.subgroup.as_deref().unwrap_or("all cases"),
                    findings[j].subject
                )
            });
        }
    }

    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let root = u.find(i);
        members.entry(root).or_default().push(i);
    }
    let mut why: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (root, text) in std::mem::take(&mut u.why) {
        if !text.is_empty() {
            let root = u.find(root);
            why.entry(root).or_default().push(text);
        }
    }
    members
        .into_iter()
        .enumerate()
        .map(|(k, (root, idx))| {
            change(
                k + 1,
                findings,
                &idx,
                &keys,
                ctx,
                why.remove(&root).unwrap_or_default(),
            )
        })
        .collect()
}

fn change(
    number: usize,
    findings: &[Check],
    idx: &[usize],
    keys: &[String],
    ctx: &Context,
    grouped: Vec<String>,
) -> Change {
    let checks: Vec<&Check> = idx.iter().map(|&i| &findings[i]).collect();
    // The lead: an unapproved model version (what everything else in its change follows),
    // else in a change with no input finding what the labels mean, else the highest-ranked
    // feature finding over all cases (a mix or a cluster share says
    // less in a headline), else the highest-ranked over all cases, else the first.
    let input = |k: Kind| {
        matches!(
            k,
            Kind::FeatureDrift
                | Kind::NewCategory
                | Kind::Missingness
                | Kind::Composition
                | Kind::ClusterOccupancy
        )
    };
    let label_led = !checks.iter().any(|c| c.subgroup.is_none() && input(c.kind));
    let at = checks
        .iter()
        .position(|c| c.subgroup.is_none() && c.kind == Kind::ModelVersion)
        .or_else(|| {
            // What the labels mean, when nothing moved in the inputs: the falls measured
            // against them follow it (rule 4).
            let labels = |c: &&Check| {
                label_led
                    && matches!(
                        c.kind,
                        Kind::LabelShift | Kind::CalibrationDrift | Kind::ConceptDrift
                    )
            };
            checks
                .iter()
                .position(|c| labels(c) && c.subgroup.is_none())
                .or_else(|| checks.iter().position(labels))
        })
        .or_else(|| {
            checks.iter().position(|c| {
                c.subgroup.is_none()
                    && !matches!(c.kind, Kind::Composition | Kind::ClusterOccupancy)
            })
        })
        .or_else(|| checks.iter().position(|c| c.subgroup.is_none()))
        .unwrap_or(0);
    let lead = checks[at];
    let category = category(lead, ctx);
    let name_of = |i: usize, c: &Check| match c.kind {
        Kind::FeatureDrift | Kind::NewCategory | Kind::Missingness | Kind::Composition => {
            Some(keys[i].clone())
        }
        Kind::ClusterOccupancy => None,
        _ => Some(c.subject.clone()),
    };
    let mut features: Vec<String> = Vec::new();
    let mut clusters: Vec<String> = Vec::new();
    for (&i, c) in idx.iter().zip(&checks) {
        match name_of(i, c) {
            Some(name) if !features.contains(&name) => features.push(name),
            Some(_) => {}
            None if c.subject != "all clusters" && !clusters.contains(&c.subject) => {
                clusters.push(c.subject.clone());
            }
            None => {}
        }
    }
    let lead_name = name_of(idx[at], lead);
    let mut subgroups: Vec<String> = checks.iter().filter_map(|c| c.subgroup.clone()).collect();
    subgroups.sort();
    subgroups.dedup();
    let severity = checks
        .iter()
        .map(|c| c.severity)
        .max()
        .unwrap_or(Severity::Warn);
    let first_seen = checks.iter().filter_map(|c| c.first_seen.clone()).min();
    let scope = lead
        .explained_by
        .as_deref()
        .or(lead.subgroup.as_deref())
        .map_or(String::new(), |g| format!(" in {g}"));
    let mut others: Vec<String> = features
        .iter()
        .filter(|f| Some(*f) != lead_name.as_ref())
        .cloned()
        .collect();
    if !clusters.is_empty() {
        others.push(if clusters.len() == 1 {
            clusters[0].clone()
        } else {
            format!("{} acquisition clusters", clusters.len())
        });
    }
    let with = match others.len() {
        0 => String::new(),
        1..=4 => format!("; with {}", others.join(", ")),
        k => format!("; with {} and {} more", others[..3].join(", "), k - 3),
    };
    let title = match category {
        "acquisition" => "Acquisition change",
        "patient mix" => "Patient mix change",
        "model" if checks.iter().any(|c| c.kind == Kind::ModelVersion) => "Model change",
        "model" => "Model output change",
        "labels" => "Label meaning change",
        "performance" => "Performance change",
        "release gate" => "Release gate",
        _ => "Input change",
    };
    let headline = format!("{title}{scope}: {} — {}{with}", what(lead), lead.summary);
    let named = |list: &[String]| {
        let shown: Vec<&str> = list.iter().take(4).map(String::as_str).collect();
        let more = list.len().saturating_sub(shown.len());
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    let action = match category {
        "acquisition" if lead.kind != Kind::NewCategory => format!(
            "Confirm with the radiology team whether a protocol, scanner or software changed ({}{scope}); check model performance on the affected cases before relying on its results.",
            named(&features_or_clusters(&features, &clusters))
        ),
        "patient mix" => format!(
            "The patient mix changed ({}{scope}): check model performance for the groups that grew; acquire labelled cases for under-represented groups before retraining.",
            named(&features)
        ),
        _ => lead.action.clone(),
    };
    Change {
        id: format!("C{number}"),
        headline,
        category,
        severity,
        features,
        subgroups,
        clusters,
        first_seen,
        action,
        findings: checks.iter().map(|c| finding_id(c)).collect(),
        grouped,
    }
}

fn features_or_clusters(features: &[String], clusters: &[String]) -> Vec<String> {
    if features.is_empty() {
        clusters.to_vec()
    } else {
        features.to_vec()
    }
}

/// What a check is about, in words: "kvp changed", "New manufacturer value".
pub fn what(c: &Check) -> String {
    match c.kind {
        Kind::NewCategory => format!("New {} value", c.subject),
        Kind::Missingness => format!("{} missing more often", c.subject),
        Kind::Composition => format!("{} changed", c.subject.replacen("mix: ", "Mix of ", 1)),
        Kind::ModelOutput => format!("Model output ({}) changed", c.subject),
        Kind::FeatureDrift => format!("{} changed", c.subject),
        Kind::Performance | Kind::Gate => c.subject.clone(),
        Kind::EstimatedPerformance => format!("Estimated {} (before labels)", c.subject),
        Kind::CalibrationDrift => "Scores no longer mean what they meant in validation".to_string(),
        Kind::LabelShift => "Share of positive labels changed".to_string(),
        Kind::ConceptDrift => "Suspected concept drift".to_string(),
        Kind::ChangePoint => format!("Change point in the {}", c.subject),
        Kind::ModelVersion => format!("Unapproved model {}", c.subject),
        Kind::ClusterOccupancy => format!("Acquisition cluster occupancy changed: {}", c.subject),
        Kind::NovelCases => "Novel acquisitions".to_string(),
        Kind::MissingInput => "Missing input".to_string(),
    }
}

#[cfg(test)]
mod tests;
