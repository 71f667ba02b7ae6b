//! `scan --dicomweb` against a tiny DICOMweb server in a thread, for the failure modes a
//! real Orthanc does not show: 503s, 401s and token refresh, servers that cap results or
//! ignore `offset`, `Warning: 299`, a series that fails.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::table_read::{all_text, rows};
use crate::workdir::{testdata, Workdir};

const PASSWORD_ENV: &str = "POSTMARKET_DICOMWEB_PASSWORD";

type Answer = dyn Fn(usize, &str, Option<&str>) -> (&'static str, String) + Send + Sync;

/// A tiny DICOMweb server in a thread: `answer(request number, path, Authorization)`
/// gives the status line and body; counts every request.
fn fake_server(
    answer: impl Fn(usize, &str, Option<&str>) -> (&'static str, String) + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/dicom-web", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let answer: Arc<Answer> = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            serve(stream.unwrap(), &*answer, &counter);
        }
    });
    (url, seen)
}

/// [`fake_server`] over https, with testdata/tls/server.pem (signed by testdata/tls/ca.pem,
/// made by scripts/make_test_certs.sh).
fn tls_server(
    answer: impl Fn(usize, &str, Option<&str>) -> (&'static str, String) + Send + Sync + 'static,
) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(testdata("tls/server.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(testdata("tls/server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/dicom-web", listener.local_addr().unwrap());
    let counter = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let connection = rustls::ServerConnection::new(config.clone()).unwrap();
            serve(
                rustls::StreamOwned::new(connection, stream.unwrap()),
                &answer,
                &counter,
            );
        }
    });
    url
}

/// Answers one request on `stream` (a client that gives up mid-way is ignored).
fn serve(mut stream: impl Read + Write, answer: &Answer, counter: &AtomicUsize) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split(' ').nth(1).unwrap_or_default();
    let auth = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("authorization")
            .then(|| value.trim())
    });
    let n = counter.fetch_add(1, Ordering::SeqCst);
    let (status, body) = answer(n, path, auth);
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/dicom+json\r\n\
         Retry-After: 0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// One study, one series, one instance.
fn one_instance(path: &str) -> (&'static str, String) {
    let body = if path.contains("/metadata") {
        instance_json()
    } else if path.contains("/series") {
        r#"[{"0020000E": {"vr": "UI", "Value": ["1.2.3.2"]}}]"#.into()
    } else if path.contains("offset=0") {
        r#"[{"0020000D": {"vr": "UI", "Value": ["1.2.3.1"]}}]"#.into()
    } else {
        "[]".into()
    };
    ("200 OK", body)
}

/// [`one_instance`] after 503 to the first `failures` requests.
fn flaky_server(failures: usize) -> (String, Arc<AtomicUsize>) {
    fake_server(move |n, path, _| {
        if n < failures {
            ("503 Service Unavailable", String::new())
        } else {
            one_instance(path)
        }
    })
}

fn instance_json() -> String {
    serde_json::json!([{
        "0020000D": {"vr": "UI", "Value": ["1.2.3.1"]},
        "0020000E": {"vr": "UI", "Value": ["1.2.3.2"]},
        "00080018": {"vr": "UI", "Value": ["1.2.3.3"]},
        "00080060": {"vr": "CS", "Value": ["CT"]},
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "CANARY^FAKE"}]},
        "00101010": {"vr": "AS", "Value": ["061Y"]},
        "00180050": {"vr": "DS", "Value": [1.5]},
        "00180060": {"vr": "DS", "Value": ["120"]},
        "00280010": {"vr": "US", "Value": [512]},
        "00280030": {"vr": "DS", "Value": [0.5, "0.5"]}
    }])
    .to_string()
}

/// The value of `key` in the request's query string.
fn query<'a>(path: &'a str, key: &str) -> Option<&'a str> {
    let (_, query) = path.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

fn uid_list(tag: &str, uids: &[String]) -> String {
    let items: Vec<Value> = uids
        .iter()
        .map(|u| serde_json::json!({tag: {"vr": "UI", "Value": [u]}}))
        .collect();
    Value::Array(items).to_string()
}

