//! JWT verification, roles and the caller extractor, plus development tokens for the
//! embedded default.
//!
//! Only asymmetric algorithms are accepted. `exp`, `iss` and `aud` are required, and
//! the verification key is chosen by the token's `kid`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use common_models::Bin;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::ApiError;
use crate::settings::Settings;

/// Algorithms a token may be signed with. Symmetric algorithms are absent on purpose:
/// a service that can verify an HS256 token could also forge one.
pub const ALLOWED_ALGORITHMS: &[Algorithm] = &[
    Algorithm::EdDSA,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Tokens longer than this are rejected before any parsing.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Seconds of clock difference tolerated between the token issuer and this server, for
/// `exp`, `nbf` and `iat`.
const LEEWAY_SECS: u64 = 30;

/// Key id of the development key in the data folder.
pub const DEVELOPMENT_KID: &str = "dev";

/// Role of a caller, from the `role` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The liaison officer of one government body.
    Officer,
    /// An analyst of the Ministry of Information and Social Development.
    Ministry,
    /// Another government system that pushes registration data.
    Integrator,
    /// A representative of one NPO, identified by its BIN.
    Npo,
}

impl FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "officer" => Ok(Self::Officer),
            "ministry" => Ok(Self::Ministry),
            "integrator" => Ok(Self::Integrator),
            "npo" => Ok(Self::Npo),
            other => Err(format!(
                "unknown role '{other}': expected officer, ministry, integrator or npo"
            )),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Officer => "officer",
            Self::Ministry => "ministry",
            Self::Integrator => "integrator",
            Self::Npo => "npo",
        })
    }
}

/// The claims this platform reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub role: Role,
    /// Government body of an officer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// BIN of the NPO an `npo` user represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    pub iss: String,
    /// One audience or several (RFC 7519 allows both forms).
    pub aud: Audience,
    pub exp: u64,
    #[serde(default)]
    pub iat: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// The `aud` claim: one string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl From<&str> for Audience {
    fn from(audience: &str) -> Self {
        Self::One(audience.to_owned())
    }
}

/// An authenticated caller, after its token was verified and its claims checked.
#[derive(Debug, Clone)]
pub struct Caller {
    pub subject: String,
    pub role: Role,
    body: Option<String>,
    bin: Option<Bin>,
    name: Option<String>,
}

impl Caller {
    fn from_claims(claims: Claims) -> Result<Self, ApiError> {
        let texts = [
            Some(&claims.sub),
            claims.body.as_ref(),
            claims.name.as_ref(),
        ];
        if claims.sub.trim().is_empty()
            || texts
                .into_iter()
                .flatten()
                .any(|t| t.chars().any(char::is_control))
        {
            return Err(ApiError::Unauthorized(
                "the token's sub, body or name claim is empty or contains control characters"
                    .into(),
            ));
        }
        let body = claims.body.filter(|b| !b.trim().is_empty());
        if claims.role == Role::Officer && body.is_none() {
            return Err(ApiError::Unauthorized(
                "an officer token must carry the government body in the 'body' claim".into(),
            ));
        }
        let bin =
            match (claims.role, claims.bin) {
                (Role::Npo, Some(raw)) => Some(Bin::parse(&raw).map_err(|e| {
                    ApiError::Unauthorized(format!("the 'bin' claim is invalid: {e}"))
                })?),
                (Role::Npo, None) => {
                    return Err(ApiError::Unauthorized(
                        "an npo token must carry the organisation's BIN in the 'bin' claim".into(),
                    ));
                }
                _ => None,
            };
        Ok(Self {
            subject: claims.sub,
            role: claims.role,
            body,
            bin,
            name: claims.name.filter(|n| !n.trim().is_empty()),
        })
    }

