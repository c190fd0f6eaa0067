//! Hostile `Authorization` headers that every route reading a caller must reject with
//! 401: forged algorithms, bad times and audiences, key ids that name files or URLs,
//! broken encodings and claims of the wrong type.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::auth::{Audience, Claims, DEVELOPMENT_KID, DevelopmentKey, Role};

/// One hostile `Authorization` header and the name a failure reports.
#[derive(Debug, Clone)]
pub struct HostileToken {
    pub name: &'static str,
    /// The whole header value, such as `Bearer eyJ...`.
    pub authorization: String,
}

/// The cases, and what lets a test check that no key id was followed.
#[derive(Debug)]
pub struct HostileTokens {
    pub cases: Vec<HostileToken>,
    /// Listens on the address that some tokens name as their key id or key URL;
    /// nothing may connect to it.
    kid_listener: TcpListener,
    _files: tempfile::TempDir,
}

impl HostileTokens {
    /// Builds the cases for a server that trusts `key` under the development key id
    /// and expects `issuer` and `audience`.
    pub fn new(key: &DevelopmentKey, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        let files = tempfile::tempdir()?;
        // A key pair the server does not trust, whose public key lies in a file that a
        // verifier following key ids as paths would load.
        let attacker = DevelopmentKey::load_or_create(files.path())?;
        let attacker_pem = files.path().join("attacker-public.pem");
        std::fs::write(&attacker_pem, attacker.public_pem())?;
        let kid_listener = TcpListener::bind("127.0.0.1:0")?;
        kid_listener.set_nonblocking(true)?;
        let kid_url = format!(
            "http://{}/.well-known/jwks.json",
            kid_listener.local_addr()?
        );
        let builder = Builder {
            key,
            attacker: &attacker,
            issuer,
            audience,
        };
        let cases = builder.cases(&attacker_pem, &kid_url)?;
        Ok(Self {
            cases,
            kid_listener,
            _files: files,
        })
    }

    /// Returns whether anything connected to the address the key-id cases name.
    pub fn kid_url_contacted(&self) -> bool {
        match self.kid_listener.accept() {
            Ok(_) => true,
            Err(error) if error.kind() == ErrorKind::WouldBlock => false,
            Err(error) => panic!("the key-id listener failed: {error}"),
        }
    }
}

struct Builder<'a> {
    key: &'a DevelopmentKey,
    attacker: &'a DevelopmentKey,
    issuer: &'a str,
    audience: &'a str,
}

