//! Private keys and X.509 certificates for Sprig's `genPrivateKey`, `genCA*`, `genSelfSignedCert*`,
//! `genSignedCert*` and `buildCustomCert`, laid out as Go's `crypto/x509` lays them out: the same
//! PEM block types and key encodings, the same extensions in the same order and with the same
//! criticality, and the subject and key-identifier rules of Go 1.25.

use std::net::IpAddr;
use std::sync::Arc;

use der::asn1::{BitString, Ia5String, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Tag, Tagged};
use rand::RngCore;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use sha2::Digest;
use signature::Signer;
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate as X509, TbsCertificate, Version};

use super::{go_b64_decode, pem_decode, pem_encode, s, CtxRng};
use crate::engine::funcs::{FuncCtx, FuncError, FuncResult};
use crate::engine::value::Value;

/// Go's type name for Sprig's certificate struct.
pub const CERT_TY: &str = "sprig.certificate";

/// Sprig's `certificate`: a PEM certificate and its PEM private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The PEM `CERTIFICATE` block.
    pub cert: String,
    /// The PEM private key block.
    pub key: String,
}

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ID_CE_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const ID_CE_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const ID_CE_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const ID_CE_SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const ID_CE_AUTHORITY_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const ID_CE_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const OID_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

/// A private key of one of the kinds Sprig generates or accepts.
pub enum PrivKey {
    /// RSA.
    Rsa(Box<rsa::RsaPrivateKey>),
    /// ECDSA on P-256.
    P256(p256::SecretKey),
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
    /// DSA: Go can generate and parse it, but not sign certificates with it. Holds the
    /// `DSA PRIVATE KEY` DER.
    Dsa(Vec<u8>),
}

fn der_uint(bytes: &[u8], out: &mut Vec<u8>) {
    let mut b: &[u8] = bytes;
    while b.len() > 1 && b[0] == 0 {
        b = &b[1..];
    }
    let pad = b.first().is_some_and(|x| x & 0x80 != 0);
    let len = b.len() + pad as usize;
    out.push(0x02);
    der_len(len, out);
    if pad {
        out.push(0);
    }
    out.extend_from_slice(b);
}

fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

impl PrivKey {
    /// A new RSA key of `bits` bits.
    pub fn generate_rsa(rng: &mut CtxRng<'_>, bits: usize) -> Result<PrivKey, String> {
        rsa::RsaPrivateKey::new(rng, bits)
            .map(|k| PrivKey::Rsa(Box::new(k)))
            .map_err(|e| e.to_string())
    }

    /// A new P-256 key.
    pub fn generate_ecdsa(rng: &mut CtxRng<'_>) -> Result<PrivKey, String> {
        Ok(PrivKey::P256(p256::SecretKey::random(rng)))
    }

