//! A tiny DICOMweb server in a thread, for the failure modes a real Orthanc does not show:
//! 503s, 401s, servers that cap results or ignore `offset`, `Warning: 299`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::Value;

/// A tiny DICOMweb server in a thread: `answer(request number, path, Authorization)`
/// gives the status line and body; counts every request.
pub fn fake_server(
    answer: impl Fn(usize, &str, Option<&str>) -> (&'static str, String) + Send + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/dicom-web", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut auth = None;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("authorization") {
                        auth = Some(value.trim().to_string());
                    }
                }
                line.clear();
            }
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let path = request_line.split(' ').nth(1).unwrap_or_default();
            let (status, body) = answer(n, path, auth.as_deref());
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/dicom+json\r\n\
                 Retry-After: 0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

/// One study, one series, one instance.
pub fn one_instance(path: &str) -> (&'static str, String) {
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
pub fn flaky_server(failures: usize) -> (String, Arc<AtomicUsize>) {
    fake_server(move |n, path, _| {
        if n < failures {
            ("503 Service Unavailable", String::new())
        } else {
            one_instance(path)
        }
    })
}

pub fn instance_json() -> String {
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
pub fn query<'a>(path: &'a str, key: &str) -> Option<&'a str> {
    let (_, query) = path.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

pub fn uid_list(tag: &str, uids: &[String]) -> String {
    let items: Vec<Value> = uids
        .iter()
        .map(|u| serde_json::json!({tag: {"vr": "UI", "Value": [u]}}))
        .collect();
    Value::Array(items).to_string()
}

/// Study `i`'s series and instance, for servers listing several studies.
pub fn study_parts(path: &str) -> Option<(&'static str, String)> {
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
