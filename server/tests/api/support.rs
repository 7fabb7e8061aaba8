//! A test app: the real router on a fresh SQLite file or a fresh PostgreSQL database, a
//! manual clock, the file outbox for email, and a client that keeps the session cookie.

use app::infra::clock::Clock;
use app::infra::db::Db;
use app::infra::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use server::config::{Config, LogFormat, Switch};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use tower::ServiceExt;

pub const ORIGIN: &str = "http://127.0.0.1:3000";
/// 2026-12-01 00:00 UTC, so that tests do not depend on today's date.
pub const START_MS: i64 = 1_796_083_200_000;
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Clone, Copy, Debug)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Clock,
    pub outbox: PathBuf,
    pub site_root: PathBuf,
    _data_dir: tempfile::TempDir,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("body is not JSON ({error}): {}", self.body))
    }

    /// Returns the session cookie value this response set, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("portal_session="))
            .map(|value| value.trim_start_matches("portal_session=").split(';').next().unwrap_or("").to_owned())
    }

    /// Returns the message of the field `field` in an `Invalid` error body.
    pub fn field_message(&self, field: &str) -> Option<String> {
        self.json()["Invalid"]
            .as_array()?
            .iter()
            .find(|error| error["field"] == field)
            .and_then(|error| error["message"].as_str().map(str::to_owned))
    }
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        let _ = tracing_subscriber::fmt().with_env_filter("warn").with_test_writer().try_init();
        let data_dir = tempfile::tempdir().expect("temporary data folder");
        let site_root = data_dir.path().join("site");
        std::fs::create_dir_all(site_root.join("pkg")).unwrap();

        let database_url = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(create_postgres_database().await),
        };
        let config = Config {
            database_url,
            public_url: ORIGIN.parse().unwrap(),
            listen_addr: "127.0.0.1:3000".parse().unwrap(),
            smtp_url: None,
            mail_from: "Portal <no-reply@portal.example>".parse().unwrap(),
            data_dir: data_dir.path().to_path_buf(),
            site_root: site_root.clone(),
            log_format: LogFormat::Text,
            rate_limits: Switch::On,
        };
        let clock = Clock::manual(START_MS);
        let state = server::build_state(&config, clock.clone()).await.expect("state builds");
        let options = leptos::prelude::LeptosOptions::builder()
            .output_name("portal-test")
            .site_root(site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .build();
        let router = server::router(state.clone(), options, &config)
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        TestApp { router, state, clock, outbox: data_dir.path().join("outbox"), site_root, _data_dir: data_dir }
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        let described = format!("{} {}", request.method(), request.uri());
        // Longer than the server's own request timeout, so a stuck request fails here with a
        // name instead of hanging the test run.
        let response = tokio::time::timeout(
            server::REQUEST_TIMEOUT + std::time::Duration::from_secs(5),
            self.router.clone().oneshot(request),
        )
        .await
        .unwrap_or_else(|_| panic!("{described} did not finish"))
        .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body reads").to_bytes();
        TestResponse { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// Calls a server function as the WASM client does: a same-origin form POST that requests
    /// JSON, with the session cookie when one is given.
    ///
    /// Team changes carry the partner ID of the account their page showed. When a test leaves
    /// `partner` out, it is filled in with the account the session has selected now, as the
    /// team page would.
    pub async fn call(&self, name: &str, form: &[(&str, &str)], cookie: Option<&str>) -> TestResponse {
        const TEAM_CHANGES: [&str; 5] =
            ["invite_members", "resend_invitation", "revoke_invitation", "change_member_role", "remove_member"];
        if !TEAM_CHANGES.contains(&name) || form.iter().any(|(key, _)| *key == "partner") {
            return self.post_form(name, form, cookie).await;
        }
        let shell = self.post_form("shell", &[], cookie).await;
        let partner = shell.json()["account"]["partner_number"].as_str().unwrap_or("").to_owned();
        let mut with_partner = vec![("partner", partner.as_str())];
        with_partner.extend_from_slice(form);
        self.post_form(name, &with_partner, cookie).await
    }

    async fn post_form(&self, name: &str, form: &[(&str, &str)], cookie: Option<&str>) -> TestResponse {
        let body = serde_urlencoded(form);
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/{name}"))
            .header(header::ORIGIN, ORIGIN)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, format!("portal_session={cookie}"));
        }
        self.request(request.body(Body::from(body)).unwrap()).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> TestResponse {
        let mut request = Request::builder().uri(path).header(header::ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, format!("portal_session={cookie}"));
        }
        self.request(request.body(Body::empty()).unwrap()).await
    }

    /// Signs up a company with `email` as its first Owner and returns the response.
    pub async fn sign_up(&self, company: &str, email: &str) -> TestResponse {
        self.call(
            "sign_up",
            &[
                ("company", company),
                ("country", "KE"),
                ("name", "Ada Lovelace"),
                ("email", email),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
            None,
        )
        .await
    }

    /// Signs up, confirms the email and signs in; returns the session cookie.
    pub async fn signed_in_owner(&self, company: &str, email: &str) -> String {
        assert_eq!(self.sign_up(company, email).await.status, StatusCode::OK);
        let token = self.token_from_email(email, "/confirm-email?token=");
        assert_eq!(self.call("confirm_email", &[("token", &token)], None).await.status, StatusCode::OK);
        self.sign_in(email, PASSWORD).await.session_cookie().expect("sign-in sets a session cookie")
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> TestResponse {
        self.call("sign_in", &[("email", email), ("password", password)], None).await
    }

    /// Returns every email in the outbox addressed to `to`, oldest first, decoded to plain text.
    pub fn emails_to(&self, to: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.outbox) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries.map(|entry| entry.unwrap().path()).collect();
        // File names are UUIDv7, which sort by creation time.
        paths.sort();
        paths
            .into_iter()
            .map(|path| decode_quoted_printable(&std::fs::read_to_string(path).unwrap()))
            .filter(|message| message.lines().any(|line| line.starts_with("To: ") && line.contains(to)))
            .collect()
    }

    /// Returns the token of the newest link in an email to `to` whose URL contains `marker`.
    pub fn token_from_email(&self, to: &str, marker: &str) -> String {
        let emails = self.emails_to(to);
        let email = emails
            .iter()
            .rev()
            .find(|email| email.contains(marker))
            .unwrap_or_else(|| panic!("no email to {to} with {marker}; emails: {emails:#?}"));
        let start = email.find(marker).unwrap() + marker.len();
        email[start..start + 64].to_owned()
    }

    /// Row counts of every table, to prove that a rejected request changed nothing.
    pub async fn snapshot(&self) -> BTreeMap<&'static str, i64> {
        let mut counts = BTreeMap::new();
        for table in ["partners", "users", "memberships", "sessions", "email_tokens", "audit_events", "counters"] {
            counts.insert(table, self.scalar(&format!("SELECT COUNT(*) FROM {table}")).await);
        }
        counts
    }

    /// Runs a query that returns one BIGINT. Tests only; production SQL is static.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.db() {
            Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap(),
        }
    }

    /// Runs a query that returns one optional text value.
    pub async fn text(&self, sql: &str) -> Option<String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.db() {
            Db::Sqlite(pool) => sqlx::query_scalar::<_, Option<String>>(sql).fetch_one(pool).await.unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar::<_, Option<String>>(sql).fetch_one(pool).await.unwrap(),
        }
    }
}

fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish()
}

fn decode_quoted_printable(raw: &str) -> String {
    raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

/// Creates an empty database on the PostgreSQL server at `TEST_DATABASE_URL`.
async fn create_postgres_database() -> String {
    use sqlx::Connection;
    let base = std::env::var("TEST_DATABASE_URL")
        .expect("TEST_DATABASE_URL is not set: the PostgreSQL tests need a server. Run `make test`, which starts one.");
    let name = format!("portal_test_{}", uuid::Uuid::now_v7().simple());
    let mut connection = sqlx::PgConnection::connect(&base).await.expect("connect to TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut connection)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&name);
    url.to_string()
}

/// Fails a test that runs for more than the two-minute maximum, so that a stuck request or query ends the
/// run with the test's name instead of hanging it. The longest test takes a few seconds.
pub async fn within_time_limit(test: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(std::time::Duration::from_secs(120), test).await.is_err() {
        panic!("the test did not finish within 120 seconds");
    }
}

/// Runs each named test function once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::support::TestApp::spawn($crate::support::Engine::Sqlite).await;
                    $crate::support::within_time_limit(super::$name(app)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::support::TestApp::spawn($crate::support::Engine::Postgres).await;
                    $crate::support::within_time_limit(super::$name(app)).await;
                }
            )*
        }
    };
}

impl TestApp {
    /// Makes the account with partner ID `number` enterprise, as the operator's CLI does.
    pub async fn make_enterprise(&self, number: i64) {
        app::team::plan::set_plan(&self.state, app::fields::PartnerNumber(number), app::permissions::Plan::Enterprise)
            .await
            .expect("plan changes");
    }

    /// Invites `email` with `role` as the member behind `inviter` and returns the link's token.
    pub async fn invite(&self, inviter: &str, email: &str, role: &str) -> String {
        let response = self.call("invite_members", &[("emails", email), ("role", role)], Some(inviter)).await;
        assert_eq!(response.status, StatusCode::OK, "invite {email} as {role}: {}", response.body);
        self.token_from_email(email, "/invitation?token=")
    }

    /// Accepts an invitation as a new person and returns their session cookie.
    pub async fn accept_as_new(&self, token: &str, name: &str) -> String {
        let response = self
            .call(
                "accept_invitation",
                &[("token", token), ("name", name), ("password", PASSWORD), ("password_confirm", PASSWORD)],
                None,
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "accept: {}", response.body);
        response.session_cookie().expect("accepting signs the person in")
    }

    /// Invites `email` with `role` and accepts as a new person; returns their cookie.
    pub async fn add_member(&self, inviter: &str, email: &str, role: &str) -> String {
        let token = self.invite(inviter, email, role).await;
        self.accept_as_new(&token, email.split('@').next().unwrap()).await
    }

    /// Returns the user id of the login with `email`.
    pub async fn user_id(&self, email: &str) -> String {
        self.text(&format!("SELECT id FROM users WHERE email = '{email}'")).await.expect("user exists")
    }

    /// Returns the id of the open invitation to `email`.
    pub async fn invitation_id(&self, email: &str) -> String {
        self.text(&format!(
            "SELECT id FROM invitations WHERE email = '{email}' AND accepted_at IS NULL AND revoked_at IS NULL"
        ))
        .await
        .expect("open invitation exists")
    }

    /// Returns the role that `email` has in the account with partner ID `number`, if a member.
    pub async fn role_of(&self, email: &str, number: i64) -> Option<String> {
        self.text(&format!(
            "SELECT MAX(m.role) FROM memberships m JOIN users u ON u.id = m.user_id JOIN partners p ON p.id = m.partner_id
             WHERE u.email = '{email}' AND p.number = {number}"
        ))
        .await
    }
}