    /// A new Ed25519 key.
    pub fn generate_ed25519(rng: &mut CtxRng<'_>) -> Result<PrivKey, String> {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Ok(PrivKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
            &seed,
        )))
    }

    /// A new DSA key with L=2048, N=256 parameters, as Go generates.
    pub fn generate_dsa(rng: &mut CtxRng<'_>) -> Result<PrivKey, String> {
        let comps = dsa::Components::generate(rng, dsa::KeySize::DSA_2048_256);
        let key = dsa::SigningKey::generate(rng, comps);
        let vk = key.verifying_key();
        let c = vk.components();
        let mut body = Vec::new();
        der_uint(&[0], &mut body);
        for n in [c.p(), c.q(), c.g(), vk.y(), key.x()] {
            der_uint(&n.to_bytes_be(), &mut body);
        }
        let mut der = vec![0x30];
        der_len(body.len(), &mut der);
        der.extend(body);
        Ok(PrivKey::Dsa(der))
    }

    /// The key as Go's `pemBlockForKey` writes it.
    pub fn to_pem(&self) -> String {
        match self {
            PrivKey::Rsa(k) => match k.to_pkcs1_der() {
                Ok(d) => pem_encode("RSA PRIVATE KEY", d.as_bytes()),
                Err(_) => String::new(),
            },
            PrivKey::P256(k) => {
                // SEC 1 with the named-curve parameters and the public key, as Go's
                // MarshalECPrivateKey writes it (openssl needs the curve named).
                use p256::elliptic_curve::sec1::ToEncodedPoint;
                let mut der = vec![0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
                der.extend_from_slice(&k.to_bytes());
                der.extend_from_slice(&[
                    0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1,
                    0x44, 0x03, 0x42, 0x00,
                ]);
                der.extend_from_slice(k.public_key().to_encoded_point(false).as_bytes());
                pem_encode("EC PRIVATE KEY", &der)
            }
            PrivKey::Ed25519(k) => {
                // PKCS#8 v1 without the public key, as Go's MarshalPKCS8PrivateKey writes it.
                let mut der = vec![
                    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04,
                    0x22, 0x04, 0x20,
                ];
                der.extend_from_slice(&k.to_bytes());
                pem_encode("PRIVATE KEY", &der)
            }
            PrivKey::Dsa(der) => pem_encode("DSA PRIVATE KEY", der),
        }
    }

    /// Go's `parsePrivateKeyPEM` in Sprig.
    pub fn parse_pem(text: &str) -> Result<PrivKey, String> {
        let (kind, der) = pem_decode(text).ok_or("no PEM data in input")?;
        if kind == "PRIVATE KEY" {
            return parse_pkcs8(&der).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
        }
        let Some(prefix) = kind.strip_suffix(" PRIVATE KEY") else {
            return Err(format!("no private key data in PEM block of type {kind}"));
        };
        match prefix {
            "RSA" => rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| PrivKey::Rsa(Box::new(k)))
                .map_err(|_| format!("parsing RSA private key from PEM: {}", asn1_error(&der))),
            "EC" => p256::SecretKey::from_sec1_der(&der)
                .map(PrivKey::P256)
                .map_err(|_| {
                    format!(
                        "parsing EC private key from PEM: x509: failed to parse EC private key: {}",
                        asn1_error(&der)
                    )
                }),
            "DSA" => match Any::from_der(&der) {
                Ok(a) if a.tag() == Tag::Sequence => Ok(PrivKey::Dsa(der)),
                _ => Err(format!(
                    "parsing DSA private key from PEM: {}",
                    asn1_error(&der)
                )),
            },
            _ => Err(format!("invalid private key type {kind}")),
        }
    }

    fn spki(&self) -> Result<SubjectPublicKeyInfoOwned, String> {
        let der = match self {
            PrivKey::Rsa(k) => k.to_public_key().to_public_key_der(),
            PrivKey::P256(k) => k.public_key().to_public_key_der(),
            PrivKey::Ed25519(k) => {
                return Ok(SubjectPublicKeyInfoOwned {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: OID_ED25519,
                        parameters: None,
                    },
                    subject_public_key: BitString::from_bytes(k.verifying_key().as_bytes())
                        .map_err(|e| e.to_string())?,
                })
            }
            PrivKey::Dsa(_) => {
                return Err("x509: certificate private key does not implement crypto.Signer".into())
            }
        }
        .map_err(|e| e.to_string())?;
        SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|e| e.to_string())
    }

    fn sig_alg(&self) -> AlgorithmIdentifierOwned {
        match self {
            PrivKey::Rsa(_) | PrivKey::Dsa(_) => AlgorithmIdentifierOwned {
                oid: OID_SHA256_RSA,
                parameters: Some(Any::null()),
            },
            PrivKey::P256(_) => AlgorithmIdentifierOwned {
                oid: OID_ECDSA_SHA256,
                parameters: None,
            },
            PrivKey::Ed25519(_) => AlgorithmIdentifierOwned {
                oid: OID_ED25519,
                parameters: None,
            },
        }
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            PrivKey::Rsa(k) => {
                let sk = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**k).clone());
                let sig: rsa::pkcs1v15::Signature = sk.try_sign(msg).map_err(|e| e.to_string())?;
                Ok(Box::<[u8]>::from(sig).to_vec())
            }
            PrivKey::P256(k) => {
                let sk = p256::ecdsa::SigningKey::from(k);
                let sig: p256::ecdsa::DerSignature = sk.try_sign(msg).map_err(|e| e.to_string())?;
                Ok(sig.as_bytes().to_vec())
            }
            PrivKey::Ed25519(k) => Ok(k.sign(msg).to_bytes().to_vec()),
            PrivKey::Dsa(_) => {
                Err("x509: certificate private key does not implement crypto.Signer".into())
            }
        }
    }
}

