//! The `portal` binary: serves the partner portal and runs operator commands.

use anyhow::Context;
use app::fields::PartnerNumber;
use app::infra::clock::Clock;
use app::permissions::Plan;
use axum::serve::ListenerExt;
use clap::{Parser, Subcommand};
use server::config::{Config, LogFormat};
use std::net::SocketAddr;
use tracing_subscriber::EnvFilter;

#[derive(Parser, Debug)]
#[command(name = "portal", version, about = "Partner portal of an identity-verification service")]
struct Cli {
    #[command(flatten)]
    config: Config,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the portal over HTTP (the default when no command is given).
    Serve,
    /// Apply database migrations, then exit.
    Migrate,
    /// Operator commands on partner accounts.
    #[command(subcommand)]
    Partner(PartnerCommand),
}

#[derive(Subcommand, Debug)]
enum PartnerCommand {
    /// Set an account's plan. Operator and Auditor roles exist only on the enterprise plan, so
    /// moving to standard is rejected while members or open invitations hold them.
    SetPlan {
        /// Partner ID, such as 002.
        #[arg(value_parser = parse_partner_number)]
        partner_id: PartnerNumber,
        /// standard or enterprise.
        #[arg(value_parser = parse_plan)]
        plan: Plan,
    },
}

fn parse_partner_number(value: &str) -> Result<PartnerNumber, String> {
    PartnerNumber::parse(value).map_err(str::to_owned)
}

fn parse_plan(value: &str) -> Result<Plan, String> {
    value.parse().map_err(|_| "expected standard or enterprise".to_owned())
}

#[tokio::main]
async fn main() {
    // A missing .env file is normal; a malformed one is reported.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("error: could not read .env: {error}");
        std::process::exit(2);
    }
    let cli = Cli::parse();
    init_logging(cli.config.log_format);

    let command = cli.command.unwrap_or(Command::Serve);
    let is_serve = matches!(command, Command::Serve);
    let result = match command {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => migrate(cli.config).await,
        Command::Partner(PartnerCommand::SetPlan { partner_id, plan }) => set_plan(cli.config, partner_id, plan).await,
    };
    if let Err(error) = result {
        // The server reports through its log, which may be JSON for a collector; the
        // one-shot commands print to the terminal.
        if is_serve {
            tracing::error!("{error:#}");
        } else {
            eprintln!("error: {error:#}");
        }
        std::process::exit(1);
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let state = server::build_state(&config, Clock::System).await?;
    tracing::info!(database = state.db.engine(), "migrations applied");
    state.db.close().await;
    Ok(())
}

async fn set_plan(config: Config, number: PartnerNumber, plan: Plan) -> anyhow::Result<()> {
    let sqlite_file = config.data_dir.join("portal.sqlite3");
    if config.database_url.is_none() && !sqlite_file.is_file() {
        anyhow::bail!(
            "no database at {}: run the command with the DATA_DIR (or DATABASE_URL) that the server uses",
            sqlite_file.display()
        );
    }
    let state = server::build_state(&config, Clock::System).await?;
    let result = app::team::plan::set_plan(&state, number, plan).await;
    state.db.close().await;
    let previous = result?;
    println!("Partner {number}: plan changed from {} to {}.", previous.as_str(), plan.as_str());
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let options = server::leptos_options(&config)?;
    let state = server::build_state(&config, Clock::System).await?;
    if !state.limits.enabled() {
        tracing::warn!("rate limits are off (RATE_LIMITS=off); use this only for load tests");
    }
    server::spawn_maintenance(state.clone());
    let app = server::router(state.clone(), options, &config);

    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .with_context(|| format!("could not listen on {} (LISTEN_ADDR)", config.listen_addr))?
        // Without TCP_NODELAY, keep-alive responses wait about 40 ms for delayed ACKs.
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    tracing::info!(
        address = %config.listen_addr,
        public_url = %config.public_url,
        database = state.db.engine(),
        email = if config.smtp_url.is_some() { "smtp" } else { "outbox" },
        "portal listening"
    );
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server stopped with an error")?;

    state.db.close().await;
    tracing::info!("portal stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the server exits.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(error = %error, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