/// Study `i`'s series and instance, for servers listing several studies.
fn study_parts(path: &str) -> Option<(&'static str, String)> {
    let study = path.split("/studies/").nth(1)?.split('/').next()?;
    let body = if path.contains("/metadata") {
        let mut json: Value = serde_json::from_str(&instance_json()).unwrap();
        json[0]["0020000D"]["Value"][0] = study.into();
        json[0]["0020000E"]["Value"][0] = format!("{study}.1").into();
        json[0]["00080018"]["Value"][0] = format!("{study}.1.1").into();
        json.to_string()
    } else {
        uid_list("0020000E", &[format!("{study}.1")])
    };
    Some(("200 OK", body))
}

#[test]
fn retries_after_503_then_succeeds() {
    let (url, seen) = flaky_server(2);
    let wd = Workdir::new();
    let out = wd
        .command(&["scan", "--dicomweb", &url, "-o", "h.parquet"])
        .env_remove(PASSWORD_ENV)
        .env_remove("POSTMARKET_DICOMWEB_TOKEN")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let rows = rows(&wd.path("h.parquet"));
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["sop_instance_uid"], "1.2.3.3");
    assert_eq!(row["patient_age_years"], 61.0);
    assert_eq!(row["slice_thickness"], 1.5);
    assert_eq!(row["kvp"], 120.0);
    assert_eq!(row["rows"], 512);
    assert_eq!(row["pixel_spacing_col"], 0.5);
    assert!(!all_text(&wd.path("h.parquet")).contains("CANARY"));
    // 2 refused + studies + series + metadata (+ the empty second study page, if asked).
    assert!(seen.load(Ordering::SeqCst) >= 5);
}

#[test]
fn a_server_that_keeps_failing_is_a_per_run_error_not_a_hang() {
    let (url, _) = flaky_server(usize::MAX);
    let wd = Workdir::new();
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--retries",
        "1",
        "-o",
        "h.parquet",
    ];
    let log = wd.run_expect(&args, 3);
    assert!(log.contains("HTTP 503 after 2 attempt(s)"), "{log}");
}

#[test]
fn a_bearer_token_file_is_read_again_after_a_401() {
    let wd = Workdir::new();
    let token_file = wd.write("token", "tok-OLD-1\n");
    let refreshed = token_file.clone();
    // The first request carries the old token: the "sidecar" writes a new one, and the
    // server says 401; only the new token is accepted.
    let (url, _) = fake_server(move |_, path, auth| match auth {
        Some("Bearer tok-NEW-2") => one_instance(path),
        _ => {
            std::fs::write(&refreshed, "tok-NEW-2\n").unwrap();
            ("401 Unauthorized", String::new())
        }
    });
    let file = token_file.display().to_string();
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--token-file",
        &file,
        "-o",
        "h.parquet",
    ];
    let log = wd.run_expect(&args, 0);
    assert!(!log.contains("tok-"), "{log}");
    assert_eq!(rows(&wd.path("h.parquet")).len(), 1);
    // A token that stays wrong is exit 3.
    let (url, _) = fake_server(|_, _, _| ("401 Unauthorized", String::new()));
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--token-file",
        &file,
        "-o",
        "x.parquet",
    ];
    let log = wd.run_expect(&args, 3);
    assert!(
        log.contains("refused the credentials") && !log.contains("tok-"),
        "{log}"
    );
}

#[test]
fn a_server_that_caps_and_ignores_offset_is_split_by_date() {
    // Four studies on four days, three more on the 6th; at most 2 results per query,
    // whatever the offset.
    let mut studies: Vec<(String, u32)> = (1..=4).map(|d| (format!("1.2.9.{d}"), d)).collect();
    studies.extend((5..=7).map(|i| (format!("1.2.9.{i}"), 6)));
    let (url, _) = fake_server(move |_, path, _| {
        if let Some(answer) = study_parts(path) {
            return answer;
        }
        let range = query(path, "StudyDate").unwrap_or("20261101-20261130");
        let (from, to) = range.split_once('-').unwrap();
        let day = |s: &str| s[6..].parse::<u32>().unwrap();
        let hits: Vec<String> = studies
            .iter()
            .filter(|(_, d)| (day(from)..=day(to)).contains(d))
            .map(|(uid, _)| uid.clone())
            .take(2)
            .collect();
        ("200 OK", uid_list("0020000D", &hits))
    });
    let wd = Workdir::new();
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--study-date",
        "20261101-20261107",
        "--page-size",
        "2",
        "-o",
        "h.parquet",
    ];
    let log = wd.run_expect(&args, 0);
    assert_eq!(rows(&wd.path("h.parquet")).len(), 6, "{log}");
    assert!(log.contains("2026-11-06 is possibly truncated"), "{log}");
}