    /// Fails with 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let expected: Vec<String> = roles.iter().map(Role::to_string).collect();
            Err(ApiError::Forbidden(format!(
                "role {} may not do this; expected {}",
                self.role,
                expected.join(" or ")
            )))
        }
    }

    /// Returns the government body of an officer; 403 for every other role.
    pub fn officer_body(&self) -> Result<&str, ApiError> {
        self.require(&[Role::Officer])?;
        self.body
            .as_deref()
            .ok_or_else(|| ApiError::Forbidden("the token names no government body".into()))
    }

    /// Returns the scope of this caller's idempotency keys on `route`: the subject, the
    /// role and the body or BIN it acts for, so two callers never share a key.
    pub fn idempotency_scope(&self, route: &str) -> String {
        let acting_for = self
            .body
            .as_deref()
            .or(self.bin.as_ref().map(Bin::as_str))
            .unwrap_or_default();
        format!("{}|{}|{acting_for}|{route}", self.role, self.subject)
    }

    /// Returns the government body named in the token, when there is one.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// Returns the government body whose records the caller reads: their own for an
    /// officer, and every body (`None`) for the ministry. Other roles get 403.
    pub fn reading_scope(&self) -> Result<Option<&str>, ApiError> {
        self.require(&[Role::Officer, Role::Ministry])?;
        match self.role {
            Role::Officer => self.officer_body().map(Some),
            _ => Ok(None),
        }
    }

    /// Returns the caller's full name from the token's `name` claim, when it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Returns the BIN of an NPO user.
    pub fn bin(&self) -> Option<&Bin> {
        self.bin.as_ref()
    }
}

/// A caller that may also be anonymous. A token that is present but invalid is still
/// rejected with 401, never treated as anonymous.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

struct VerificationKey {
    key: DecodingKey,
    algorithm: Algorithm,
}

/// Verifies tokens against the configured keys.
pub struct Verifier {
    /// Keys from PEM files and the development key, fixed at start.
    keys: RwLock<HashMap<String, Arc<VerificationKey>>>,
    /// Keys of the last JWKS fetch; each refresh replaces the whole set, so a key
    /// removed from the JWKS stops being trusted.
    jwks_keys: RwLock<HashMap<String, Arc<VerificationKey>>>,
    issuer: String,
    audience: String,
    jwks_url: Option<String>,
    /// When the JWKS was last requested, successful or not.
    last_refresh: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kids: Vec<String> = Vec::new();
        for keys in [&self.keys, &self.jwks_keys] {
            if let Ok(keys) = keys.read() {
                kids.extend(keys.keys().cloned());
            }
        }
        f.debug_struct("Verifier")
            .field("kids", &kids)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Verifier {
    /// Builds a verifier from settings: PEM files, a JWKS URL, or the development key.
    pub async fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let verifier = Self {
            keys: RwLock::new(HashMap::new()),
            jwks_keys: RwLock::new(HashMap::new()),
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            jwks_url: settings.jwt_jwks_url.clone(),
            last_refresh: tokio::sync::Mutex::new(None),
        };
        for path in &settings.jwt_public_keys {
            let pem = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("cannot read key {}: {e}", path.display()))?;
            let kid = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            verifier.insert(kid, key_from_pem(&pem, path)?);
        }
        if let Some(url) = &verifier.jwks_url {
            *verifier.last_refresh.lock().await = Some(Instant::now());
            let keys = fetch_jwks(url).await?;
            verifier.replace_jwks(keys);
        }
        if settings.uses_development_key() {
            if !settings.development_tokens {
                anyhow::bail!(
                    "no token verification keys are configured: set LIAISON_JWT_PUBLIC_KEYS or \
                     LIAISON_JWT_JWKS_URL, or LIAISON_DEVELOPMENT_TOKENS=1 to trust the \
                     development key in the data folder"
                );
            }
            let dev = DevelopmentKey::load_or_create(&settings.data_dir)?;
            verifier.insert(DEVELOPMENT_KID.into(), dev.verification_key()?);
        }
        Ok(verifier)
    }

    fn insert(&self, kid: String, key: VerificationKey) {
        if let Ok(mut keys) = self.keys.write() {
            keys.insert(kid, Arc::new(key));
        }
    }

    fn replace_jwks(&self, keys: HashMap<String, Arc<VerificationKey>>) {
        tracing::info!(jwks.keys = keys.len(), "verification keys loaded from JWKS");
        if let Ok(mut current) = self.jwks_keys.write() {
            *current = keys;
        }
    }

    fn find(&self, kid: &str) -> Option<Arc<VerificationKey>> {
        if let Some(key) = self.keys.read().ok()?.get(kid) {
            return Some(key.clone());
        }
        self.jwks_keys.read().ok()?.get(kid).cloned()
    }

    fn only_key(&self) -> Option<Arc<VerificationKey>> {
        let keys = self.keys.read().ok()?;
        let jwks_keys = self.jwks_keys.read().ok()?;
        let mut all = keys.values().chain(jwks_keys.values());
        match (all.next(), all.next()) {
            (Some(only), None) => Some(only.clone()),
            _ => None,
        }
    }

    /// Verifies a compact JWT and returns the caller it names.
    pub async fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let unauthorized = |reason: &str| ApiError::Unauthorized(reason.to_owned());
        if token.len() > MAX_TOKEN_BYTES {
            return Err(unauthorized("the token is too long"));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| unauthorized("the token is malformed"))?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(unauthorized("the token's algorithm is not allowed"));
        }
        let key = match header.kid.as_deref() {
            Some(kid) => match self.find(kid) {
                Some(key) => Some(key),
                None => self.find_after_refresh(kid).await,
            },
            None => self.only_key(),
        }
        .ok_or_else(|| unauthorized("the token's key id is unknown"))?;
        if key.algorithm != header.alg {
            return Err(unauthorized("the token's algorithm does not match its key"));
        }

        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let reason = match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired",
                ErrorKind::ImmatureSignature => "the token is not valid yet",
                ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                ErrorKind::InvalidAudience => "the token's audience is not accepted",
                ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                ErrorKind::InvalidSignature => "the token's signature is invalid",
                ErrorKind::Json(error) => {
                    return ApiError::Unauthorized(format!(
                        "the token's claims are invalid: {error}"
                    ));
                }
                _ => "the token is invalid",
            };
            unauthorized(reason)
        })?;
        // RFC 7519 leaves `iat` unchecked. An issue time in the future means that the
        // issuer's clock is wrong or that the issuer did not make the token, which
        // could then outlive the lifetime the issuer meant to give it.
        if data.claims.iat > jsonwebtoken::get_current_timestamp() + LEEWAY_SECS {
            return Err(unauthorized(
                "the token's issue time (iat) is in the future",
            ));
        }
        Caller::from_claims(data.claims)
    }

    async fn find_after_refresh(&self, kid: &str) -> Option<Arc<VerificationKey>> {
        let url = self.jwks_url.as_ref()?;
        // A token signed with a rotated-in key names a kid not seen yet. The JWKS is
        // requested at most once a minute, failed attempts included, and concurrent
        // requests wait for one fetch, so unknown kids cannot hammer the key server.
        let mut last = self.last_refresh.lock().await;
        if last.is_some_and(|at| at.elapsed() < Duration::from_secs(60)) {
            return self.find(kid);
        }
        *last = Some(Instant::now());
        match fetch_jwks(url).await {
            Ok(keys) => self.replace_jwks(keys),
            Err(error) => tracing::warn!(error = %error, "JWKS refresh failed"),
        }
        drop(last);
        self.find(kid)
    }
}

