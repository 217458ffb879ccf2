//! The recruiters' accounts of the web app: who may do what.

use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// What an account may do. A recruiter reads and decides; an admin also runs the installation
/// (accounts, erasure, quarantine).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, IntoStaticStr, EnumString, Display, VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Recruiter,
    Admin,
}

/// Bounds on what a person types at the login page or the `user` commands: argon2 hashes any
/// length, but a megabyte password would cost the server, not the attacker.
pub const MAX_PASSWORD_CHARS: usize = 1024;
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Generated passwords: 20 characters without look-alikes (about 115 bits).
const GENERATED_CHARS: usize = 20;
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A new random password, for `user add --generate` and the admin's accounts page.
pub fn generated_password() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..GENERATED_CHARS)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Why a password is refused before it is hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

pub fn check_password(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(PasswordError::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::named::{Named, parse_named};

    #[test]
    fn roles_round_trip() {
        for r in Role::VARIANTS {
            assert_eq!(parse_named::<Role>(r.as_str()), Ok(*r));
        }
        assert!(parse_named::<Role>("root").is_err());
    }

    #[test]
    fn passwords_are_bounded() {
        assert_eq!(check_password("court"), Err(PasswordError::TooShort));
        assert_eq!(check_password("é".repeat(10).as_str()), Ok(()));
        assert_eq!(
            check_password(&"x".repeat(MAX_PASSWORD_CHARS + 1)),
            Err(PasswordError::TooLong)
        );
    }
}