/// The gist of Go's `encoding/asn1` error for DER that failed to parse: a broken outer TLV is a
/// syntax error, anything else a structure error (Go's exact structure-error details are not
/// reproduced).
fn asn1_error(der: &[u8]) -> String {
    match Any::from_der(der) {
        Err(_) => "asn1: syntax error: truncated tag or length".into(),
        Ok(_) => "asn1: structure error: tags don't match".into(),
    }
}

fn parse_pkcs8(der: &[u8]) -> Result<PrivKey, String> {
    let info = rsa::pkcs8::PrivateKeyInfo::from_der(der).map_err(|_| asn1_error(der))?;
    let oid = info.algorithm.oid;
    if oid == OID_RSA {
        rsa::RsaPrivateKey::from_pkcs8_der(der)
            .map(|k| PrivKey::Rsa(Box::new(k)))
            .map_err(|e| format!("x509: failed to parse RSA private key embedded in PKCS#8: {e}"))
    } else if oid == OID_EC {
        p256::SecretKey::from_pkcs8_der(der)
            .map(PrivKey::P256)
            .map_err(|e| format!("x509: failed to parse EC private key embedded in PKCS#8: {e}"))
    } else if oid == OID_ED25519 {
        let inner = OctetString::from_der(info.private_key)
            .map_err(|e| format!("x509: invalid Ed25519 private key: {e}"))?;
        let seed: [u8; 32] = inner.as_bytes().try_into().map_err(|_| {
            format!(
                "x509: invalid Ed25519 private key length: {}",
                inner.as_bytes().len()
            )
        })?;
        Ok(PrivKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
            &seed,
        )))
    } else {
        Err(format!(
            "x509: PKCS#8 wrapping contained private key with unknown algorithm: {oid}"
        ))
    }
}

/// Go's `isPrintable` for ASN.1 PrintableString, which Go stretches to allow `*` and `&`.
fn is_printable(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?*&".contains(&b))
}

fn subject(cn: &str) -> Result<Name, String> {
    if cn.is_empty() {
        return Ok(RdnSequence(Vec::new()));
    }
    let tag = if is_printable(cn) {
        Tag::PrintableString
    } else {
        Tag::Utf8String
    };
    let atv = AttributeTypeAndValue {
        oid: OID_CN,
        value: Any::new(tag, cn.as_bytes()).map_err(|e| e.to_string())?,
    };
    let set = SetOfVec::try_from(vec![atv]).map_err(|e| e.to_string())?;
    Ok(RdnSequence(vec![RelativeDistinguishedName(set)]))
}

fn x509_time(unix: i64) -> Result<Time, String> {
    let secs =
        u64::try_from(unix).map_err(|_| "x509: time before 1970 is not supported".to_string())?;
    let d = std::time::Duration::from_secs(secs);
    // UTCTime covers 1950 through 2049; later dates need GeneralizedTime, as Go chooses.
    if unix < 2_524_608_000 {
        der::asn1::UtcTime::from_unix_duration(d)
            .map(Time::UtcTime)
            .map_err(|e| e.to_string())
    } else {
        der::asn1::GeneralizedTime::from_unix_duration(d)
            .map(Time::GeneralTime)
            .map_err(|e| e.to_string())
    }
}

fn ext<T: Encode>(oid: ObjectIdentifier, critical: bool, value: &T) -> Result<Extension, String> {
    let der = value.to_der().map_err(|e| e.to_string())?;
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(der).map_err(|e| e.to_string())?,
    })
}