/// Fetches a JWKS and keeps the signing keys this verifier can use. Other keys, such
/// as encryption keys or unsupported algorithms, are skipped with a log line.
async fn fetch_jwks(url: &str) -> anyhow::Result<HashMap<String, Arc<VerificationKey>>> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let set: JwkSet = client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        let usable = DecodingKey::from_jwk(jwk)
            .map_err(anyhow::Error::from)
            .and_then(|key| {
                let algorithm = match &jwk.common.key_algorithm {
                    Some(alg) => Algorithm::from_str(&alg.to_string())?,
                    None => default_algorithm(&key),
                };
                anyhow::ensure!(
                    ALLOWED_ALGORITHMS.contains(&algorithm),
                    "algorithm {algorithm:?} is not allowed"
                );
                Ok(VerificationKey { key, algorithm })
            });
        match usable {
            Ok(key) => {
                keys.insert(kid, Arc::new(key));
            }
            Err(error) => tracing::warn!(jwk.kid = %kid, error = %error, "JWKS key skipped"),
        }
    }
    Ok(keys)
}

fn default_algorithm(key: &DecodingKey) -> Algorithm {
    use jsonwebtoken::AlgorithmFamily;
    match key.family() {
        AlgorithmFamily::Ed => Algorithm::EdDSA,
        AlgorithmFamily::Ec => Algorithm::ES256,
        _ => Algorithm::RS256,
    }
}

fn key_from_pem(pem: &[u8], path: &Path) -> anyhow::Result<VerificationKey> {
    if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        return Ok(VerificationKey {
            key,
            algorithm: Algorithm::EdDSA,
        });
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        return Ok(VerificationKey {
            key,
            algorithm: Algorithm::ES256,
        });
    }
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok(VerificationKey {
            key,
            algorithm: Algorithm::RS256,
        });
    }
    anyhow::bail!(
        "{} is not an Ed25519, P-256 or RSA public key in PEM format",
        path.display()
    )
}

