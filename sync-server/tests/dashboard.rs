//! The coordinators' dashboard over a real relay on 127.0.0.1 with the demo district: signing in
//! and locking out, setting up from an invite, CSRF, session expiry and sign-out, school
//! isolation, notes by policy, the stipend CSV, and Spanish. Cookies are handled by hand
//! (reqwest's cookie store refuses `Secure` cookies over plain HTTP).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{FixedOffset, Utc};
use homevisit_model::{EducatorId, SchoolId, VisitId};
use homevisit_relay::access::Role;
use homevisit_relay::dashboard::Settings;
use homevisit_relay::dashboard_password::hash_password;
use homevisit_relay::demo::DemoInvite;
use homevisit_relay::{Config, Relay, RunningRelay, start};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use sha2::Digest;

const PASSWORD: &str = "a long enough password";
const COORDINATOR: &str = "coord.lincoln";
const ADMIN: &str = "admin@district";

/// A school's demo records, as the test knows them from the demo's own data set.
struct SchoolSide {
    id: SchoolId,
    name: String,
    educators: Vec<(EducatorId, String)>,
    families: Vec<String>,
    visits: Vec<VisitId>,
}

struct Dashboard {
    relay: RunningRelay,
    http: reqwest::Client,
    invites: Vec<DemoInvite>,
    /// Lincoln Elementary, whose coordinator [`COORDINATOR`] is.
    a: SchoolSide,
    /// Roosevelt Middle.
    b: SchoolSide,
    /// The demo's visit with notes and a debrief (one of Lincoln's, completed days ago).
    noted: VisitId,
    _dir: tempfile::TempDir,
}

