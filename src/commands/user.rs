//! `user`: the web app's accounts, from the command line. No account is made without this
//! command (or an admin in the app).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::open_store;
use crate::cli::UserCommand;
use crate::config::Settings;
use crate::domain::account::{Role, check_password, generated_password};
use crate::domain::email::EmailAddress;
use crate::domain::named::{Named, parse_named};
use crate::web::hash_password;

pub async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    match command {
        UserCommand::Add {
            email,
            role,
            name,
            generate,
        } => {
            let email = address(&email)?;
            let role: Role = parse_named(&role).context("--role")?;
            let password = password(generate)?;
            let hash = hashed(&password).await?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_owned());
            store.add_account(&email, &name, role, &hash).await?;
            println!("account {email} created ({})", role.as_str());
            if generate {
                println!("password: {password}");
            }
        }
        UserCommand::List => {
            let mut out = std::io::stdout().lock();
            for account in store.accounts().await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    account.email,
                    account.role().as_str(),
                    if account.disabled {
                        "disabled"
                    } else {
                        "enabled"
                    },
                    crate::domain::printable::printable(&account.name)
                )?;
            }
        }
        UserCommand::Passwd { email, generate } => {
            let email = address(&email)?;
            let password = password(generate)?;
            let hash = hashed(&password).await?;
            store.set_password(&email, &hash).await?;
            println!("password of {email} changed; its sessions have ended");
            if generate {
                println!("password: {password}");
            }
        }
        UserCommand::Disable { email } => {
            let email = address(&email)?;
            store.disable_account(&email).await?;
            println!("account {email} disabled; its sessions have ended");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn address(text: &str) -> anyhow::Result<String> {
    let parsed = EmailAddress::parse(text.trim())
        .with_context(|| format!("`{text}` is not an e-mail address"))?;
    Ok(parsed.as_str().to_owned())
}

async fn hashed(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    Ok(tokio::task::spawn_blocking(move || hash_password(&password)).await?)
}

/// A generated password, the first line of standard input, or one typed at a prompt.
fn password(generate: bool) -> anyhow::Result<String> {
    let password = if generate {
        generated_password()
    } else if std::io::stdin().is_terminal() {
        let first = prompt("Password: ")?;
        if prompt("Again: ")? != first {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    check_password(&password)?;
    Ok(password)
}

/// Reads a line from the terminal without echoing it.
fn prompt(question: &str) -> anyhow::Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    eprint!("{question}");
    std::io::stderr().flush()?;
    let saved = tcgetattr(&stdin)?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&stdin, OptionalActions::Now, &quiet)?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    tcsetattr(&stdin, OptionalActions::Now, &saved)?;
    eprintln!();
    read?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