/// The subject alternative names Sprig passes: IP strings and DNS strings, with its errors.
fn alt_names(ips: &Value, dns: &Value) -> Result<Vec<GeneralName>, String> {
    let mut names = Vec::new();
    let mut ip_names = Vec::new();
    if let Some(list) = ips.as_list() {
        for ip in list.iter() {
            let Value::String(text) = ip else {
                return Err(format!(
                    "error parsing ip: {} is not a string",
                    ip.format_v()
                ));
            };
            let addr: IpAddr = text
                .parse()
                .map_err(|_| format!("error parsing ip: {text}"))?;
            let bytes = match addr {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(a) => a.octets().to_vec(),
            };
            ip_names.push(GeneralName::IpAddress(
                OctetString::new(bytes).map_err(|e| e.to_string())?,
            ));
        }
    }
    if let Some(list) = dns.as_list() {
        for d in list.iter() {
            let Value::String(text) = d else {
                return Err(format!(
                    "error processing alternate dns name: {} is not a string",
                    d.format_v()
                ));
            };
            let ia5 = Ia5String::new(text.as_bytes()).map_err(|e| e.to_string())?;
            names.push(GeneralName::DnsName(ia5));
        }
    }
    // Go writes DNS names before IP addresses.
    names.extend(ip_names);
    Ok(names)
}

/// The issuing side of a signature: the CA's subject, key identifier and key.
struct Issuer<'a> {
    name: Option<Name>,
    key_id: Option<Vec<u8>>,
    key: &'a PrivKey,
}

struct Template {
    cn: String,
    sans: Vec<GeneralName>,
    days: i64,
    is_ca: bool,
}

/// The SubjectKeyId Go derives for a CA: a truncated SHA-256 of the public key in Go 1.25
/// (helm 4.1.4), SHA-1 in Go 1.24 (helm 3.18.0).
fn key_id(spki: &SubjectPublicKeyInfoOwned, helm_major: u32) -> Vec<u8> {
    let key = spki.subject_public_key.raw_bytes();
    if helm_major >= 4 {
        sha2::Sha256::digest(key)[..20].to_vec()
    } else {
        sha1::Sha1::digest(key).to_vec()
    }
}

fn create(
    ctx: &mut dyn FuncCtx,
    t: &Template,
    key: &PrivKey,
    issuer: Option<Issuer<'_>>,
) -> Result<Certificate, String> {
    let mut serial = [0u8; 16];
    ctx.rng().fill_bytes(&mut serial);
    let now = ctx.now().timestamp();
    let not_after = now.saturating_add(t.days.saturating_mul(86_400));
    let subject = subject(&t.cn)?;
    let spki = key
        .spki()
        .map_err(|e| format!("error creating certificate: {e}"))?;
    let signer = issuer.as_ref().map_or(key, |i| i.key);
    let issuer_name = issuer
        .as_ref()
        .and_then(|i| i.name.clone())
        .unwrap_or_else(|| subject.clone());

    let mut usages = KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment;
    if t.is_ca {
        usages |= KeyUsages::KeyCertSign;
    }
    let mut exts = vec![
        ext(ID_CE_KEY_USAGE, true, &KeyUsage(usages))?,
        ext(
            ID_CE_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![OID_SERVER_AUTH, OID_CLIENT_AUTH]),
        )?,
        ext(
            ID_CE_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: t.is_ca,
                path_len_constraint: None,
            },
        )?,
    ];
    if t.is_ca {
        let skid = OctetString::new(key_id(&spki, ctx.helm_major())).map_err(|e| e.to_string())?;
        exts.push(ext(
            ID_CE_SUBJECT_KEY_IDENTIFIER,
            false,
            &SubjectKeyIdentifier(skid),
        )?);
    }
    let issuer_differs = issuer_name.to_der().ok() != subject.to_der().ok();
    if let Some(kid) = issuer.as_ref().and_then(|i| i.key_id.clone()) {
        if issuer_differs {
            exts.push(ext(
                ID_CE_AUTHORITY_KEY_IDENTIFIER,
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(kid).map_err(|e| e.to_string())?),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            )?);
        }
    }
    if !t.sans.is_empty() {
        exts.push(ext(
            ID_CE_SUBJECT_ALT_NAME,
            t.cn.is_empty(),
            &SubjectAltName(t.sans.clone()),
        )?);
    }

    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&serial).map_err(|e| e.to_string())?,
        signature: signer.sig_alg(),
        issuer: issuer_name,
        validity: Validity {
            not_before: x509_time(now)?,
            not_after: x509_time(not_after)?,
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(exts),
    };
    let tbs_der = tbs.to_der().map_err(|e| e.to_string())?;
    let sig = signer
        .sign(&tbs_der)
        .map_err(|e| format!("error creating certificate: {e}"))?;
    let cert = X509 {
        tbs_certificate: tbs,
        signature_algorithm: signer.sig_alg(),
        signature: BitString::from_bytes(&sig).map_err(|e| e.to_string())?,
    };
    let der = cert.to_der().map_err(|e| e.to_string())?;
    Ok(Certificate {
        cert: pem_encode("CERTIFICATE", &der),
        key: key.to_pem(),
    })
}