/// Reads the token of an `Authorization: Bearer` header; `None` without the header.
pub(crate) fn bearer_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not ASCII".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be 'Bearer <token>'".into(),
        )),
    }
}

/// The caller of a request whose token a middleware has verified already, such as the
/// rate limit, kept in the request's extensions so it is verified once.
#[derive(Debug, Clone)]
pub(crate) struct Verified(pub(crate) Caller);

/// Returns the caller the request's bearer token names, `None` without a token, and 401
/// for an invalid one. A caller a middleware verified already is taken as it is.
pub(crate) async fn authenticate(req: HttpRequest) -> Result<Option<Caller>, ApiError> {
    let verified = req.extensions().get::<Verified>().map(|v| v.0.clone());
    let caller = match verified {
        Some(caller) => caller,
        None => {
            let Some(token) = bearer_token(&req)? else {
                return Ok(None);
            };
            let verifier = req.app_data::<web::Data<Verifier>>().ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("no token verifier configured"))
            })?;
            verifier.verify(&token).await?
        }
    };
    tracing::Span::current().record("actor", caller.subject.as_str());
    if let Some(body) = caller.body() {
        tracing::Span::current().record("body.id", body);
    }
    Ok(Some(caller))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(req)
                .await?
                .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))
        })
    }
}

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(MaybeCaller) })
    }
}

/// The Ed25519 key the embedded default signs development tokens with, kept in the
/// data folder so tokens stay valid across restarts.
pub struct DevelopmentKey {
    private_pem: String,
    public_pem: String,
}

impl std::fmt::Debug for DevelopmentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DevelopmentKey(..)")
    }
}

impl DevelopmentKey {
    /// Path of the private key inside a data folder.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("keys").join("development-ed25519.pem")
    }

    /// Reads the key from the data folder, generating it on first use.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Self> {
        let path = Self::path(data_dir);
        let private_pem = if path.exists() {
            std::fs::read_to_string(&path)?
        } else {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            // PKCS#8 version 1 (the secret key alone), which OpenSSL and other tools
            // read as well.
            let pem = ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: seed,
                public_key: None,
            }
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| anyhow::anyhow!("cannot encode the key: {e}"))?
            .to_string();
            write_private(&path, &pem)?;
            tracing::info!(key.path = %path.display(), "development signing key generated");
            pem
        };
        let signing =
            <SigningKey as ed25519_dalek::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&private_pem)
                .map_err(|e| {
                    anyhow::anyhow!("{} is not an Ed25519 private key: {e}", path.display())
                })?;
        let public_pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| anyhow::anyhow!("cannot encode the public key: {e}"))?;
        Ok(Self {
            private_pem,
            public_pem,
        })
    }

    fn verification_key(&self) -> anyhow::Result<VerificationKey> {
        Ok(VerificationKey {
            key: DecodingKey::from_ed_pem(self.public_pem.as_bytes())?,
            algorithm: Algorithm::EdDSA,
        })
    }

    /// Returns the public key in PEM form, for other processes that verify these tokens.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// Signs a token for `request`, valid for `ttl` from now.
    pub fn mint(
        &self,
        settings: &Settings,
        request: &TokenRequest,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: request.subject.clone(),
            name: request.name.clone(),
            role: request.role,
            body: request.body.clone(),
            bin: request.bin.clone(),
            iss: settings.jwt_issuer.clone(),
            aud: Audience::One(settings.jwt_audience.clone()),
            exp: now + ttl.as_secs(),
            iat: now,
            nbf: None,
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims with this key, as tests of token validation need.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(DEVELOPMENT_KID.into());
        let key = EncodingKey::from_ed_pem(self.private_pem.as_bytes())?;
        Ok(jsonwebtoken::encode(&header, claims, &key)?)
    }

    /// Signs arbitrary header and payload bytes with this key (EdDSA), whatever they
    /// contain, as tests of malformed headers and claims need. Both parts are encoded
    /// as unpadded base64url.
    pub fn sign_raw(&self, header: &[u8], payload: &[u8]) -> anyhow::Result<String> {
        use base64::Engine;
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let message = format!("{}.{}", encode(header), encode(payload));
        let key = EncodingKey::from_ed_pem(self.private_pem.as_bytes())?;
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::EdDSA)?;
        Ok(format!("{message}.{signature}"))
    }
}

/// Subject and claims of a development token.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub subject: String,
    pub name: Option<String>,
    pub role: Role,
    pub body: Option<String>,
    pub bin: Option<String>,
}

fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, pem.as_bytes())?;
    Ok(())
}