impl Builder<'_> {
    /// Claims of a valid officer token, as JSON.
    fn claims(&self) -> Value {
        let now = jsonwebtoken::get_current_timestamp();
        json!({
            "sub": "hostile-officer",
            "role": "officer",
            "body": "akimat-hostile",
            "iss": self.issuer,
            "aud": self.audience,
            "exp": now + 600,
            "iat": now,
        })
    }

    /// Valid claims with `changes` applied; a `null` removes the claim.
    fn claims_with(&self, changes: Value) -> Vec<u8> {
        let mut claims = self.claims();
        for (name, value) in changes.as_object().expect("changes are an object") {
            if value.is_null() {
                claims
                    .as_object_mut()
                    .expect("claims are an object")
                    .remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        serde_json::to_vec(&claims).expect("claims serialise")
    }

    fn trusted_header(&self) -> Vec<u8> {
        header(json!({"alg": "EdDSA", "typ": "JWT", "kid": DEVELOPMENT_KID}))
    }

    /// Signs `payload` with the trusted key under its key id.
    fn signed(&self, payload: &[u8]) -> anyhow::Result<String> {
        self.key.sign_raw(&self.trusted_header(), payload)
    }

    /// Signs the valid claims with the untrusted key under `header`.
    fn forged(&self, header_json: Value) -> anyhow::Result<String> {
        self.attacker
            .sign_raw(&header(header_json), &self.claims_with(json!({})))
    }

    /// Encodes `header_json` and the valid claims, signed with the trusted key, so that
    /// only the header is wrong.
    fn with_header(&self, header_json: Value) -> anyhow::Result<String> {
        self.key
            .sign_raw(&header(header_json), &self.claims_with(json!({})))
    }

    fn symmetric(&self, algorithm: Algorithm) -> anyhow::Result<String> {
        let mut header = Header::new(algorithm);
        header.kid = Some(DEVELOPMENT_KID.into());
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: "hostile-officer".into(),
            name: None,
            role: Role::Officer,
            body: Some("akimat-hostile".into()),
            bin: None,
            iss: self.issuer.into(),
            aud: Audience::One(self.audience.into()),
            exp: now + 600,
            iat: now,
            nbf: None,
        };
        let secret = EncodingKey::from_secret(self.key.public_pem().as_bytes())?;
        Ok(jsonwebtoken::encode(&header, &claims, &secret)?)
    }

    fn cases(&self, attacker_pem: &Path, kid_url: &str) -> anyhow::Result<Vec<HostileToken>> {
        let now = jsonwebtoken::get_current_timestamp();
        let valid = self.signed(&self.claims_with(json!({})))?;
        let (valid_header, rest) = valid.split_once('.').expect("a compact token");
        let (valid_payload, valid_signature) = rest.split_once('.').expect("a compact token");
        let payload = URL_SAFE_NO_PAD.encode(self.claims_with(json!({})));
        let unsigned = |alg: &str| {
            let header = URL_SAFE_NO_PAD.encode(header(json!({"alg": alg, "typ": "JWT"})));
            format!("{header}.{payload}.")
        };
        let attacker_path = attacker_pem.display().to_string();
        let attacker_x = ed25519_public_x(self.attacker.public_pem())?;

        let tokens: Vec<(&'static str, String)> = vec![
            ("alg none", unsigned("none")),
            ("alg None", unsigned("None")),
            ("alg NONE", unsigned("NONE")),
            (
                "alg none with a valid signature",
                format!(
                    "{}.{valid_payload}.{valid_signature}",
                    URL_SAFE_NO_PAD.encode(header(json!({"alg": "none", "kid": DEVELOPMENT_KID})))
                ),
            ),
            (
                "HS256 with the public key as secret",
                self.symmetric(Algorithm::HS256)?,
            ),
            (
                "HS384 with the public key as secret",
                self.symmetric(Algorithm::HS384)?,
            ),
            (
                "HS512 with the public key as secret",
                self.symmetric(Algorithm::HS512)?,
            ),
            (
                "ES512, unknown to the verifier",
                self.with_header(json!({"alg": "ES512", "kid": DEVELOPMENT_KID}))?,
            ),
            (
                "RS256 under the Ed25519 key id",
                self.with_header(json!({"alg": "RS256", "kid": DEVELOPMENT_KID}))?,
            ),
            (
                "ES256 under the Ed25519 key id",
                self.with_header(json!({"alg": "ES256", "kid": DEVELOPMENT_KID}))?,
            ),
            (
                "expired an hour ago",
                self.signed(&self.claims_with(json!({"exp": now - 3600, "iat": now - 7200})))?,
            ),
            (
                "expired beyond the leeway",
                self.signed(&self.claims_with(json!({"exp": now - 120})))?,
            ),
            (
                "not valid for an hour (nbf)",
                self.signed(&self.claims_with(json!({"nbf": now + 3600})))?,
            ),
            (
                "issued an hour from now (iat)",
                self.signed(&self.claims_with(json!({"iat": now + 3600})))?,
            ),
            (
                "wrong issuer",
                self.signed(&self.claims_with(json!({"iss": "someone-else"})))?,
            ),
            (
                "wrong audience",
                self.signed(&self.claims_with(json!({"aud": "another-api"})))?,
            ),
            (
                "audience list without ours",
                self.signed(&self.claims_with(json!({"aud": ["a", "b"]})))?,
            ),
            (
                "no exp",
                self.signed(&self.claims_with(json!({"exp": null})))?,
            ),
            (
                "no iss",
                self.signed(&self.claims_with(json!({"iss": null})))?,
            ),
            (
                "no aud",
                self.signed(&self.claims_with(json!({"aud": null})))?,
            ),
            (
                "no sub",
                self.signed(&self.claims_with(json!({"sub": null})))?,
            ),
            (
                "no role",
                self.signed(&self.claims_with(json!({"role": null})))?,
            ),
            (
                "unknown kid",
                self.with_header(json!({"alg": "EdDSA", "kid": "rotated-2031"}))?,
            ),
            (
                "kid ../../etc/passwd",
                self.forged(json!({"alg": "EdDSA", "kid": "../../etc/passwd"}))?,
            ),
            (
                "kid /dev/null",
                self.forged(json!({"alg": "EdDSA", "kid": "/dev/null"}))?,
            ),
            (
                "kid names the signer's key file",
                self.forged(json!({"alg": "EdDSA", "kid": attacker_path}))?,
            ),
            (
                "kid climbs to the signer's key file",
                self.forged(
                    json!({"alg": "EdDSA", "kid": format!("../../../../../../../..{attacker_path}")}),
                )?,
            ),
            (
                "kid file URL of the signer's key",
                self.forged(json!({"alg": "EdDSA", "kid": format!("file://{attacker_path}")}))?,
            ),
            (
                "kid http URL",
                self.forged(json!({"alg": "EdDSA", "kid": kid_url}))?,
            ),
            (
                "jku header names a key set",
                self.forged(json!({"alg": "EdDSA", "kid": "signer", "jku": kid_url}))?,
            ),
            (
                "x5u header names a certificate",
                self.forged(json!({"alg": "EdDSA", "kid": "signer", "x5u": kid_url}))?,
            ),
            (
                "jwk header embeds the signer's key",
                self.forged(json!({
                    "alg": "EdDSA",
                    "jwk": {"kty": "OKP", "crv": "Ed25519", "x": attacker_x},
                }))?,
            ),
            (
                "signed by an untrusted key, no kid",
                self.forged(json!({"alg": "EdDSA"}))?,
            ),
            (
                "signed by an untrusted key, trusted kid",
                self.forged(json!({"alg": "EdDSA", "kid": DEVELOPMENT_KID}))?,
            ),
            (
                "signature of another token",
                format!("{valid_header}.{}.{valid_signature}", {
                    URL_SAFE_NO_PAD.encode(self.claims_with(json!({"role": "ministry"})))
                }),
            ),
            (
                "100 KB signed token",
                // About 100,000 characters, so the request head stays below the 128 KiB
                // that actix-http 3 reads before it returns 431 on its own.
                self.signed(&self.claims_with(json!({"name": "я".repeat(37_000)})))?,
            ),
            ("100 KB of letters", "a".repeat(100_000)),
            (
                "header not base64",
                format!("!!!*.{valid_payload}.{valid_signature}"),
            ),
            (
                "payload not base64",
                format!("{valid_header}.~~~*.{valid_signature}"),
            ),
            (
                "signature not base64",
                format!("{valid_header}.{valid_payload}.%%%*"),
            ),
            (
                "header with base64 padding",
                format!("{valid_header}==.{valid_payload}.{valid_signature}"),
            ),
            (
                "header is not JSON",
                format!(
                    "{}.{valid_payload}.{valid_signature}",
                    URL_SAFE_NO_PAD.encode("not json at all")
                ),
            ),
            (
                "header is a JSON array",
                format!(
                    "{}.{valid_payload}.{valid_signature}",
                    URL_SAFE_NO_PAD.encode(r#"["EdDSA"]"#)
                ),
            ),
            (
                "payload is not JSON",
                self.signed(b"{\"sub\": \"x\", not json")?,
            ),
            ("payload is a JSON array", self.signed(b"[1, 2, 3]")?),
            ("payload is empty", self.signed(b"")?),
            (
                "exp is a string",
                self.signed(&self.claims_with(json!({"exp": "tomorrow"})))?,
            ),
            (
                "exp is negative",
                self.signed(&self.claims_with(json!({"exp": -1})))?,
            ),
            (
                "exp is a huge float",
                self.signed(&self.claims_with(json!({"exp": 1e300})))?,
            ),
            (
                "nbf is a string",
                self.signed(&self.claims_with(json!({"nbf": "soon"})))?,
            ),
            (
                "iat is an object",
                self.signed(&self.claims_with(json!({"iat": {"at": now}})))?,
            ),
            (
                "sub is a number",
                self.signed(&self.claims_with(json!({"sub": 42})))?,
            ),
            (
                "role is unknown",
                self.signed(&self.claims_with(json!({"role": "admin"})))?,
            ),
            (
                "role is a list",
                self.signed(&self.claims_with(json!({"role": ["officer", "ministry"]})))?,
            ),
            (
                "aud is a number",
                self.signed(&self.claims_with(json!({"aud": 7})))?,
            ),
            (
                "iss is a list",
                self.signed(&self.claims_with(json!({"iss": [self.issuer]})))?,
            ),
            (
                "sub has a control character",
                self.signed(&self.claims_with(json!({"sub": "a\u{0}b"})))?,
            ),
            (
                "officer without a body",
                self.signed(&self.claims_with(json!({"body": null})))?,
            ),
            (
                "npo with an invalid BIN",
                self.signed(&self.claims_with(json!({"role": "npo", "bin": "123"})))?,
            ),
            ("two parts", format!("{valid_header}.{valid_payload}")),
            (
                "four parts",
                format!("{valid}.{valid_signature}"),
            ),
            ("dots only", "..".into()),
            ("not a token", "not.a.token".into()),
        ];
        let mut cases: Vec<HostileToken> = tokens
            .into_iter()
            .map(|(name, token)| HostileToken {
                name,
                authorization: format!("Bearer {token}"),
            })
            .collect();
        for (name, authorization) in [
            ("scheme Token", format!("Token {valid}")),
            ("scheme Basic", "Basic dXNlcjpwYXNz".to_owned()),
            ("Bearer without a token", "Bearer ".to_owned()),
            ("token without a scheme", valid.clone()),
        ] {
            cases.push(HostileToken {
                name,
                authorization,
            });
        }
        Ok(cases)
    }
}

fn header(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).expect("a header serialises")
}

/// Returns the public key of an Ed25519 SPKI PEM as the `x` member of a JWK: the last
/// 32 bytes of the DER, base64url-encoded.
fn ed25519_public_x(pem: &str) -> anyhow::Result<String> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = STANDARD.decode(body)?;
    let x = der
        .get(der.len().saturating_sub(32)..)
        .filter(|x| x.len() == 32)
        .ok_or_else(|| anyhow::anyhow!("the PEM does not contain an Ed25519 public key"))?;
    Ok(URL_SAFE_NO_PAD.encode(x))
}