/// An answer, read whole.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    /// The value of cookie `name` this answer sets, if any (empty when it clears it).
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            pair.strip_prefix(&format!("{name}=")).map(str::to_string)
        })
    }

    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The first form's hidden `csrf` value on the page.
    fn csrf(&self) -> String {
        let at = self.body.find(r#"name="csrf" value=""#).expect("a form with a csrf field");
        let rest = &self.body[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

fn side(data: &homevisit_fixtures::DataSet, school: &str) -> SchoolSide {
    let s = data.schools.iter().find(|s| s.name == school).expect("a demo school");
    SchoolSide {
        id: s.id,
        name: s.name.clone(),
        educators: data
            .educators
            .iter()
            .filter(|e| e.school_id == s.id)
            .map(|e| (e.id, e.display_name.clone()))
            .collect(),
        families: data.families.iter().filter(|f| f.school_id == s.id).map(|f| f.display_name.clone()).collect(),
        visits: data.visits.iter().filter(|(v, _)| v.plan.school_id == s.id).map(|(v, _)| v.plan.id).collect(),
    }
}

impl Dashboard {
    /// A relay with the demo district, a Lincoln coordinator's account and a district
    /// administrator's.
    async fn start() -> Dashboard {
        homevisit_sync::client::install_tls_provider();
        let dir = tempfile::tempdir().unwrap();
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let relay = start(&Config::embedded(dir.path().join("relay"), listen)).await.unwrap();
        let today = Utc::now().date_naive();
        let utc = FixedOffset::east_opt(0).unwrap();
        let data = homevisit_fixtures::demo::data_set(today, utc);
        let (a, b) = (side(&data, "Lincoln Elementary"), side(&data, "Roosevelt Middle"));
        let noted = data.visits.iter().find(|(_, notes)| !notes.hopes_and_dreams.is_empty()).unwrap().0.plan.id;
        let (r, school_a) = (relay.relay.clone(), a.id);
        let invites = tokio::task::spawn_blocking(move || {
            let invites = homevisit_relay::demo::import_demo_district(&r, today, utc).unwrap().unwrap();
            let hash = hash_password(PASSWORD).unwrap();
            r.dashboard().create_account(school_a, Role::SchoolCoordinator, COORDINATOR, &hash).unwrap();
            r.dashboard().create_account(school_a, Role::DistrictAdmin, ADMIN, &hash).unwrap();
            invites
        })
        .await
        .unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Dashboard { relay, http, invites, a, b, noted, _dir: dir }
    }

    fn relay(&self) -> &Arc<Relay> {
        &self.relay.relay
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.relay.url())
    }

    async fn read(response: reqwest::Response) -> Answer {
        let (status, headers) = (response.status(), response.headers().clone());
        Answer { status, headers, body: response.text().await.unwrap() }
    }

    /// GET `path` with these cookies (`name=value; ...`, or "").
    async fn get(&self, path: &str, cookies: &str) -> Answer {
        let mut request = self.http.get(self.url(path));
        if !cookies.is_empty() {
            request = request.header(header::COOKIE, cookies);
        }
        Self::read(request.send().await.unwrap()).await
    }

    /// POSTs `fields` as a form with these cookies and extra headers.
    async fn post(&self, path: &str, cookies: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut request =
            self.http.post(self.url(path)).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(body);
        if !cookies.is_empty() {
            request = request.header(header::COOKIE, cookies);
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        Self::read(request.send().await.unwrap()).await
    }

    /// Signs in; the answer (303 with the session cookie on success).
    async fn try_sign_in(&self, username: &str, password: &str) -> Answer {
        let form = self.get("/dashboard/sign-in", "").await;
        assert_eq!(form.status, 200);
        let pre = form.cookie("hv_presession").expect("a pre-session cookie");
        assert_eq!(form.csrf(), pre, "the form posts back the pre-session token");
        let cookies = format!("hv_presession={pre}");
        self.post(
            "/dashboard/sign-in",
            &cookies,
            &[("username", username), ("password", password), ("csrf", &pre)],
            &[("origin", &self.relay.url())],
        )
        .await
    }

    /// Signs in and returns the session's cookie header (`hv_session=...`).
    async fn sign_in(&self, username: &str) -> String {
        let answer = self.try_sign_in(username, PASSWORD).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(answer.location(), "/dashboard/overview");
        format!("hv_session={}", answer.cookie("hv_session").expect("a session cookie"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_a_wrong_password_and_the_lock_out() {
    let d = Dashboard::start().await;
    d.relay().set_dashboard_settings(Settings { lock_for: Duration::from_secs(2), ..Settings::default() });

    // Not signed in: the pages send you to sign in.
    let anonymous = d.get("/dashboard/overview", "").await;
    assert_eq!((anonymous.status.as_u16(), anonymous.location()), (303, "/dashboard/sign-in"));
    assert_eq!(d.get("/dashboard", "").await.location(), "/dashboard/sign-in");

    let ok = d.try_sign_in(COORDINATOR, PASSWORD).await;
    assert_eq!(ok.status, 303);
    let set_cookie: Vec<_> = ok.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
    let session = set_cookie.iter().find(|c| c.starts_with("hv_session=")).unwrap();
    assert!(session.contains("HttpOnly") && session.contains("Secure") && session.contains("SameSite=Strict"));
    assert!(session.contains("Path=/dashboard"), "{session}");
    let cookie = format!("hv_session={}", ok.cookie("hv_session").unwrap());
    let page = d.get("/dashboard/overview", &cookie).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!(r#"data-test="signed-in-as">{COORDINATOR}<"#)), "{}", page.body);
    assert!(page.body.contains(r#"<html lang="en">"#));
    let h = &page.headers;
    assert_eq!(
        h["content-security-policy"],
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(
        (&h["x-content-type-options"], &h["referrer-policy"], &h["cache-control"]),
        (&"nosniff".parse().unwrap(), &"no-referrer".parse().unwrap(), &"no-store".parse().unwrap())
    );
    assert_eq!(d.get("/dashboard", &cookie).await.location(), "/dashboard/overview");

    // A wrong password, an unknown user: the same refusal, no session.
    let wrong = d.try_sign_in(COORDINATOR, "not the password at all").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("The username or password is wrong.") && wrong.cookie("hv_session").is_none());
    let unknown = d.try_sign_in("nobody", PASSWORD).await;
    assert_eq!(unknown.status, 401);
    assert!(unknown.body.contains("The username or password is wrong."));

    // Five failures in a row lock the account: then even the right password is refused...
    let mut statuses = vec![wrong.status.as_u16()];
    for _ in 0..4 {
        statuses.push(d.try_sign_in(COORDINATOR, "still not the password").await.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429]);
    let locked = d.try_sign_in(COORDINATOR, PASSWORD).await;
    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("The username or password is wrong.") && locked.body.contains("Try again later."));
    assert!(locked.cookie("hv_session").is_none());
    let trail = d.relay().audit().entries(0, 1000).unwrap();
    assert_eq!(trail.iter().filter(|e| e.action == "dashboard_locked").count(), 1, "the lock is audited once");
    // ...until the lock passes.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(d.try_sign_in(COORDINATOR, PASSWORD).await.status, 303);
    d.relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_set_up_from_a_coordinators_invite_never_an_educators() {
    let d = Dashboard::start().await;
    let invite = |role: fn(&Role) -> bool| d.invites.iter().find(|i| role(&i.role)).unwrap().code.clone();
    let coordinator = invite(|r| *r == Role::SchoolCoordinator);
    let educator = invite(|r| matches!(r, Role::Educator(_)));
    let dash = &d;
    let set_up = |code: String, username: &'static str, again: &'static str| async move {
        let d = dash;
        let form = d.get("/dashboard/set-up", "").await;
        assert!(form.body.contains(r#"name="invite""#) && form.body.contains(r#"name="password_again""#));
        let pre = form.cookie("hv_presession").unwrap();
        let fields = [
            ("invite", code.as_str()),
            ("username", username),
            ("password", PASSWORD),
            ("password_again", again),
            ("csrf", &pre),
        ];
        d.post("/dashboard/set-up", &format!("hv_presession={pre}"), &fields, &[]).await
    };

    let differ = set_up(coordinator.clone(), "dana", "another long password").await;
    assert_eq!(differ.status, 400);
    assert!(differ.body.contains("The two passwords differ."));
    let refused = set_up(educator.clone(), "elena", PASSWORD).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("is not a coordinator"), "{}", refused.body);

    let made = set_up(coordinator.clone(), "dana", PASSWORD).await;
    assert_eq!((made.status.as_u16(), made.location()), (303, "/dashboard/overview"));
    let cookie = format!("hv_session={}", made.cookie("hv_session").unwrap());
    let page = d.get("/dashboard/overview", &cookie).await;
    assert!(page.body.contains(r#"data-test="signed-in-as">dana<"#));
    // Signed in as the coordinator of the invite's school.
    assert!(page.body.contains(&format!(r#"data-test="reach" data-school="{}""#, d.a.id)));
    assert!(!page.body.contains(&d.b.id.to_string()));
    assert_eq!(d.try_sign_in("dana", PASSWORD).await.status, 303);
    // Single use.
    assert_eq!(set_up(coordinator, "dana2", PASSWORD).await.status, 400);
    // Audited once, as the new account, with its school and role (never its username).
    let trail = d.relay().audit().entries(0, 1000).unwrap();
    let set_ups: Vec<_> = trail.iter().filter(|e| e.action == "dashboard_account_set_up").collect();
    assert_eq!(set_ups.len(), 1, "{trail:?}");
    assert_eq!((set_ups[0].subject.as_str(), set_ups[0].detail.as_str()), (d.a.id.to_string().as_str(), "coordinator"));
    assert!(set_ups[0].actor.starts_with("dashboard_account ") && !format!("{trail:?}").contains("dana"));
    // The educator's invite was left unused: it still enrolls the educator's phone.
    let enrolled =
        d.http.post(d.url("/v1/enroll")).json(&serde_json::json!({ "invite": educator })).send().await.unwrap();
    assert_eq!(enrolled.status(), 200);
    d.relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_the_right_token_or_from_another_site_are_refused_and_change_nothing() {
    let d = Dashboard::start().await;
    let (mine, other) = (d.sign_in(COORDINATOR).await, d.sign_in(COORDINATOR).await);
    let stipends = d.get("/dashboard/stipends", &mine).await;
    assert_eq!(stipends.status, 200);
    let (token, other_token) = (stipends.csrf(), d.get("/dashboard/stipends", &other).await.csrf());
    assert_ne!(token, other_token);
    let (rivera, _) = d.a.educators.iter().find(|(_, n)| n == "Elena Rivera").unwrap().clone();
    let row = format!(r#"data-educator="{}""#, rivera.0);
    assert!(stipends.body.contains(&row) && stipends.body.contains(r#"data-test="mark-paid""#));
    let (from, to) = (field(&stipends.body, "from"), field(&stipends.body, "to"));
    let school = d.a.id.to_string();
    let rivera_id = rivera.0.to_string();
    let mark = |csrf: String| {
        vec![
            ("school", school.clone()),
            ("from", from.clone()),
            ("to", to.clone()),
            ("educator", rivera_id.clone()),
            ("paid", "true".into()),
            ("csrf", csrf),
        ]
    };
    let dash = &d;
    let post = |fields: Vec<(&'static str, String)>, extra: Vec<(&'static str, String)>| {
        let mine = mine.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
            dash.post("/dashboard/stipends/paid", &mine, &fields, &extra).await
        }
    };
    let paid_in_csv = || async {
        let csv = d.get(&format!("/dashboard/exports/stipends.csv?from={from}&to={to}"), &mine).await;
        let line = csv.body.lines().find(|l| l.contains(&rivera_id)).unwrap().to_string();
        line.ends_with(",yes")
    };

    let no_token: Vec<_> = mark(String::new()).into_iter().filter(|(k, _)| *k != "csrf").collect();
    assert_eq!(post(no_token, vec![]).await.status, 403);
    assert_eq!(post(mark("0".repeat(64)), vec![]).await.status, 403);
    assert_eq!(post(mark(other_token.clone()), vec![]).await.status, 403);
    assert_eq!(post(mark(token.clone()), vec![("origin", "http://evil.example".into())]).await.status, 403);
    assert_eq!(post(mark(token.clone()), vec![("sec-fetch-site", "cross-site".into())]).await.status, 403);
    assert_eq!(post(mark(token.clone()), vec![("origin", "null".into())]).await.status, 403);
    // A body that is not a form carries no token.
    let json = d.http.post(d.url("/dashboard/stipends/paid")).header(header::COOKIE, &mine);
    let json = json.header(header::CONTENT_TYPE, "application/json").body(format!(r#"{{"csrf":"{token}"}}"#));
    assert_eq!(json.send().await.unwrap().status(), 403);
    assert!(!paid_in_csv().await, "a refused POST changed nothing");
    // Sign-out and sign-in need their tokens too.
    assert_eq!(d.post("/dashboard/sign-out", &mine, &[("csrf", &other_token)], &[]).await.status, 403);
    let no_pre =
        d.post("/dashboard/sign-in", "", &[("username", COORDINATOR), ("password", PASSWORD), ("csrf", "")], &[]).await;
    assert_eq!((no_pre.status.as_u16(), no_pre.cookie("hv_session")), (403, None));
    assert_eq!(d.get("/dashboard/overview", &mine).await.status, 200, "still signed in");

    // With its own token, from its own page (a browser sends `Origin: null` from a page whose
    // Referrer-Policy is no-referrer): marked paid.
    let browser = vec![("origin", "null".into()), ("sec-fetch-site", "same-origin".into())];
    let done = post(mark(token), browser).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.location().starts_with("/dashboard/stipends?"), "{}", done.location());
    assert!(paid_in_csv().await);

    // The mark and the downloads are in the audit trail, by the account's id (never its
    // username); the refused posts made no mark.
    let trail = d.relay().audit().entries(0, 1000).unwrap();
    let by_dashboard: Vec<_> = trail.iter().filter(|e| e.actor.starts_with("dashboard_account ")).collect();
    let marks: Vec<_> = by_dashboard.iter().filter(|e| e.action == "stipend_marked").collect();
    assert_eq!(marks.len(), 1, "{by_dashboard:?}");
    assert_eq!(marks[0].subject, rivera_id);
    assert!(marks[0].detail.contains(&format!("school={school}")) && marks[0].detail.ends_with("paid=true"));
    let exports = by_dashboard.iter().filter(|e| e.action == "report_exported").count();
    assert_eq!(exports, 2, "one stipend download before the mark, one after");
    assert!(trail.iter().all(|e| !format!("{e:?}").contains(COORDINATOR) && !format!("{e:?}").contains("Rivera")));
    d.relay.stop().await.unwrap();
}

/// The value of the first input named `name` on a page.
fn field(body: &str, name: &str) -> String {
    let at = body.find(&format!(r#"name="{name}""#)).unwrap();
    let rest = &body[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_when_idle_and_end_at_sign_out() {
    let d = Dashboard::start().await;
    d.relay().set_dashboard_settings(Settings { idle: Duration::from_secs(1), ..Settings::default() });
    let cookie = d.sign_in(COORDINATOR).await;
    assert_eq!(d.get("/dashboard/overview", &cookie).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    // The next sign-in forgets expired sessions, even one never presented again.
    let token = cookie.strip_prefix("hv_session=").unwrap();
    let hash: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
    assert!(d.relay().dashboard().session(&hash).unwrap().is_some());
    d.sign_in(ADMIN).await;
    assert!(d.relay().dashboard().session(&hash).unwrap().is_none(), "the expired session was deleted");
    let expired = d.get("/dashboard/overview", &cookie).await;
    assert_eq!((expired.status.as_u16(), expired.location()), (303, "/dashboard/sign-in"));

    d.relay().set_dashboard_settings(Settings::default());
    let cookie = d.sign_in(COORDINATOR).await;
    let page = d.get("/dashboard/overview", &cookie).await;
    let out = d.post("/dashboard/sign-out", &cookie, &[("csrf", &page.csrf())], &[]).await;
    assert_eq!((out.status.as_u16(), out.location()), (303, "/dashboard/sign-in"));
    assert_eq!(out.cookie("hv_session").as_deref(), Some(""), "the cookie is cleared");
    // The old cookie no longer works: the session ended on the server.
    let after = d.get("/dashboard/overview", &cookie).await;
    assert_eq!((after.status.as_u16(), after.location()), (303, "/dashboard/sign-in"));
    d.relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_never_sees_another_schools_records_and_an_administrator_sees_both() {
    let d = Dashboard::start().await;
    let cookie = d.sign_in(COORDINATOR).await;
    let (a, b) = (&d.a, &d.b);
    assert!(!b.visits.is_empty() && !b.families.is_empty() && !b.educators.is_empty());
    let b_id = b.id.to_string();
    let b_secrets: Vec<String> = [b_id.clone(), b.name.clone()]
        .into_iter()
        .chain(b.educators.iter().flat_map(|(id, name)| [id.0.to_string(), name.clone()]))
        .chain(b.families.iter().cloned())
        .chain(b.visits.iter().map(|v| v.0.to_string()))
        .collect();
    let leaks =
        |answer: &Answer| b_secrets.iter().filter(|s| answer.body.contains(s.as_str())).cloned().collect::<Vec<_>>();

    let pages = [
        "overview",
        "visits",
        "educators",
        "fidelity",
        "stipends",
        "exports/stipends.csv",
        "exports/visits.csv",
        "exports/evaluation.csv",
    ];
    let b_educator = b.educators[0].0.0.to_string();
    let mut asked = Vec::new();
    for page in pages {
        asked.push((format!("/dashboard/{page}?school={b_id}"), true));
        asked.push((format!("/dashboard/{page}?educator={b_educator}"), true));
        asked.push((format!("/dashboard/{page}?school={}", a.id), false));
        asked.push((format!("/dashboard/{page}"), false));
    }
    for visit in &b.visits {
        asked.push((format!("/dashboard/visits/{}", visit.0), true));
    }
    asked.push((format!("/dashboard/visits/{}", a.visits[0].0), false));
    for (path, refused) in &asked {
        let answer = d.get(path, &cookie).await;
        let expected = if *refused { 404 } else { 200 };
        assert_eq!(answer.status.as_u16(), expected, "{path}");
        assert_eq!(leaks(&answer), Vec::<String>::new(), "{path}");
    }
    // Malformed input: typed refusals, in the page's language, with nothing echoed.
    for (path, status) in [
        ("/dashboard/visits/not-a-visit", 404),
        ("/dashboard/visits?from=2026-13-01", 400),
        ("/dashboard/visits?from=2026-10-02&to=2026-10-01", 400),
        ("/dashboard/visits?status=done", 400),
        ("/dashboard/no-such-page", 404),
    ] {
        let answer = d.get(path, &cookie).await;
        assert_eq!(answer.status.as_u16(), status, "{path}");
        assert!(answer.headers.contains_key("content-security-policy") && !answer.body.contains("done"), "{path}");
    }
    let huge = "x".repeat(9 * 1024);
    assert_eq!(d.post("/dashboard/sign-out", &cookie, &[("csrf", &huge)], &[]).await.status, 413);
    // A's own records are there.
    let visits = d.get("/dashboard/visits", &cookie).await;
    assert!(visits.body.contains(r#"table data-test="visits""#));
    assert!(
        visits
            .body
            .contains(&format!(r#"<tr data-visit="{}"><td><a href="/dashboard/visits/{}">"#, d.noted.0, d.noted.0)),
        "{}",
        visits.body
    );
    assert!(d.get("/dashboard/educators", &cookie).await.body.contains("Elena Rivera"));
    // A paid mark on B's educator, or in B's name: not found, nothing marked.
    let page = d.get("/dashboard/stipends", &cookie).await;
    let (from, to) = (field(&page.body, "from"), field(&page.body, "to"));
    let csrf = page.csrf();
    for school in [b_id.as_str(), &a.id.to_string()] {
        let fields = [
            ("school", school),
            ("from", &from),
            ("to", &to),
            ("educator", &b_educator),
            ("paid", "true"),
            ("csrf", &csrf),
        ];
        assert_eq!(d.post("/dashboard/stipends/paid", &cookie, &fields, &[]).await.status, 404);
    }
    // The metrics name route templates, never an id.
    let metrics = d.get("/metrics", "").await.body;
    assert!(metrics.contains(r#"endpoint="/dashboard/visits/{visit_id}",status="404""#), "{metrics}");
    assert!(!metrics.contains(&b_id) && !metrics.contains(&b.visits[0].0.to_string()));

    // The district administrator sees both schools, and may pick one.
    let admin = d.sign_in(ADMIN).await;
    let overview = d.get("/dashboard/overview", &admin).await;
    for school in [a.id, b.id] {
        assert!(overview.body.contains(&format!(r#"data-test="reach" data-school="{school}""#)), "{school}");
    }
    let b_visits = d.get(&format!("/dashboard/visits?school={b_id}"), &admin).await;
    assert_eq!(b_visits.status, 200);
    assert!(b.visits.iter().filter(|v| b_visits.body.contains(&v.0.to_string())).count() > 0);
    assert!(!a.visits.iter().any(|v| b_visits.body.contains(&v.0.to_string())), "only B when B is picked");
    assert_eq!(d.get(&format!("/dashboard/visits/{}", b.visits[0].0), &admin).await.status, 200);
    d.relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_show_only_where_the_school_shares_them_and_the_stipend_csv() {
    let d = Dashboard::start().await;
    let cookie = d.sign_in(COORDINATOR).await;
    let path = format!("/dashboard/visits/{}", d.noted.0);
    let private = d.get(&path, &cookie).await;
    assert_eq!(private.status, 200);
    assert!(private.body.contains(r#"data-test="visit-status">Completed<"#), "{}", private.body);
    assert!(private.body.contains(r#"data-test="visit-educators">Elena Rivera, David Chen<"#), "{}", private.body);
    assert!(!private.body.contains(r#"data-test="notes""#) && !private.body.contains("love of drawing"));
    assert!(private.body.contains("belong to the pair"));

    let (r, school) = (d.relay().clone(), d.a.id);
    tokio::task::spawn_blocking(move || r.access().set_coordinators_read_notes(&school, true).unwrap()).await.unwrap();
    let shared = d.get(&path, &cookie).await;
    assert!(shared.body.contains(r#"data-test="notes""#) && shared.body.contains("love of drawing"), "{}", shared.body);

    // The stipend CSV: the contract's header, a row per educator with a completed visit.
    let csv = d.get("/dashboard/exports/stipends.csv", &cookie).await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment; filename=\"stipends-"));
    assert!(csv.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let mut lines = csv.body.lines();
    assert_eq!(lines.next(), Some(homevisit_reports::csv::STIPEND_HEADER));
    let (rivera, _) = d.a.educators.iter().find(|(_, n)| n == "Elena Rivera").unwrap();
    let row = lines.find(|l| l.contains(&rivera.0.to_string())).expect("Rivera's row");
    // One completed visit, confirmed by her partner, trained, at the default $40.00, not paid.
    assert!(row.ends_with(&format!("{},{},Elena Rivera,1,1,yes,40.00,40.00,no", d.a.id, rivera.0)), "{row}");
    d.relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_speak_spanish_when_asked() {
    let d = Dashboard::start().await;
    let cookie = d.sign_in(COORDINATOR).await;
    let es = d.get("/dashboard/overview?lang=es", &cookie).await;
    assert!(es.body.contains(r#"<html lang="es">"#) && es.body.contains("Resumen") && es.body.contains("Alcance"));
    assert!(es.body.contains(r#"data-test="lang-en""#) && es.body.contains("Cerrar sesión"));
    assert_eq!(es.cookie("hv_lang").as_deref(), Some("es"));
    // The cookie keeps it; `?lang=en` changes it back.
    let kept = d.get("/dashboard/visits", &format!("{cookie}; hv_lang=es")).await;
    assert!(kept.body.contains(r#"<html lang="es">"#) && kept.body.contains("Registro de visitas"));
    let en = d.get("/dashboard/visits?lang=en", &format!("{cookie}; hv_lang=es")).await;
    assert!(en.body.contains(r#"<html lang="en">"#) && en.body.contains("Visit log"));
    // Accept-Language, signed out.
    let sign_in =
        d.http.get(d.url("/dashboard/sign-in")).header(header::ACCEPT_LANGUAGE, "es-MX,es;q=0.9").send().await.unwrap();
    let body = sign_in.text().await.unwrap();
    assert!(body.contains(r#"<html lang="es">"#) && body.contains("Iniciar sesión") && body.contains("Contraseña"));
    // The stylesheet is served to everyone.
    let css = d.get("/dashboard/static/app.css", "").await;
    assert_eq!(css.status, 200);
    assert!(
        css.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css")
            && css.body.contains(":focus-visible")
    );
    d.relay.stop().await.unwrap();
}
