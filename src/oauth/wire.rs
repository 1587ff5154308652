//! What goes over the wire to a token endpoint: the token response as providers really send it,
//! and Google's signed JWT assertion (RFC 7523).

use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{AccessToken, EndpointNotSet, RefreshToken, Scope, StandardRevocableToken, TokenResponse};
use serde::{Deserialize, Serialize};

/// The oauth2 client with [`LenientTokenResponse`] in place of the strict standard response.
pub(super) type CredentialsClient = oauth2::Client<
    BasicErrorResponse,
    LenientTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
>;

/// A token response (RFC 6749 §5.1) that takes `expires_in` as an integer, a fraction or a
/// string of digits: Azure AD's v1 endpoint sends `"3599"`, and some servers send `5.0`. The
/// standard response type of the oauth2 crate refuses both.
#[derive(Debug, Deserialize, Serialize)]
pub(super) struct LenientTokenResponse {
    access_token: AccessToken,
    token_type: BasicTokenType,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
}

impl TokenResponse for LenientTokenResponse {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        None
    }
}

fn lenient_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    let secs = match v {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok().map(|f| f.max(0.0) as u64),
        Some(_) => None,
    };
    secs.map(Some)
        .ok_or_else(|| serde::de::Error::custom("expires_in is not a number of seconds"))
}

/// The fields of a Google service-account JSON key that the grant needs.
#[derive(Deserialize)]
pub(super) struct ServiceAccountKey {
    pub client_email: String,
    pub private_key: String,
    pub private_key_id: Option<String>,
    pub token_uri: Option<String>,
}

#[derive(Serialize)]
pub(super) struct GoogleClaims {
    pub iss: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub scope: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
}

pub(super) fn sign_assertion(claims: &GoogleClaims, key: &ServiceAccountKey) -> Result<String, String> {
    let enc = jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.as_bytes())
        .map_err(|e| format!("the service account's private_key is not an RSA PEM key: {e}"))?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = key.private_key_id.clone();
    jsonwebtoken::encode(&header, claims, &enc).map_err(|e| format!("signing the JWT assertion: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_may_be_an_integer_a_fraction_or_a_string() {
        for (body, want) in [
            (
                r#"{"access_token":"a","token_type":"Bearer","expires_in":3599}"#,
                Some(3599),
            ),
            (
                r#"{"access_token":"a","token_type":"Bearer","expires_in":5.0}"#,
                Some(5),
            ),
            (
                r#"{"access_token":"a","token_type":"bearer","expires_in":"3599"}"#,
                Some(3599),
            ),
            (r#"{"access_token":"a","token_type":"Bearer"}"#, None),
        ] {
            let t: LenientTokenResponse = serde_json::from_str(body).expect(body);
            assert_eq!(t.expires_in, want, "{body}");
        }
        assert!(
            serde_json::from_str::<LenientTokenResponse>(
                r#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn google_assertion_is_rs256_with_subject() {
        // A throwaway 2048-bit key made for this test only.
        let pem = include_str!("../../tests/data/oauth-test-key.pem");
        let key = ServiceAccountKey {
            client_email: "svc@project.iam.gserviceaccount.com".into(),
            private_key: pem.into(),
            private_key_id: Some("kid1".into()),
            token_uri: None,
        };
        let claims = GoogleClaims {
            iss: key.client_email.clone(),
            sub: Some("ncal@example.test".into()),
            scope: "https://mail.google.com/".into(),
            aud: "https://oauth2.googleapis.com/token".into(),
            iat: 1,
            exp: 3601,
        };
        let jwt = sign_assertion(&claims, &key).expect("signed");
        let header = jsonwebtoken::decode_header(&jwt).expect("header");
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some("kid1"));
        let mut parts = jwt.split('.');
        let body = parts.nth(1).expect("claims part");
        use base64::Engine as _;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .expect("b64");
        let v: serde_json::Value = serde_json::from_slice(&json).expect("claims json");
        assert_eq!(v["sub"], "ncal@example.test");
        assert_eq!(v["iss"], "svc@project.iam.gserviceaccount.com");
    }
}