fn int(a: &[Value], i: usize) -> i64 {
    a.get(i).and_then(Value::as_int).unwrap_or(0)
}

fn arg(a: &[Value], i: usize) -> Value {
    a.get(i).cloned().unwrap_or(Value::Nil)
}

fn cert_val(c: Certificate) -> Value {
    Value::Object(Arc::new(c))
}

fn new_rsa(ctx: &mut dyn FuncCtx) -> Result<PrivKey, FuncError> {
    PrivKey::generate_rsa(&mut CtxRng(ctx.rng()), 2048)
        .map_err(|e| FuncError::msg(format!("error generating rsa key: {e}")))
}

fn parsed_key(text: &str) -> Result<PrivKey, FuncError> {
    PrivKey::parse_pem(text).map_err(|e| FuncError::msg(format!("parsing private key: {e}")))
}

fn ca_with(ctx: &mut dyn FuncCtx, a: &[Value], key: PrivKey) -> FuncResult {
    let t = Template {
        cn: s(a, 0).to_string(),
        sans: Vec::new(),
        days: int(a, 1),
        is_ca: true,
    };
    create(ctx, &t, &key, None)
        .map(cert_val)
        .map_err(FuncError::msg)
}

/// `genCA cn days`.
pub fn gen_ca(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let key = new_rsa(ctx)?;
    ca_with(ctx, &a, key)
}

/// `genCAWithKey cn days keyPEM`.
pub fn gen_ca_with_key(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let key = parsed_key(s(&a, 2))?;
    ca_with(ctx, &a, key)
}

fn leaf_template(a: &[Value]) -> Result<Template, FuncError> {
    Ok(Template {
        cn: s(a, 0).to_string(),
        sans: alt_names(&arg(a, 1), &arg(a, 2)).map_err(FuncError::msg)?,
        days: int(a, 3),
        is_ca: false,
    })
}

/// `genSelfSignedCert cn ips dns days`.
pub fn gen_self_signed(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let key = new_rsa(ctx)?;
    let t = leaf_template(&a)?;
    create(ctx, &t, &key, None)
        .map(cert_val)
        .map_err(FuncError::msg)
}

/// `genSelfSignedCertWithKey cn ips dns days keyPEM`.
pub fn gen_self_signed_with_key(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let key = parsed_key(s(&a, 4))?;
    let t = leaf_template(&a)?;
    create(ctx, &t, &key, None)
        .map(cert_val)
        .map_err(FuncError::msg)
}

fn signed_with(ctx: &mut dyn FuncCtx, a: &[Value], key: PrivKey) -> FuncResult {
    let ca = a
        .get(4)
        .and_then(|v| v.downcast::<Certificate>())
        .cloned()
        .unwrap_or(Certificate {
            cert: String::new(),
            key: String::new(),
        });
    let (_, ca_der) =
        pem_decode(&ca.cert).ok_or_else(|| FuncError::msg("unable to decode certificate"))?;
    let ca_cert = X509::from_der(&ca_der).map_err(|e| {
        FuncError::msg(format!(
            "error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate: {e}"
        ))
    })?;
    let ca_key = PrivKey::parse_pem(&ca.key)
        .map_err(|e| FuncError::msg(format!("error parsing private key: {e}")))?;
    let t = leaf_template(a)?;
    let key_id = ca_cert
        .tbs_certificate
        .get::<SubjectKeyIdentifier>()
        .ok()
        .flatten()
        .map(|(_, k)| k.0.as_bytes().to_vec());
    let issuer = Issuer {
        name: Some(ca_cert.tbs_certificate.subject.clone()),
        key_id,
        key: &ca_key,
    };
    create(ctx, &t, &key, Some(issuer))
        .map(cert_val)
        .map_err(FuncError::msg)
}