#[test]
fn warning_299_keeps_paging_past_a_short_page() {
    // One result per page whatever the limit, with the standard warning while more remain.
    let studies: Vec<String> = (1..=3).map(|i| format!("1.2.8.{i}")).collect();
    let (url, _) = fake_server(move |_, path, _| {
        if let Some(answer) = study_parts(path) {
            return answer;
        }
        let offset: usize = query(path, "offset").unwrap().parse().unwrap();
        let page: Vec<String> = studies.iter().skip(offset).take(1).cloned().collect();
        if offset + 1 < studies.len() {
            (
                "200 OK\r\nWarning: 299 test \"There are additional results that can be requested\"",
                uid_list("0020000D", &page),
            )
        } else {
            ("200 OK", uid_list("0020000D", &page))
        }
    });
    let wd = Workdir::new();
    let log = wd.run_expect(&["scan", "--dicomweb", &url, "-o", "h.parquet"], 0);
    assert_eq!(rows(&wd.path("h.parquet")).len(), 3, "{log}");
}

#[test]
fn a_series_that_fails_is_a_reject_and_the_others_are_read() {
    let (url, _) = fake_server(|_, path, _| {
        if path.contains("1.2.7.2.1/metadata") {
            return ("500 Internal Server Error", String::new());
        }
        if let Some(answer) = study_parts(path) {
            return answer;
        }
        let all = ["1.2.7.1".to_string(), "1.2.7.2".into(), "1.2.7.3".into()];
        let offset = query(path, "offset").unwrap();
        let page: &[String] = if offset == "0" { &all } else { &[] };
        ("200 OK", uid_list("0020000D", page))
    });
    let wd = Workdir::new();
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--retries",
        "0",
        "-o",
        "h.parquet",
    ];
    let args = [&args[..], &["--rejects", "r.parquet"]].concat();
    let log = wd.run_expect(&args, 0);
    assert_eq!(rows(&wd.path("h.parquet")).len(), 2, "{log}");
    let rejects = rows(&wd.path("r.parquet"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["kind"], "fetch-failed");
    assert_eq!(
        rejects[0]["source_path"],
        "/studies/1.2.7.2/series/1.2.7.2.1"
    );
    let strict = [&args[..], &["--strict"]].concat();
    wd.run_expect(&strict, 3);
}

#[test]
fn https_with_the_hospital_ca_from_ca_cert_and_refused_without_it() {
    let url = tls_server(|_, path, _| one_instance(path));
    let wd = Workdir::new();
    let ca = testdata("tls/ca.pem").display().to_string();
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--ca-cert",
        &ca,
        "-o",
        "h.parquet",
    ];
    wd.run_expect(&args, 0);
    assert_eq!(rows(&wd.path("h.parquet")).len(), 1);
    // The public roots do not know the test CA: the handshake fails, exit 3.
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--retries",
        "0",
        "-o",
        "x.parquet",
    ];
    let log = wd.run_expect(&args, 3);
    assert!(log.to_lowercase().contains("certificate"), "{log}");
    // A file that holds no certificate is refused by name.
    let not_pem = wd.write("not.pem", "hello");
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--ca-cert",
        not_pem.to_str().unwrap(),
    ];
    let log = wd.run_expect(&[&args[..], &["-o", "y.parquet"]].concat(), 3);
    assert!(
        log.contains("not.pem") && log.contains("no certificate"),
        "{log}"
    );
}
