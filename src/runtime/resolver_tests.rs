use super::*;
use crate::deploy::snapshot::{Scheme, Upstream};
use crate::deploy::Snapshot;
use std::sync::atomic::{AtomicUsize, Ordering};

fn cell_with(hosts: &[&str]) -> Arc<SnapshotCell> {
    let mut snap = Snapshot::default();
    for h in hosts {
        snap.upstreams.push(Upstream {
            scheme: Scheme::Http,
            host: (*h).into(),
            port: 80,
            authority: (*h).into(),
            tls_skip_verify: false,
            client_cert: None,
            link: None,
        });
    }
    let cell = Arc::new(SnapshotCell::default());
    cell.publish(snap);
    cell
}

fn fast() -> Timing {
    Timing {
        refresh: Duration::from_millis(40),
        retry: Duration::from_millis(40),
    }
}

fn addr(last: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, last], 80))
}

/// Polls `book` until `pred` holds for upstream `id` (panics after 5 s).
fn until(book: &AddrBook, id: u32, what: &str, pred: impl Fn(Entry) -> bool) -> Entry {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let e = book.get(UpstreamId(id));
        if pred(e) {
            return e;
        }
        assert!(Instant::now() < deadline, "{what}: still {e:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn names_are_resolved_and_refreshed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let lookup: Lookup = Arc::new(move |_: &str, _| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        Ok(addr(n.min(200) as u8 + 1))
    });
    let book = start(cell_with(&["a.test"]), lookup, fast(), LinkTable::default()).unwrap();
    until(&book, 0, "first answer", |e| matches!(e, Entry::Ready(_)));
    until(
        &book,
        0,
        "refreshed answer",
        |e| matches!(e, Entry::Ready(a) if a != addr(1)),
    );
}

#[test]
fn a_failed_refresh_keeps_the_last_good_address() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let lookup: Lookup = Arc::new(move |_: &str, _| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Ok(addr(9))
        } else {
            Err(io::Error::other("SERVFAIL"))
        }
    });
    let book = start(cell_with(&["a.test"]), lookup, fast(), LinkTable::default()).unwrap();
    until(&book, 0, "first answer", |e| e == Entry::Ready(addr(9)));
    let deadline = Instant::now() + Duration::from_secs(5);
    while calls.load(Ordering::SeqCst) < 4 {
        assert!(Instant::now() < deadline, "no retries");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(book.get(UpstreamId(0)), Entry::Ready(addr(9)));
}

#[test]
fn an_unknown_name_fails_and_is_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let lookup: Lookup = Arc::new(move |_: &str, _| {
        c.fetch_add(1, Ordering::SeqCst);
        Err(io::Error::new(io::ErrorKind::NotFound, "NXDOMAIN"))
    });
    let book = start(
        cell_with(&["nope.test"]),
        lookup,
        fast(),
        LinkTable::default(),
    )
    .unwrap();
    until(&book, 0, "failure", |e| e == Entry::Failed);
    let seen = calls.load(Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(5);
    while calls.load(Ordering::SeqCst) == seen {
        assert!(Instant::now() < deadline, "a failed name is not retried");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_slow_name_does_not_hold_up_the_others_and_literals_are_skipped() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let lookup: Lookup = Arc::new(move |host: &str, _| {
        c.fetch_add(1, Ordering::SeqCst);
        if host == "slow.test" {
            std::thread::sleep(Duration::from_secs(3));
        }
        Ok(addr(if host == "slow.test" { 1 } else { 2 }))
    });
    let cell = cell_with(&["slow.test", "127.0.0.1", "[::1]"]);
    let book = start(
        cell.clone(),
        lookup,
        Timing::default(),
        LinkTable::default(),
    )
    .unwrap();
    // A name interned by a later snapshot is picked up too.
    let mut next = Snapshot {
        upstreams: cell.load().upstreams.clone(),
        ..Default::default()
    };
    next.upstreams.push(Upstream {
        scheme: Scheme::Http,
        host: "fast.test".into(),
        port: 80,
        authority: "fast.test".into(),
        tls_skip_verify: false,
        client_cert: None,
        link: None,
    });
    let started = Instant::now();
    cell.publish(next);
    book.rescan();
    until(&book, 3, "fast answer", |e| e == Entry::Ready(addr(2)));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the fast name waited for the slow one: {:?}",
        started.elapsed()
    );
    assert_eq!(
        book.get(UpstreamId(0)),
        Entry::Pending,
        "slow still in flight"
    );
    assert_eq!(
        book.get(UpstreamId(1)),
        Entry::Pending,
        "literal never looked up"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "only the two names were looked up"
    );
}

#[test]
fn a_worker_waiting_on_a_slow_name_fails_after_its_limit() {
    let lookup: Lookup = Arc::new(|_: &str, _| {
        std::thread::sleep(Duration::from_secs(2));
        Ok(addr(1))
    });
    let cell = cell_with(&["slow.test"]);
    let up = cell.load().upstreams[0].clone();
    let book = start(cell, lookup, Timing::default(), LinkTable::default()).unwrap();
    let started = Instant::now();
    let got = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
        .enable_timer()
        .build()
        .unwrap()
        .block_on(book.address(UpstreamId(0), &up, Duration::from_millis(150)));
    assert_eq!(got, Err(crate::core::addrs::AddrError::NotYet));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_secs(1),
        "{took:?}"
    );
}

#[test]
fn the_test_zone_answers_listed_names_after_their_delay() {
    let zone = test_zone("slow.test=127.0.0.2@50,Fast.Test=::1").unwrap();
    let t = Instant::now();
    assert_eq!(
        zone("SLOW.test", 81).unwrap(),
        "127.0.0.2:81".parse().unwrap()
    );
    assert!(t.elapsed() >= Duration::from_millis(50));
    assert_eq!(zone("fast.test", 82).unwrap(), "[::1]:82".parse().unwrap());
    for bad in ["x", "x=notip", "x=1.2.3.4@soon"] {
        assert!(test_zone(bad).is_err(), "{bad}");
    }
}