/// `genSignedCert cn ips dns days ca`.
pub fn gen_signed(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let key = new_rsa(ctx)?;
    signed_with(ctx, &a, key)
}

/// `genSignedCertWithKey cn ips dns days ca keyPEM`.
pub fn gen_signed_with_key(ctx: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let key = parsed_key(s(&a, 5))?;
    signed_with(ctx, &a, key)
}

/// `buildCustomCert b64cert b64key`: checks both and wraps them as a certificate.
pub fn build_custom_cert(_: &mut dyn FuncCtx, a: Vec<Value>) -> FuncResult {
    let cert = go_b64_decode(s(&a, 0))
        .map_err(|_| FuncError::msg("unable to decode base64 certificate"))?;
    let key = go_b64_decode(s(&a, 1))
        .map_err(|_| FuncError::msg("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der) =
        pem_decode(&cert).ok_or_else(|| FuncError::msg("unable to decode certificate"))?;
    X509::from_der(&der).map_err(|e| {
        FuncError::msg(format!(
            "error parsing certificate: decodedCert.Bytes: x509: malformed certificate: {e}"
        ))
    })?;
    PrivKey::parse_pem(&key)
        .map_err(|e| FuncError::msg(format!("error parsing private key: {e}")))?;
    Ok(cert_val(Certificate { cert, key }))
}

#[cfg(test)]
mod tests {
    use super::super::super::{call, TestCtx};
    use super::*;
    use std::process::Command;

    fn openssl() -> bool {
        Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn field(v: &Value, name: &str) -> String {
        match v {
            Value::Object(o) => o.field(name).unwrap().format_v(),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn errors_match_helm() {
        let err = |name: &str, args: Vec<Value>| {
            call(&mut TestCtx::default(), name, args)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("buildCustomCert", vec![Value::str("!!"), Value::str("x")]),
            "unable to decode base64 certificate"
        );
        assert_eq!(
            err(
                "buildCustomCert",
                vec![Value::str("YQ=="), Value::str("YQ==")]
            ),
            "unable to decode certificate"
        );
        assert_eq!(
            err(
                "genCAWithKey",
                vec![Value::str("x"), Value::Int(1), Value::str("junk")]
            ),
            "parsing private key: no PEM data in input"
        );
        let ec_key = call(
            &mut TestCtx::default(),
            "genPrivateKey",
            vec![Value::str("ecdsa")],
        )
        .unwrap();
        let ips = Value::list(vec![Value::str("1.2.3.4"), Value::str("bad")]);
        assert_eq!(
            err(
                "genSelfSignedCertWithKey",
                vec![
                    Value::str("x"),
                    ips,
                    Value::Nil,
                    Value::Int(1),
                    ec_key.clone()
                ]
            ),
            "error parsing ip: bad"
        );
        let ips = Value::list(vec![Value::Int(1)]);
        assert_eq!(
            err(
                "genSelfSignedCertWithKey",
                vec![
                    Value::str("x"),
                    ips,
                    Value::Nil,
                    Value::Int(1),
                    ec_key.clone()
                ]
            ),
            "error parsing ip: 1 is not a string"
        );
        let dns = Value::list(vec![Value::Int(1)]);
        assert_eq!(
            err(
                "genSelfSignedCertWithKey",
                vec![Value::str("x"), Value::Nil, dns, Value::Int(1), ec_key]
            ),
            "error processing alternate dns name: 1 is not a string"
        );
    }

    /// One RSA CA and one RSA leaf (key generation is slow in debug builds), checked with
    /// openssl when it is installed.
    #[test]
    fn certificates_verify_with_openssl() {
        // openssl checks validity against the real clock.
        let mut ctx = TestCtx {
            now: chrono::Utc::now().fixed_offset(),
            ..TestCtx::default()
        };
        let ca = call(
            &mut ctx,
            "genCA",
            vec![Value::str("my-ca"), Value::Int(365)],
        )
        .unwrap();
        assert_eq!(ca.type_name(), "sprig.certificate");
        assert_eq!(ca.kind_name(), "struct");
        let ec_key = call(&mut ctx, "genPrivateKey", vec![Value::str("ecdsa")]).unwrap();
        let leaf = call(
            &mut ctx,
            "genSignedCertWithKey",
            vec![
                Value::str("leaf.example"),
                Value::list(vec![Value::str("10.0.0.1")]),
                Value::list(vec![Value::str("leaf.example"), Value::str("alt.example")]),
                Value::Int(30),
                ca.clone(),
                ec_key.clone(),
            ],
        )
        .unwrap();
        assert_eq!(field(&leaf, "Key"), ec_key.format_v());
        let ed_key = call(&mut ctx, "genPrivateKey", vec![Value::str("ed25519")]).unwrap();
        let ed_self = call(
            &mut ctx,
            "genSelfSignedCertWithKey",
            vec![
                Value::str("ed"),
                Value::Nil,
                Value::Nil,
                Value::Int(1),
                ed_key,
            ],
        )
        .unwrap();
        // buildCustomCert accepts what the generators produce.
        let b64 = |t: String| Value::from(base64::engine::general_purpose::STANDARD.encode(t));
        use base64::Engine as _;
        let rebuilt = call(
            &mut ctx,
            "buildCustomCert",
            vec![b64(field(&ca, "Cert")), b64(field(&ca, "Key"))],
        )
        .unwrap();
        assert_eq!(field(&rebuilt, "Cert"), field(&ca, "Cert"));

        if !openssl() {
            eprintln!("openssl not installed: skipping the openssl checks");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let ca_pem = write("ca.pem", field(&ca, "Cert"));
        let leaf_pem = write("leaf.pem", field(&leaf, "Cert"));
        let ed_pem = write("ed.pem", field(&ed_self, "Cert"));
        for p in [&ca_pem, &leaf_pem, &ed_pem] {
            let out = Command::new("openssl")
                .args(["x509", "-noout", "-text", "-in"])
                .arg(p)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&leaf_pem)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains("DNS:leaf.example, DNS:alt.example, IP Address:10.0.0.1"),
            "{text}"
        );
        assert!(
            text.contains("Issuer: CN = my-ca") || text.contains("Issuer: CN=my-ca"),
            "{text}"
        );
        // The extension layout of helm 4.1.4's certificates.
        assert!(text.contains("CA:FALSE"), "{text}");
        assert!(text.contains("X509v3 Authority Key Identifier"), "{text}");
        assert!(text.contains("TLS Web Server Authentication, TLS Web Client Authentication"));
        let ca_text = Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&ca_pem)
            .output()
            .unwrap();
        let ca_text = String::from_utf8_lossy(&ca_text.stdout);
        assert!(ca_text.contains("Digital Signature, Key Encipherment, Certificate Sign"));
        assert!(ca_text.contains("CA:TRUE"));
        assert!(ca_text.contains("X509v3 Subject Key Identifier"));
        let verify = Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(&ca_pem)
            .arg(&leaf_pem)
            .output()
            .unwrap();
        assert!(
            verify.status.success(),
            "{}{}",
            String::from_utf8_lossy(&verify.stdout),
            String::from_utf8_lossy(&verify.stderr)
        );
        let key_pem = write("ca.key", field(&ca, "Key"));
        let rsa_check = Command::new("openssl")
            .args(["rsa", "-check", "-noout", "-in"])
            .arg(&key_pem)
            .output()
            .unwrap();
        assert!(rsa_check.status.success());
        let ec_pem = write("ec.key", ec_key.format_v());
        let ec_check = Command::new("openssl")
            .args(["ec", "-check", "-noout", "-in"])
            .arg(&ec_pem)
            .output()
            .unwrap();
        assert!(ec_check.status.success());
    }
}
